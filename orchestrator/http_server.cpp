#include "orchestrator/http_server.hpp"

#include <chrono>
#include <optional>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

namespace warmtts {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct HttpServer::Shared {
  net::io_context& io;
  tcp::acceptor acceptor;
  HttpLimits limits;
  HttpHandler handler;
  std::atomic<int> pending{0};

  Shared(net::io_context& io_, HttpLimits l, HttpHandler h)
      : io(io_), acceptor(net::make_strand(io_)), limits(l), handler(std::move(h)) {}
};

namespace {

constexpr auto idle_timeout = std::chrono::seconds(75);

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<HttpServer::Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {}

  void start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->read(); });
  }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(shared_->limits.max_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(shared_->limits.max_header_bytes));
    stream_.expires_after(idle_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof)
      return close();
    if (ec) {
      // A request we cannot read: say why, then close (its remaining bytes are unparsed).
      auto status = ec == http::error::body_limit     ? http::status::payload_too_large
                    : ec == http::error::header_limit ? http::status::request_header_fields_too_large
                                                      : http::status::bad_request;
      std::string why = ec == http::error::body_limit
                            ? "request body is larger than " +
                                  std::to_string(shared_->limits.max_body_bytes) +
                                  " bytes (--max-body-bytes); send shorter text or a smaller voice clip"
                        : ec == http::error::header_limit
                            ? "request header is larger than " +
                                  std::to_string(shared_->limits.max_header_bytes) + " bytes"
                            : "malformed HTTP request: " + ec.message();
      write_error(status, why);
      return;
    }
    HttpRequest req = parser_->release();
    keep_alive_ = req.keep_alive();
    version_ = req.version();
    stream_.expires_never();  // a /runsync may wait long for its job
    shared_->pending.fetch_add(1);
    auto self = shared_from_this();
    shared_->handler(std::move(req), [self](HttpResponse res) {
      net::post(self->stream_.get_executor(),
                [self, res = std::move(res)]() mutable { self->write(std::move(res)); });
    });
  }

  // A JSON error written without going through the handler; the connection closes after it.
  void write_error(http::status status, const std::string& message) {
    std::string body = "{\"error\":\"";
    for (char c : message) {
      if (c == '"' || c == '\\') body += '\\';
      body += c;
    }
    body += "\"}";
    keep_alive_ = false;
    shared_->pending.fetch_add(1);
    write(json_response(status, std::move(body), version_ ? version_ : 11, false));
  }

  void write(HttpResponse res) {
    res.keep_alive(keep_alive_ && res.keep_alive());
    res.prepare_payload();
    response_ = std::make_shared<HttpResponse>(std::move(res));
    stream_.expires_after(idle_timeout);
    http::async_write(stream_, *response_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->shared_->pending.fetch_sub(1);
                        if (ec) return self->close();
                        if (!self->response_->keep_alive()) return self->drain_then_close();
                        self->response_.reset();
                        self->read();
                      });
  }

  // After an early answer (e.g. body too large) the client may still be sending: read and drop
  // what comes for a while, so that closing does not reset the connection under its reply.
  void drain_then_close() {
    close();
    stream_.expires_after(std::chrono::seconds(5));
    scratch_.resize(64 * 1024);
    drain_more();
  }

  void drain_more() {
    stream_.async_read_some(net::buffer(scratch_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > (256u << 20)) return;
                              self->drain_more();
                            });
  }

  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<HttpServer::Shared> shared_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpResponse> response_;
  bool keep_alive_ = true;
  unsigned version_ = 11;
  std::vector<char> scratch_;
  size_t drained_ = 0;
};

void accept(std::shared_ptr<HttpServer::Shared> shared) {
  shared->acceptor.async_accept(
      net::make_strand(shared->io), [shared](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !shared->acceptor.is_open()) return;
        if (!ec) {
          socket.set_option(tcp::no_delay(true), ec);
          std::make_shared<Session>(std::move(socket), shared)->start();
        }
        accept(shared);
      });
}

}  // namespace

HttpServer::HttpServer(net::io_context& io, const tcp::endpoint& endpoint, HttpLimits limits,
                       HttpHandler handler)
    : shared_(std::make_shared<Shared>(io, limits, std::move(handler))) {
  auto& a = shared_->acceptor;
  a.open(endpoint.protocol());
  a.set_option(net::socket_base::reuse_address(true));
  a.bind(endpoint);
  a.listen(net::socket_base::max_listen_connections);
  accept(shared_);
}

HttpServer::~HttpServer() = default;

uint16_t HttpServer::port() const { return shared_->acceptor.local_endpoint().port(); }

void HttpServer::stop_accepting() {
  net::post(shared_->acceptor.get_executor(), [shared = shared_] {
    beast::error_code ec;
    shared->acceptor.close(ec);
  });
}

int HttpServer::pending_replies() const { return shared_->pending.load(); }

HttpResponse json_response(http::status status, std::string body, unsigned version,
                           bool keep_alive) {
  HttpResponse res{status, version};
  res.set(http::field::server, "warmtts");
  res.set(http::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  return res;
}

}  // namespace warmtts

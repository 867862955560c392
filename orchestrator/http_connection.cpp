#include "orchestrator/http_connection.hpp"

#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "volume/http_fetch.hpp"

namespace warmtts {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

constexpr auto use_tuple = net::as_tuple(net::use_awaitable);

std::string describe(const beast::error_code& ec) {
  return ec == beast::error::timeout ? "timed out" : ec.message();
}

}  // namespace

// Errors travel as error codes, not exceptions: no co_await sits inside a try block (GCC 12
// miscompiles some of those at -O3).
struct HttpConnection::Impl {
  ssl::context& tls;
  std::string connected_to;  // "https://host:port" of the open connection, "" when closed
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  explicit Impl(ssl::context& t) : tls(t) {}

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*secure); }

  void close_socket() {
    beast::error_code ec;
    if (plain) plain->socket().close(ec);
    if (secure) beast::get_lowest_layer(*secure).socket().close(ec);
    connected_to.clear();
  }

  void reset() {
    close_socket();
    plain.reset();
    secure.reset();
    buffer.clear();
  }
};

HttpConnection::HttpConnection(ssl::context& tls)
    : impl_(std::make_unique<Impl>(tls)) {}

HttpConnection::~HttpConnection() { impl_->reset(); }

void HttpConnection::close() {
  // Only the socket: an operation in flight still refers to the stream objects, and completes
  // with operation_aborted; the next request reconnects.
  impl_->close_socket();
}

net::awaitable<HttpAnswer> HttpConnection::request(std::string method, std::string url,
                                                   std::map<std::string, std::string> headers,
                                                   std::string body,
                                                   std::chrono::milliseconds timeout) {
  Impl& d = *impl_;
  volume::HttpUrl u;
  try {
    u = volume::parse_http_url(url);
  } catch (const std::exception& e) {
    co_return HttpAnswer{0, e.what(), "", ""};
  }
  http::request<http::string_body> req{http::string_to_verb(method), u.target, 11};
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, "warmtts");
  for (const auto& [k, v] : headers) req.set(k, v);
  req.body() = std::move(body);
  req.prepare_payload();
  req.keep_alive(true);

  auto ex = co_await net::this_coro::executor;
  const std::string origin = (u.tls ? "https://" : "http://") + u.host + ":" + u.port;
  // A kept-alive connection may have been closed by the server while idle: then one more try
  // on a fresh connection (the request never reached a live server).
  for (int attempt = 0;; ++attempt) {
    const bool reused = d.connected_to == origin;
    beast::error_code ec;
    std::string step;
    if (!reused) {
      d.reset();
      step = "resolve";
      tcp::resolver resolver(ex);
      auto [rec, endpoints] = co_await resolver.async_resolve(u.host, u.port, use_tuple);
      ec = rec;
      if (!ec && !u.tls) {
        step = "connect";
        d.plain.emplace(ex);
        d.plain->expires_after(timeout);
        auto [cec, ep] = co_await d.plain->async_connect(endpoints, use_tuple);
        ec = cec;
        if (!ec) d.plain->socket().set_option(tcp::no_delay(true), ec);
      } else if (!ec) {
        step = "connect";
        d.secure.emplace(ex, d.tls);
        if (!SSL_set_tlsext_host_name(d.secure->native_handle(), u.host.c_str()))
          co_return HttpAnswer{0, "cannot set TLS server name " + u.host, "", ""};
        d.secure->set_verify_callback(ssl::host_name_verification(u.host));
        auto& layer = beast::get_lowest_layer(*d.secure);
        layer.expires_after(timeout);
        auto [cec, ep] = co_await layer.async_connect(endpoints, use_tuple);
        ec = cec;
        if (!ec) {
          layer.socket().set_option(tcp::no_delay(true), ec);
          step = "TLS handshake";
          layer.expires_after(timeout);
          auto [hec] = co_await d.secure->async_handshake(ssl::stream_base::client, use_tuple);
          ec = hec;
        }
      }
      if (!ec) d.connected_to = origin;
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    if (!ec) {
      step = "write";
      d.lowest().expires_after(timeout);
      if (d.plain) {
        auto [wec, n] = co_await http::async_write(*d.plain, req, use_tuple);
        ec = wec;
      } else {
        auto [wec, n] = co_await http::async_write(*d.secure, req, use_tuple);
        ec = wec;
      }
    }
    if (!ec) {
      step = "read";
      d.lowest().expires_after(timeout);
      if (d.plain) {
        auto [rec, n] = co_await http::async_read(*d.plain, d.buffer, parser, use_tuple);
        ec = rec;
      } else {
        auto [rec, n] = co_await http::async_read(*d.secure, d.buffer, parser, use_tuple);
        ec = rec;
      }
    }
    if (!ec) {
      auto res = parser.release();
      HttpAnswer out;
      out.status = static_cast<int>(res.result_int());
      out.content_type = std::string(res[http::field::content_type]);
      out.body = std::move(res.body());
      if (!res.keep_alive()) d.reset();
      co_return out;
    }
    const bool stale = reused && attempt == 0 && d.connected_to == origin &&
                       (ec == http::error::end_of_stream || ec == net::error::eof ||
                        ec == net::error::connection_reset || ec == net::error::broken_pipe);
    d.reset();
    if (stale) continue;
    co_return HttpAnswer{0, method + " " + origin + " failed (" + step + "): " + describe(ec), "",
                         ""};
  }
}

ssl::context verifying_tls_context() {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_default_verify_paths();
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace warmtts

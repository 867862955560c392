#include "orchestrator/http_connection.hpp"

#include <optional>

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

struct HttpConnection::Impl {
  net::any_io_executor ex;
  ssl::context& tls;
  std::string connected_to;  // "https://host:port" of the open connection, "" when closed
  std::optional<beast::tcp_stream> plain;
  std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  beast::tcp_stream& lowest() { return plain ? *plain : beast::get_lowest_layer(*secure); }

  void reset() {
    beast::error_code ec;
    if (plain) plain->socket().close(ec);
    if (secure) beast::get_lowest_layer(*secure).socket().close(ec);
    plain.reset();
    secure.reset();
    connected_to.clear();
    buffer.clear();
  }

  net::awaitable<void> connect(const volume::HttpUrl& u, std::chrono::milliseconds timeout) {
    reset();
    tcp::resolver resolver(ex);
    auto endpoints = co_await resolver.async_resolve(u.host, u.port, net::use_awaitable);
    if (!u.tls) {
      plain.emplace(ex);
      plain->expires_after(timeout);
      co_await plain->async_connect(endpoints, net::use_awaitable);
      plain->socket().set_option(tcp::no_delay(true));
    } else {
      secure.emplace(ex, tls);
      if (!SSL_set_tlsext_host_name(secure->native_handle(), u.host.c_str()))
        throw std::runtime_error("cannot set TLS server name " + u.host);
      secure->set_verify_callback(ssl::host_name_verification(u.host));
      auto& layer = beast::get_lowest_layer(*secure);
      layer.expires_after(timeout);
      co_await layer.async_connect(endpoints, net::use_awaitable);
      layer.socket().set_option(tcp::no_delay(true));
      layer.expires_after(timeout);
      co_await secure->async_handshake(ssl::stream_base::client, net::use_awaitable);
    }
    connected_to = (u.tls ? "https://" : "http://") + u.host + ":" + u.port;
  }

  template <class Stream>
  net::awaitable<HttpAnswer> exchange(Stream& stream, http::request<http::string_body>& req,
                                      std::chrono::milliseconds timeout) {
    lowest().expires_after(timeout);
    co_await http::async_write(stream, req, net::use_awaitable);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64u << 20);
    lowest().expires_after(timeout);
    co_await http::async_read(stream, buffer, parser, net::use_awaitable);
    auto res = parser.release();
    HttpAnswer out;
    out.status = static_cast<int>(res.result_int());
    out.content_type = std::string(res[http::field::content_type]);
    out.body = std::move(res.body());
    if (!res.keep_alive()) reset();
    co_return out;
  }
};

HttpConnection::HttpConnection(net::any_io_executor ex, ssl::context& tls)
    : impl_(new Impl{std::move(ex), tls, {}, {}, {}, {}}) {}

HttpConnection::~HttpConnection() { impl_->reset(); }

void HttpConnection::close() {
  // Only the socket: an operation in flight still refers to the stream objects, and completes
  // with operation_aborted; the next request reconnects.
  beast::error_code ec;
  if (impl_->plain) impl_->plain->socket().close(ec);
  if (impl_->secure) beast::get_lowest_layer(*impl_->secure).socket().close(ec);
  impl_->connected_to.clear();
}

net::awaitable<HttpAnswer> HttpConnection::request(std::string method, std::string url,
                                                   std::map<std::string, std::string> headers,
                                                   std::string body,
                                                   std::chrono::milliseconds timeout) {
  auto& d = *impl_;
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

  const std::string origin = (u.tls ? "https://" : "http://") + u.host + ":" + u.port;
  // A kept-alive connection may have been closed by the server while idle: then one more try
  // on a fresh connection (the request never reached a live server).
  for (int attempt = 0;; ++attempt) {
    const bool reused = d.connected_to == origin;
    std::string failure;
    try {
      if (!reused) co_await d.connect(u, timeout);
      if (d.plain)
        co_return co_await d.exchange(*d.plain, req, timeout);
      co_return co_await d.exchange(*d.secure, req, timeout);
    } catch (const boost::system::system_error& e) {
      failure = e.code() == beast::error::timeout ? "timed out" : e.code().message();
      if (reused && attempt == 0 && d.connected_to == origin &&
          (e.code() == http::error::end_of_stream || e.code() == net::error::eof ||
           e.code() == net::error::connection_reset || e.code() == net::error::broken_pipe)) {
        d.reset();
        continue;
      }
    } catch (const std::exception& e) {
      failure = e.what();
    }
    d.reset();
    co_return HttpAnswer{0, method + " " + origin + " failed: " + failure, "", ""};
  }
}

ssl::context verifying_tls_context() {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_default_verify_paths();
  ctx.set_verify_mode(ssl::verify_peer);
  return ctx;
}

}  // namespace warmtts

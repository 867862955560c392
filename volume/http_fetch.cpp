#include "volume/http_fetch.hpp"

#include <algorithm>
#include <cctype>
#include <memory>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

namespace warmtts::volume {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

template <class Stream>
FetchResponse exchange(Stream& stream, beast::tcp_stream& tcp_layer, const FetchRequest& r,
                       const std::string& host, const std::string& target) {
  http::request<http::empty_body> req{http::string_to_verb(r.method), target, 11};
  req.set(http::field::host, host);
  req.set(http::field::user_agent, "warmtts");
  req.set(http::field::accept_encoding, "identity");
  for (const auto& [k, v] : r.headers) req.set(k, v);
  tcp_layer.expires_after(r.timeout);
  http::write(stream, req);

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  if (r.method == "HEAD") parser.skip(true);
  tcp_layer.expires_after(r.timeout);
  http::read_header(stream, buffer, parser);
  FetchResponse out;
  out.status = static_cast<int>(parser.get().result_int());
  for (const auto& f : parser.get())
    out.headers[lower(std::string(f.name_string()))] = std::string(f.value());
  if (r.on_headers) r.on_headers(out.status, out.headers);
  const bool to_sink = r.sink && out.status >= 200 && out.status < 300;
  char chunk[64 * 1024];
  while (!parser.is_done()) {
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    beast::error_code ec;
    tcp_layer.expires_after(r.timeout);
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    // Hand over what arrived even when the transfer broke: a resumed download continues it.
    size_t n = sizeof chunk - parser.get().body().size;
    if (to_sink)
      r.sink(chunk, n);
    else
      out.body.append(chunk, n);
    if (ec) throw HttpError("transfer from " + host + " broke: " + ec.message());
  }
  return out;
}

}  // namespace

std::string FetchResponse::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

std::string resolve_url(const std::string& base, const std::string& location) {
  auto loc = boost::urls::parse_uri_reference(location);
  auto b = boost::urls::parse_uri(base);
  if (!loc || !b) throw HttpError("bad redirect location " + location);
  boost::urls::url out;
  auto rv = boost::urls::resolve(*b, *loc, out);
  if (!rv) throw HttpError("cannot resolve redirect " + location);
  return std::string(out.buffer());
}

HttpUrl parse_http_url(const std::string& text) {
  auto url = boost::urls::parse_uri(text);
  if (!url || (url->scheme() != "http" && url->scheme() != "https"))
    throw HttpError("not an http(s) URL: " + text);
  HttpUrl out;
  out.tls = url->scheme() == "https";
  out.host = url->host();
  out.port = url->has_port() ? std::string(url->port()) : (out.tls ? "443" : "80");
  out.target = std::string(url->encoded_path());
  if (out.target.empty()) out.target = "/";
  if (url->has_query()) out.target += "?" + std::string(url->encoded_query());
  return out;
}

FetchResponse fetch(const FetchRequest& r) {
  const auto [tls, host, port, target] = parse_http_url(r.url);

  try {
    net::io_context io;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(host, port);
    if (!tls) {
      beast::tcp_stream stream(io);
      stream.expires_after(r.timeout);
      stream.connect(endpoints);
      auto out = exchange(stream, stream, r, host, target);
      beast::error_code ec;
      stream.socket().shutdown(tcp::socket::shutdown_both, ec);
      return out;
    }
    ssl::context ctx(ssl::context::tls_client);
    ctx.set_default_verify_paths();
    ctx.set_verify_mode(ssl::verify_peer);
    beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), host.c_str()))
      throw HttpError("cannot set TLS server name for " + host);
    stream.set_verify_callback(ssl::host_name_verification(host));
    beast::get_lowest_layer(stream).expires_after(r.timeout);
    beast::get_lowest_layer(stream).connect(endpoints);
    stream.handshake(ssl::stream_base::client);
    auto out = exchange(stream, beast::get_lowest_layer(stream), r, host, target);
    beast::error_code ec;
    stream.shutdown(ec);  // servers often skip close_notify; not an error for us
    return out;
  } catch (const HttpError&) {
    throw;
  } catch (const std::exception& e) {
    throw HttpError(r.method + " " + host + ":" + port + " failed: " + e.what());
  }
}

std::string percent_encode(std::string_view text, bool keep_slashes) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slashes && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

}  // namespace warmtts::volume

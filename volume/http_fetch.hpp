// A small blocking HTTP/1.1 client for downloads (Boost.Beast; HTTPS through OpenSSL with the
// system's certificate store, peer and host-name verification). One request per call, bodies
// streamed to a callback, redirects left to the caller so that it can decide what to forward.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace warmtts::volume {

struct HttpError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct FetchResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;  // when no sink was given

  std::string header(const std::string& lower_name) const;
};

struct FetchRequest {
  std::string method = "GET";
  std::string url;  // http:// or https://
  std::map<std::string, std::string> headers;
  std::chrono::seconds timeout{60};  // per read/write, not for the whole transfer
  // Called once the status line and headers are in, before any body byte.
  std::function<void(int status, const std::map<std::string, std::string>& headers)> on_headers;
  // Receives the body piece by piece (for 2xx answers); without it the body is collected.
  std::function<void(const char* data, size_t n)> sink;
};

// An http:// or https:// URL split the way a client connects to it.
struct HttpUrl {
  bool tls = false;
  std::string host;
  std::string port;    // explicit, or 80 / 443
  std::string target;  // path and query, "/" at least
};

// Throws HttpError for anything that is not an absolute http(s) URL.
HttpUrl parse_http_url(const std::string& url);

// Throws HttpError on a connection, TLS or protocol failure (including a body cut short).
FetchResponse fetch(const FetchRequest& request);

// RFC 3986 percent-encoding: unreserved characters (and '/' with keep_slashes, for paths) stay,
// every other byte becomes %XX.
std::string percent_encode(std::string_view text, bool keep_slashes = false);

// Resolves a Location header against the URL it came from.
std::string resolve_url(const std::string& base, const std::string& location);

}  // namespace warmtts::volume

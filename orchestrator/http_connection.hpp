// One keep-alive HTTP/1.1 client connection for coroutines (Boost.Beast): plain HTTP, or HTTPS
// through OpenSSL with the system's certificate store, peer and host-name verification. The
// RunPod queue worker holds one per concurrent call (a long-poll must not block a result).
// Not thread-safe: use it from the one thread that runs its executor.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

namespace warmtts {

struct HttpAnswer {
  int status = 0;            // 0: no answer (see error)
  std::string error;         // connection, TLS, protocol or timeout failure
  std::string content_type;  // as sent, "" when absent
  std::string body;
};

class HttpConnection {
 public:
  // `tls` is used for https:// URLs; it must outlive the connection. The connection runs on
  // the executor of the coroutine that calls request().
  explicit HttpConnection(boost::asio::ssl::context& tls);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends one request to `url` on the open connection (or a new one when the host changed or
  // the last exchange failed) and reads the answer. `timeout` bounds each step. Never throws:
  // a failure comes back as status 0 with its reason.
  boost::asio::awaitable<HttpAnswer> request(std::string method, std::string url,
                                             std::map<std::string, std::string> headers,
                                             std::string body, std::chrono::milliseconds timeout);

  // Abandons the exchange in flight (it completes with an error) and closes the connection.
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A TLS client context that verifies peers against the system's certificate store.
boost::asio::ssl::context verifying_tls_context();

}  // namespace warmtts

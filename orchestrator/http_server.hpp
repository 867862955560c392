// A small asynchronous HTTP/1.1 server on Boost.Beast: keep-alive, limits on header and body
// size, idle timeouts. It knows nothing of jobs; it hands each request to a Handler and writes
// the reply whenever (and from whichever thread) the handler produces it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

namespace warmtts {

namespace http = boost::beast::http;

using HttpRequest = http::request<http::string_body>;
using HttpResponse = http::response<http::string_body>;
// Must be called exactly once per request; may be called from any thread.
using HttpReply = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest&&, HttpReply)>;

struct HttpLimits {
  size_t max_body_bytes = 32u << 20;
  size_t max_header_bytes = 16u << 10;
};

class HttpServer {
 public:
  HttpServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
             HttpLimits limits, HttpHandler handler);
  ~HttpServer();

  uint16_t port() const;
  // Closes the listening socket; open connections finish what they are doing.
  void stop_accepting();
  // Requests handed to the handler whose reply has not been written yet.
  int pending_replies() const;

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
};

// A JSON response with the right headers.
HttpResponse json_response(http::status status, std::string body, unsigned version = 11,
                           bool keep_alive = true);

}  // namespace warmtts

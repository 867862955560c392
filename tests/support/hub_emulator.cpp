#include "tests/support/hub_emulator.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include <mutex>
#include <vector>

namespace warmtts::testing {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

std::string digest(const std::string& data, const EVP_MD* md) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(data.data(), data.size(), out, &n, md, nullptr);
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    char b[3];
    std::snprintf(b, sizeof b, "%02x", out[i]);
    s += b;
  }
  return s;
}

std::string sha256(const std::string& d) { return digest(d, EVP_sha256()); }
std::string git_sha1(const std::string& d) {
  return digest("blob " + std::to_string(d.size()) + std::string(1, '\0') + d, EVP_sha1());
}

}  // namespace

struct HubEmulator::Impl {
  std::map<std::string, Repo> repos;
  std::string token;
  std::map<std::string, std::string> cdn;  // sha256 -> bytes
  net::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};
  std::thread accept_thread;
  std::mutex mutex;
  std::vector<std::shared_ptr<tcp::socket>> sockets;
  std::vector<std::thread> connections;
  std::atomic<bool> stopping{false};
};

HubEmulator::HubEmulator(std::map<std::string, Repo> repos, std::string token)
    : impl_(std::make_unique<Impl>()) {
  impl_->repos = std::move(repos);
  impl_->token = std::move(token);
  for (const auto& [id, repo] : impl_->repos)
    for (const auto& [name, f] : repo.files)
      if (f.lfs) impl_->cdn[sha256(f.content)] = f.content;

  impl_->accept_thread = std::thread([this] {
    for (;;) {
      auto socket = std::make_shared<tcp::socket>(impl_->io);
      beast::error_code ec;
      impl_->acceptor.accept(*socket, ec);
      if (ec || impl_->stopping) return;
      std::lock_guard lock(impl_->mutex);
      impl_->sockets.push_back(socket);
      impl_->connections.emplace_back([this, socket]() mutable {
        tcp::socket& s = *socket;
        // Closing at the end matters: the emulator keeps the socket object alive.
        struct Closer {
          tcp::socket& s;
          ~Closer() {
            beast::error_code ec;
            s.shutdown(tcp::socket::shutdown_both, ec);
            s.close(ec);
          }
        } closer{s};
        beast::flat_buffer buffer;
        for (;;) {
          http::request<http::string_body> req;
          beast::error_code ec;
          http::read(s, buffer, req, ec);
          if (ec) return;
          std::string target(req.target());
          bool head = req.method() == http::verb::head;
          auto auth = req[http::field::authorization];
          bool authorized = impl_->token.empty() || auth == "Bearer " + impl_->token;
          http::response<http::string_body> res{http::status::ok, req.version()};
          res.keep_alive(req.keep_alive());
          auto send = [&] {
            if (head) {
              http::response<http::empty_body> h{res.result(), res.version()};
              for (const auto& f : res) h.set(f.name_string(), f.value());
              h.content_length(res.body().size());
              http::write(s, h, ec);
            } else {
              res.prepare_payload();
              http::write(s, res, ec);
            }
          };
          auto fail = [&](http::status st) {
            res.result(st);
            res.body() = R"({"error":"emulated"})";
            send();
          };
          if (target.rfind("/api/models/", 0) == 0) {
            auto rest = target.substr(12);
            auto at = rest.find("/revision/");
            std::string id = rest.substr(0, at), rev = rest.substr(at + 10);
            auto it = impl_->repos.find(id);
            if (!authorized) { fail(http::status::unauthorized); }
            else if (at == std::string::npos || it == impl_->repos.end() ||
                     (rev != "main" && rev != it->second.commit)) { fail(http::status::not_found); }
            else {
              nlohmann::json doc{{"sha", it->second.commit}, {"siblings", nlohmann::json::array()}};
              for (const auto& [name, f] : it->second.files) doc["siblings"].push_back({{"rfilename", name}});
              res.body() = doc.dump();
              send();
            }
          } else if (target.rfind("/cdn/", 0) == 0) {
            ++cdn_requests_;
            if (!auth.empty()) token_leaked_ = true;
            auto it = impl_->cdn.find(target.substr(5));
            if (it == impl_->cdn.end()) { fail(http::status::not_found); continue; }
            const std::string& bytes = it->second;
            size_t from = 0;
            auto range = std::string(req[http::field::range]);
            if (range.rfind("bytes=", 0) == 0) {
              ++range_requests_;
              from = std::stoull(range.substr(6));
            }
            long cut = cut_after_.exchange(-1);
            std::string head_text = std::string("HTTP/1.1 ") + (from ? "206 Partial Content" : "200 OK") +
                                    "\r\nContent-Length: " + std::to_string(bytes.size() - from) +
                                    (from ? "\r\nContent-Range: bytes " + std::to_string(from) + "-" +
                                                std::to_string(bytes.size() - 1) + "/" +
                                                std::to_string(bytes.size())
                                          : "") +
                                    "\r\n\r\n";
            std::string body = bytes.substr(from);
            if (cut >= 0) body = body.substr(0, static_cast<size_t>(cut));
            net::write(s, net::buffer(head_text), ec);
            net::write(s, net::buffer(body), ec);
            if (cut >= 0) return;  // connection closed mid-body
          } else {
            // /ORG/NAME/resolve/REV/FILE
            auto at = target.find("/resolve/");
            std::string id = at == std::string::npos ? "" : target.substr(1, at - 1);
            auto it = impl_->repos.find(id);
            if (!authorized) { fail(http::status::unauthorized); continue; }
            if (it == impl_->repos.end()) { fail(http::status::not_found); continue; }
            auto rest = target.substr(at + 9);
            auto slash = rest.find('/');
            std::string rev = rest.substr(0, slash), file = rest.substr(slash + 1);
            auto f = it->second.files.find(file);
            if ((rev != "main" && rev != it->second.commit) || f == it->second.files.end()) {
              fail(http::status::not_found);
              continue;
            }
            res.set("X-Repo-Commit", it->second.commit);
            if (f->second.lfs) {
              std::string hash = sha256(f->second.content);
              res.result(http::status::found);
              // Another host name for the same server, like the hub's separate blob host.
              res.set(http::field::location,
                      "http://localhost:" + std::to_string(impl_->acceptor.local_endpoint().port()) +
                          "/cdn/" + hash);
              res.set("X-Linked-Etag", "\"" + hash + "\"");
              res.set("X-Linked-Size", std::to_string(f->second.content.size()));
              res.set(http::field::etag, "\"" + git_sha1("pointer") + "\"");
            } else {
              res.set(http::field::etag, "\"" + git_sha1(f->second.content) + "\"");
              res.body() = f->second.content;
            }
            send();
          }
          if (ec || !req.keep_alive()) return;
        }
      });
    }
  });
}

HubEmulator::~HubEmulator() {
  impl_->stopping = true;
  beast::error_code ec;
  // Wake the accept loop with one last connection.
  tcp::socket poke(impl_->io);
  poke.connect(impl_->acceptor.local_endpoint(), ec);
  impl_->accept_thread.join();
  impl_->acceptor.close(ec);
  std::lock_guard lock(impl_->mutex);
  for (auto& s : impl_->sockets) s->shutdown(tcp::socket::shutdown_both, ec);
  for (auto& t : impl_->connections) t.join();
}

std::string HubEmulator::endpoint() const {
  return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port());
}

}  // namespace warmtts::testing

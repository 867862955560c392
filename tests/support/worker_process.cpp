#include "tests/support/worker_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace warmtts::testing {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

nlohmann::json HttpResult::json() const { return nlohmann::json::parse(body); }

struct HttpClient::Impl {
  uint16_t port;
  net::io_context io;
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  void connect() {
    stream = std::make_unique<beast::tcp_stream>(io);
    stream->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    stream->socket().set_option(tcp::no_delay(true));
    buffer.clear();
  }
};

HttpClient::HttpClient(uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->connect();
}

HttpClient::~HttpClient() = default;

HttpResult HttpClient::request(const std::string& method, const std::string& target,
                               const std::string& body, std::chrono::milliseconds timeout) {
  for (int attempt = 0;; ++attempt) {
    try {
      if (!impl_->stream) impl_->connect();
      http::request<http::string_body> req{http::string_to_verb(method), target, 11};
      req.set(http::field::host, "127.0.0.1");
      req.set(http::field::content_type, "application/json");
      req.body() = body;
      req.prepare_payload();
      impl_->stream->expires_after(timeout);
      http::write(*impl_->stream, req);
      http::response_parser<http::string_body> parser;
      parser.body_limit(1u << 30);
      http::read(*impl_->stream, impl_->buffer, parser);
      auto res = parser.release();
      HttpResult out;
      out.status = static_cast<int>(res.result_int());
      out.body = res.body();
      for (const auto& f : res) out.headers[std::string(f.name_string())] = std::string(f.value());
      if (!res.keep_alive()) impl_->stream.reset();
      return out;
    } catch (const beast::system_error& e) {
      impl_->stream.reset();
      // A server may close an idle keep-alive connection; one retry on a fresh one.
      if (attempt > 0) throw;
    }
  }
}

std::string test_worker_binary() { return WARMTTS_TEST_WORKER; }

WorkerProcess::WorkerProcess(const std::string& binary, std::vector<std::string> args,
                             std::map<std::string, std::string> env) {
  char tmpl[] = "/tmp/warmtts-worker-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  log_path_ = tmpl;
  pid_ = fork();
  if (pid_ == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    // Nothing else of ours: no sockets, and no lock file a `flock` around the tests holds (a
    // worker left behind would keep it).
    close_range(3, ~0u, 0);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<std::string> argv_s = {binary, "serve", "--port", "0"};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  close(fd);
  static const std::regex listening(R"(listening on http://[0-9.]+:(\d+))");
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string text = log();
    if (std::regex_search(text, m, listening)) {
      port_ = static_cast<uint16_t>(std::stoi(m[1]));
      client_ = std::make_unique<HttpClient>(port_);
      return;
    }
    if (wait_exit(std::chrono::milliseconds(0)) >= 0) {
      unlink(log_path_.c_str());
      throw std::runtime_error("worker exited with " + std::to_string(exit_code_) + ":\n" + text);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // No destructor runs for a constructor that throws: the worker must not outlive the test.
  std::string text = log();
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  unlink(log_path_.c_str());
  throw std::runtime_error("worker did not start listening within 20 s:\n" + text);
}

WorkerProcess::~WorkerProcess() {
  if (pid_ > 0 && exit_code_ < 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (!log_path_.empty()) unlink(log_path_.c_str());
}

HttpResult WorkerProcess::get(const std::string& target) { return client_->get(target); }
HttpResult WorkerProcess::post(const std::string& target, const std::string& body) {
  return client_->post(target, body);
}

void WorkerProcess::signal(int sig) { kill(pid_, sig); }

int WorkerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (exit_code_ >= 0) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string WorkerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int WorkerProcess::wait_for_ping(int status, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  int last = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    last = get("/ping").status;
    if (last == status) return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return last;
}

nlohmann::json WorkerProcess::wait_final(const std::string& id, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json last;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = get("/status/" + id);
    last = r.json();
    std::string s = last.value("status", "");
    if (s == "COMPLETED" || s == "FAILED" || s == "CANCELLED" || s == "TIMED_OUT") return last;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return last;
}

}  // namespace warmtts::testing

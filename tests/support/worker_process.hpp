// Starts a real worker binary on an ephemeral loopback port and talks HTTP to it, the way a
// client would (llama.cpp server tests' pattern).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace warmtts::testing {

struct HttpResult {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;
  nlohmann::json json() const;  // parsed body (throws if not JSON)
};

// One keep-alive HTTP/1.1 connection to 127.0.0.1:port.
class HttpClient {
 public:
  explicit HttpClient(uint16_t port);
  ~HttpClient();
  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& body = "",
                     std::chrono::milliseconds timeout = std::chrono::seconds(30));
  HttpResult get(const std::string& target) { return request("GET", target); }
  HttpResult post(const std::string& target, const std::string& body = "") {
    return request("POST", target, body);
  }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class WorkerProcess {
 public:
  // Runs `binary serve --port 0 args...` with `env` added to the environment; waits until it
  // listens (or throws with its log).
  WorkerProcess(const std::string& binary, std::vector<std::string> args,
                std::map<std::string, std::string> env = {});
  ~WorkerProcess();  // SIGKILL if still running

  uint16_t port() const { return port_; }
  HttpResult get(const std::string& target);
  HttpResult post(const std::string& target, const std::string& body = "");

  void signal(int sig);
  // Exit code, or -1 if still running after `timeout`.
  int wait_exit(std::chrono::milliseconds timeout);
  // Everything it printed so far.
  std::string log() const;

  // Polls /ping until `status` or timeout; returns the last status seen.
  int wait_for_ping(int status, std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Polls /status/{id} until the job is final; returns the last /status body.
  nlohmann::json wait_final(const std::string& id,
                            std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  int pid_ = -1;
  int exit_code_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
  std::unique_ptr<HttpClient> client_;
};

// Path of the test worker binary (set by CMake).
std::string test_worker_binary();

}  // namespace warmtts::testing

// TEST DOUBLE. A loopback HTTP server that answers like the Hugging Face hub for downloads:
//   GET  /api/models/ORG/NAME/revision/REV   {"sha": COMMIT, "siblings": [...]}
//   HEAD|GET /ORG/NAME/resolve/REV/FILE      LFS files: 302 to http://localhost:PORT/cdn/SHA256
//                                            (another host name) with X-Linked-Etag;
//                                            small files: 200 with ETag = git blob sha1
//   GET  /cdn/SHA256                          the bytes, with Range support
// plus faults: a token it requires (401 without), a transfer cut after N bytes.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>

namespace warmtts::testing {

class HubEmulator {
 public:
  struct File {
    std::string content;
    bool lfs = true;
  };
  struct Repo {
    std::string commit;  // 40 hex
    std::map<std::string, File> files;
  };

  explicit HubEmulator(std::map<std::string, Repo> repos, std::string token = "");
  ~HubEmulator();

  std::string endpoint() const;  // http://127.0.0.1:PORT
  // The next /cdn transfer sends its headers and `bytes` bytes of body, then closes.
  void cut_next_transfer_after(size_t bytes) { cut_after_ = static_cast<long>(bytes); }

  int range_requests() const { return range_requests_; }
  int cdn_requests() const { return cdn_requests_; }
  bool token_leaked_to_cdn() const { return token_leaked_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<long> cut_after_{-1};
  std::atomic<int> range_requests_{0};
  std::atomic<int> cdn_requests_{0};
  std::atomic<bool> token_leaked_{false};
};

}  // namespace warmtts::testing

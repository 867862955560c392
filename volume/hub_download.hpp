// `warmtts models fetch MODEL --to DIR`: downloads the files a model loads (not whole
// repositories) from the Hugging Face hub into DIR in Hugging Face cache layout
// (models--ORG--NAME/{blobs,snapshots,refs}), usable by a volume:/runpod-cache source.
// Interrupted files resume with Range; every blob is checked against the hub's ETag (sha256
// for LFS files, git sha1 for small ones) before it gets its name; refs/REV is written last,
// atomically, so a snapshot that is referenced is complete.
#pragma once

#include <functional>
#include <string>

namespace warmtts::volume {

struct HubOptions {
  std::string endpoint = "https://huggingface.co";  // HF_ENDPOINT overrides
  std::string token;                                // HF_TOKEN
  std::string revision = "main";
  int attempts = 5;  // per file, resuming where the last attempt stopped
  // A line of progress ("file 45% 120.0 MiB/s"); called often, the caller decides to show it.
  std::function<void(const std::string& line)> progress;
  std::function<void(const std::string& line)> log;
};

// Reads HF_ENDPOINT and HF_TOKEN once: the download command's only environment variables.
HubOptions hub_options_from_environment();

// Downloads every repository of `model` into `cache_dir`. Returns the snapshot folders, one per
// repository, "alias=path" lines. Throws std::runtime_error with what failed and what to do.
std::vector<std::string> fetch_model(const std::string& model, const std::string& cache_dir,
                                     const HubOptions& options);

}  // namespace warmtts::volume

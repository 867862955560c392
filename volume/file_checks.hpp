// Verification of a located repository before any weight is read: every file present,
// readable and inside the source root; safetensors headers strict and holding the expected
// tensors; torch zip archives whole; optionally each Hugging Face cache blob's hash.
#pragma once

#include <string>
#include <vector>

#include "volume/manifest.hpp"
#include "volume/sources.hpp"

namespace warmtts::volume {

struct Check {
  std::string file;    // relative to the repository, "" for the repository as a whole
  std::string name;    // present, readable, inside-root, safetensors-header, tensors, zip, sha256, ...
  bool ok = false;
  std::string detail;  // on failure: what is wrong and what to do
};

struct CheckOptions {
  bool hash = false;  // recompute each cache blob's sha256 (or git sha1) and compare to its name
};

std::vector<Check> check_repository(const Location& where, const std::vector<FileRule>& rules,
                                    const CheckOptions& options);

// Names of the entries of a zip archive; throws std::runtime_error when it is not a whole zip.
std::vector<std::string> zip_entry_names(const std::filesystem::path& file);

// Lower-case hex digests of a file's bytes.
std::string sha256_file(const std::filesystem::path& file);
std::string git_blob_sha1_file(const std::filesystem::path& file);

}  // namespace warmtts::volume

// Writes small files in the official checkpoint layouts for tests: safetensors files, torch.save
// style zip archives, whole tiny repositories (flat, plain volume, Hugging Face cache).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace warmtts::testing {

struct TensorSpec {
  std::string name;
  std::string dtype;  // F32, BF16, ...
  std::vector<int64_t> shape;
};

// A valid safetensors file; tensor bytes are a deterministic pattern.
void write_safetensors(const std::filesystem::path& path, const std::vector<TensorSpec>& tensors);

// A safetensors file with a given header text and `data_bytes` bytes of data after it.
void write_raw_safetensors(const std::filesystem::path& path, const std::string& header,
                           uint64_t data_bytes);

// A stored (uncompressed) zip archive like torch.save writes: ARCHIVE/data.pkl, ARCHIVE/data/0.
void write_torch_zip(const std::filesystem::path& path);

void write_text(const std::filesystem::path& path, const std::string& text);

// A temporary folder removed at the end of its scope.
struct TempDir {
  std::filesystem::path path;
  TempDir();
  ~TempDir();
};

// Tiny dims for Chatterbox (a dims file in the format volume/manifest.cpp reads).
nlohmann::json tiny_chatterbox_dims();

// Writes a complete tiny repository for `alias` (chatterbox, higgs, higgs-tokenizer) into `dir`,
// whose tensors match `dims_file` (chatterbox) or its own config.json (higgs).
void write_tiny_repository(const std::string& alias, const std::filesystem::path& dir,
                           const std::string& dims_file);

// The same, in Hugging Face cache layout under hub/models--ORG--NAME (blobs named by sha256,
// snapshot links, refs/main). Returns the snapshot folder.
std::filesystem::path write_tiny_hf_cache(const std::string& alias, const std::string& repo_id,
                                          const std::filesystem::path& hub,
                                          const std::string& dims_file,
                                          const std::string& revision = "0123abcd");

}  // namespace warmtts::testing

// Strict parser of a safetensors file's header (8-byte little-endian length, then a JSON object
// of tensor name -> {dtype, shape, data_offsets}). It checks what the reference Rust library
// checks: a sane length, valid JSON, known dtypes, offsets that match dtype x shape, tensors that
// tile the data section without gaps or overlaps, and nothing past the end of the file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace warmtts::volume {

struct SafetensorsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct TensorEntry {
  std::string name;
  std::string dtype;  // "F32", "BF16", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // absolute offsets in the file
  uint64_t end = 0;
};

struct SafetensorsHeader {
  uint64_t header_size = 0;
  uint64_t data_start = 0;  // 8 + header_size
  std::vector<TensorEntry> tensors;  // in file order
  std::map<std::string, std::string> metadata;

  const TensorEntry* find(std::string_view name) const;
};

// Bytes per element; 0 for an unknown dtype.
size_t dtype_size(std::string_view dtype);

// `bytes` starts at the beginning of the file and holds at least the header (it may hold more);
// `file_size` is the size of the whole file. Throws SafetensorsError naming the problem.
SafetensorsHeader parse_safetensors_header(std::string_view bytes, uint64_t file_size);

// Reads only the header of a file.
SafetensorsHeader read_safetensors_header(const std::filesystem::path& path);

}  // namespace warmtts::volume

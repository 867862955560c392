// safetensors -> at::Tensor. The file is memory-mapped and tensors are views of the mapping
// (zero copy, the mapping lives as long as any tensor does), or read into one owned buffer.
// The header is parsed and checked by volume/safetensors_header (the same strict parser the
// verification step uses).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>

#include <ATen/core/Tensor.h>

#include "volume/safetensors_header.hpp"

namespace warmtts::runtime {

class SafetensorsFile {
 public:
  enum class Mode {
    mmap,  // map the file; tensors point into the page cache
    read,  // read() the data section into one allocation
  };

  // Throws std::runtime_error (or volume::SafetensorsError) naming the file and the problem.
  static SafetensorsFile open(const std::filesystem::path& path, Mode mode = Mode::mmap);

  const volume::SafetensorsHeader& header() const { return header_; }
  bool contains(const std::string& name) const { return header_.find(name) != nullptr; }

  // A CPU tensor in the file's dtype sharing this file's memory. Throws for an unknown name.
  at::Tensor tensor(const std::string& name) const;
  std::map<std::string, at::Tensor> tensors() const;

  // The file's data section (for hashing or touching every byte).
  const uint8_t* data() const;
  size_t size() const;

 private:
  struct Memory;
  std::filesystem::path path_;
  volume::SafetensorsHeader header_;
  std::shared_ptr<Memory> memory_;
};

// The ATen dtype of a safetensors dtype name; throws for one libtorch has no type for.
at::ScalarType scalar_type_of(const std::string& dtype);

}  // namespace warmtts::runtime

#include "sidecars/runtime/safetensors_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include <ATen/ops/from_blob.h>

namespace warmtts::runtime {

// The bytes of the whole file, mapped or read; freed when the last tensor using them goes.
struct SafetensorsFile::Memory {
  uint8_t* base = nullptr;
  size_t length = 0;
  bool mapped = false;
  ~Memory() {
    if (mapped)
      munmap(base, length);
    else
      std::free(base);
  }
};

at::ScalarType scalar_type_of(const std::string& d) {
  if (d == "F32") return at::kFloat;
  if (d == "F16") return at::kHalf;
  if (d == "BF16") return at::kBFloat16;
  if (d == "F64") return at::kDouble;
  if (d == "I64") return at::kLong;
  if (d == "I32") return at::kInt;
  if (d == "I16") return at::kShort;
  if (d == "I8") return at::kChar;
  if (d == "U8") return at::kByte;
  if (d == "BOOL") return at::kBool;
  throw std::runtime_error("safetensors dtype " + d + " has no libtorch type here");
}

SafetensorsFile SafetensorsFile::open(const std::filesystem::path& path, Mode mode) {
  SafetensorsFile f;
  f.path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(path.string() + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  fstat(fd, &st);
  auto memory = std::make_shared<Memory>();
  memory->length = static_cast<size_t>(st.st_size);
  if (mode == Mode::mmap) {
    void* p = mmap(nullptr, memory->length, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
      ::close(fd);
      throw std::runtime_error(path.string() + ": mmap failed: " + std::strerror(errno));
    }
    memory->base = static_cast<uint8_t*>(p);
    memory->mapped = true;
    // The whole file will be read: start readahead of all of it now.
    madvise(p, memory->length, MADV_WILLNEED);
  } else {
    // 64-byte alignment keeps every tensor SIMD-friendly (safetensors aligns offsets to 8).
    memory->base = static_cast<uint8_t*>(std::aligned_alloc(64, (memory->length + 63) / 64 * 64));
    if (!memory->base) throw std::runtime_error(path.string() + ": out of memory");
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    size_t done = 0;
    while (done < memory->length) {
      ssize_t n = ::read(fd, memory->base + done, std::min<size_t>(memory->length - done, 16u << 20));
      if (n <= 0) {
        ::close(fd);
        throw std::runtime_error(path.string() + ": read failed at byte " + std::to_string(done));
      }
      done += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  f.header_ = volume::parse_safetensors_header(
      std::string_view(reinterpret_cast<const char*>(memory->base), memory->length),
      memory->length);
  f.memory_ = std::move(memory);
  return f;
}

at::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const auto* t = header_.find(name);
  if (!t) throw std::runtime_error(path_.string() + ": no tensor " + name);
  auto keep = memory_;
  // from_blob wants a mutable pointer; nothing writes through it (the mapping is read-only,
  // so a write would fault rather than corrupt the file).
  return at::from_blob(memory_->base + t->begin, t->shape, [keep](void*) {},
                       at::TensorOptions().dtype(scalar_type_of(t->dtype)));
}

std::map<std::string, at::Tensor> SafetensorsFile::tensors() const {
  std::map<std::string, at::Tensor> out;
  for (const auto& t : header_.tensors) out.emplace(t.name, tensor(t.name));
  return out;
}

const uint8_t* SafetensorsFile::data() const { return memory_->base + header_.data_start; }
size_t SafetensorsFile::size() const { return memory_->length - header_.data_start; }

}  // namespace warmtts::runtime

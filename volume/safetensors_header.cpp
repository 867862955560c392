#include "volume/safetensors_header.hpp"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

namespace warmtts::volume {
namespace {

// The safetensors library refuses larger headers too.
constexpr uint64_t max_header_size = 100'000'000;

[[noreturn]] void fail(const std::string& why) { throw SafetensorsError(why); }

}  // namespace

const TensorEntry* SafetensorsHeader::find(std::string_view name) const {
  for (const auto& t : tensors)
    if (t.name == name) return &t;
  return nullptr;
}

size_t dtype_size(std::string_view d) {
  if (d == "BOOL" || d == "U8" || d == "I8" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
  if (d == "I16" || d == "U16" || d == "F16" || d == "BF16") return 2;
  if (d == "I32" || d == "U32" || d == "F32") return 4;
  if (d == "I64" || d == "U64" || d == "F64") return 8;
  return 0;
}

SafetensorsHeader parse_safetensors_header(std::string_view bytes, uint64_t file_size) {
  if (bytes.size() < 8 || file_size < 8) fail("file is shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<uint8_t>(bytes[i]);
  if (n > max_header_size)
    fail("header length " + std::to_string(n) + " is larger than the 100 MB limit");
  if (n > file_size - 8)
    fail("header length " + std::to_string(n) + " runs past the end of the " +
         std::to_string(file_size) + "-byte file (truncated file?)");
  if (bytes.size() < 8 + n) fail("header is incomplete in the bytes read");
  SafetensorsHeader h;
  h.header_size = n;
  h.data_start = 8 + n;
  std::string_view text = bytes.substr(8, n);
  if (text.empty() || text.front() != '{') fail("header does not start with a JSON object");
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) fail("header is not a valid JSON object");

  const uint64_t data_size = file_size - h.data_start;
  for (const auto& [name, entry] : doc.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail("__metadata__ is not an object of strings");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string()) fail("__metadata__." + k + " is not a string");
        h.metadata[k] = v.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object()) fail("tensor " + name + ": entry is not an object");
    TensorEntry t;
    t.name = name;
    auto dtype = entry.find("dtype");
    auto shape = entry.find("shape");
    auto offsets = entry.find("data_offsets");
    if (dtype == entry.end() || !dtype->is_string()) fail("tensor " + name + ": no dtype string");
    if (shape == entry.end() || !shape->is_array()) fail("tensor " + name + ": no shape array");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2)
      fail("tensor " + name + ": data_offsets is not [begin, end]");
    if (entry.size() != 3) fail("tensor " + name + ": unexpected keys beside dtype, shape, data_offsets");
    t.dtype = dtype->get<std::string>();
    size_t elem = dtype_size(t.dtype);
    if (elem == 0) fail("tensor " + name + ": unknown dtype " + t.dtype);
    // Element count with overflow checks: a hostile header must not wrap around.
    uint64_t count = 1;
    for (const auto& d : *shape) {
      if (!d.is_number_unsigned()) fail("tensor " + name + ": shape holds a non-negative integer only");
      uint64_t v = d.get<uint64_t>();
      if (v != 0 && count > UINT64_MAX / v) fail("tensor " + name + ": shape overflows");
      count *= v;
      t.shape.push_back(static_cast<int64_t>(std::min<uint64_t>(v, INT64_MAX)));
    }
    if (count > UINT64_MAX / elem) fail("tensor " + name + ": byte size overflows");
    for (const auto& o : *offsets)
      if (!o.is_number_unsigned()) fail("tensor " + name + ": data_offsets are not integers");
    uint64_t b = (*offsets)[0].get<uint64_t>(), e = (*offsets)[1].get<uint64_t>();
    if (e < b) fail("tensor " + name + ": data_offsets end before they begin");
    if (e - b != count * elem)
      fail("tensor " + name + ": data_offsets span " + std::to_string(e - b) + " bytes but " +
           t.dtype + " x shape needs " + std::to_string(count * elem));
    if (e > data_size)
      fail("tensor " + name + ": data ends at " + std::to_string(e) + ", past the " +
           std::to_string(data_size) + "-byte data section (truncated file?)");
    t.begin = h.data_start + b;
    t.end = h.data_start + e;
    h.tensors.push_back(std::move(t));
  }
  // Tensors must tile the data section exactly: no overlap, no gap, nothing after the last.
  std::vector<const TensorEntry*> order;
  for (const auto& t : h.tensors) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
  });
  uint64_t at = h.data_start;
  for (const auto* t : order) {
    if (t->begin < at) fail("tensor " + t->name + " overlaps the tensor before it");
    if (t->begin > at) fail("tensor " + t->name + " leaves a gap before it in the data section");
    at = t->end;
  }
  if (at != file_size)
    fail("data section has " + std::to_string(file_size - at) +
         " bytes after the last tensor (the file is longer than its header says)");
  std::sort(h.tensors.begin(), h.tensors.end(),
            [](const auto& a, const auto& b) { return a.begin < b.begin; });
  return h;
}

SafetensorsHeader read_safetensors_header(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open for reading");
  std::error_code ec;
  uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) fail("cannot stat: " + ec.message());
  std::string head(8, '\0');
  if (!in.read(head.data(), 8)) fail("file is shorter than the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = n << 8 | static_cast<uint8_t>(head[i]);
  if (n > max_header_size || n > size - 8) return parse_safetensors_header(head, size);
  head.resize(8 + n);
  if (!in.read(head.data() + 8, static_cast<std::streamsize>(n))) fail("cannot read the header");
  return parse_safetensors_header(head, size);
}

}  // namespace warmtts::volume

// libFuzzer target: the safetensors header parser on arbitrary bytes, as if they were a whole
// file. Built with clang -fsanitize=fuzzer,address by tests/fuzz/run_safetensors_fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "volume/safetensors_header.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    auto h = warmtts::volume::parse_safetensors_header(
        std::string_view(reinterpret_cast<const char*>(data), size), size);
    // Whatever it accepts must lie inside the buffer.
    for (const auto& t : h.tensors)
      if (t.begin > t.end || t.end > size) __builtin_trap();
  } catch (const warmtts::volume::SafetensorsError&) {
  }
  return 0;
}

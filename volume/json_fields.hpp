// Reading numbers out of JSON configuration files (config.json, dims files) with errors that name
// the key. Header-only: the volume verifier and the Chatterbox engine both read dimensions.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace warmtts::volume {

// obj[key] as a positive integer, or `fallback` when obj has no such key.
inline int64_t positive_integer(const nlohmann::json& obj, const char* key, int64_t fallback) {
  if (!obj.is_object() || !obj.contains(key)) return fallback;
  const auto& v = obj[key];
  if (!v.is_number_integer() || v.get<int64_t>() <= 0)
    throw std::runtime_error(std::string(key) + " must be a positive integer");
  return v.get<int64_t>();
}

}  // namespace warmtts::volume

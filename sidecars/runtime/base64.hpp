// RFC 4648 base64 (standard alphabet, padded), for audio in JSON.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace warmtts::base64 {

std::string encode(std::string_view bytes);

// nullopt when `text` is not valid base64 (wrong alphabet, bad padding or length). Whitespace
// (line breaks from `base64` tools) is skipped; a data-URL prefix is not accepted.
std::optional<std::string> decode(std::string_view text);

}  // namespace warmtts::base64

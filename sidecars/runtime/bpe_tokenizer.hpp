// A Hugging Face tokenizer.json with a BPE model, as the `tokenizers` library encodes it:
// added tokens split out first; pre-tokenizers Whitespace, Split (regex), ByteLevel and
// Sequence of them (PCRE2 with Unicode properties); BPE merges by rank with ignore_merges,
// unk and byte fallback; TemplateProcessing for special tokens. Enough for Chatterbox's
// EnTokenizer and Higgs Audio's Llama-3 tokenizer; anything else is refused at load.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace warmtts::runtime {

class BpeTokenizer {
 public:
  // Throws std::runtime_error naming what the file holds that is not supported.
  static BpeTokenizer load(const std::filesystem::path& tokenizer_json);
  static BpeTokenizer from_json_text(const std::string& text);

  BpeTokenizer(BpeTokenizer&&) noexcept;
  BpeTokenizer& operator=(BpeTokenizer&&) noexcept;
  ~BpeTokenizer();

  std::vector<int64_t> encode(const std::string& text, bool add_special_tokens = true) const;

  // -1 when the token is not in the vocabulary (added tokens included).
  int64_t token_to_id(const std::string& token) const;

 private:
  BpeTokenizer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace warmtts::runtime

// Chatterbox's English text front end (specs/chatterbox.md §3): punctuation normalisation
// (tts.py punc_norm) and EnTokenizer.encode (spaces become [SPACE], then BPE).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sidecars/runtime/bpe_tokenizer.hpp"

namespace warmtts::chatterbox {

// punc_norm: an empty text becomes a stock sentence, the first letter is capitalised, runs of
// whitespace collapse to one space, LLM-style punctuation is replaced, and a full stop is added
// when the text does not end in . ! ? - or ,
std::string normalize_punctuation(const std::string& text);

// EnTokenizer.encode: text.replace(' ', '[SPACE]') through the tokenizer (no [START]/[STOP];
// the T3 input adds those).
std::vector<int64_t> encode_english(const runtime::BpeTokenizer& tokenizer, const std::string& text);

}  // namespace warmtts::chatterbox

#include "sidecars/runtime/bpe_tokenizer.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <map>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <nlohmann/json.hpp>

namespace warmtts::runtime {
namespace {

using nlohmann::json;

// A compiled PCRE2 pattern in UTF mode with Unicode properties (\p{L}, \s, ...).
class Regex {
 public:
  explicit Regex(const std::string& pattern) {
    int err = 0;
    PCRE2_SIZE offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.c_str()), pattern.size(),
                          PCRE2_UTF | PCRE2_UCP, &err, &offset, nullptr);
    if (!code_) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      throw std::runtime_error("tokenizer regex does not compile at " + std::to_string(offset) +
                               ": " + reinterpret_cast<char*>(msg));
    }
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);  // best effort; matching works without it
    data_ = pcre2_match_data_create_from_pattern(code_, nullptr);
  }
  Regex(const Regex&) = delete;
  ~Regex() {
    pcre2_match_data_free(data_);
    pcre2_code_free(code_);
  }

  // [begin, end) byte ranges of every match, left to right.
  std::vector<std::pair<size_t, size_t>> find_all(const std::string& s) const {
    std::vector<std::pair<size_t, size_t>> out;
    size_t at = 0;
    while (at <= s.size()) {
      int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), at, 0, data_,
                           nullptr);
      if (rc < 0) break;
      PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data_);
      size_t b = ov[0], e = ov[1];
      if (e == b) {  // empty match: step one UTF-8 character
        at = b + 1;
        while (at < s.size() && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) ++at;
        continue;
      }
      out.emplace_back(b, e);
      at = e;
    }
    return out;
  }

 private:
  pcre2_code* code_ = nullptr;
  pcre2_match_data* data_ = nullptr;  // not thread-safe: one tokenizer per engine thread
};

// GPT-2's reversible byte -> printable character map, as UTF-8 strings.
const std::vector<std::string>& byte_chars() {
  static const std::vector<std::string> table = [] {
    std::vector<int> bs;
    for (int b = '!'; b <= '~'; ++b) bs.push_back(b);
    for (int b = 0xA1; b <= 0xAC; ++b) bs.push_back(b);
    for (int b = 0xAE; b <= 0xFF; ++b) bs.push_back(b);
    std::vector<int> cs = bs;
    int n = 0;
    for (int b = 0; b < 256; ++b)
      if (std::find(bs.begin(), bs.end(), b) == bs.end()) {
        bs.push_back(b);
        cs.push_back(256 + n++);
      }
    std::vector<std::string> out(256);
    for (size_t i = 0; i < bs.size(); ++i) {
      int c = cs[i];
      std::string u;
      if (c < 0x80) {
        u += static_cast<char>(c);
      } else {
        u += static_cast<char>(0xC0 | (c >> 6));
        u += static_cast<char>(0x80 | (c & 0x3F));
      }
      out[bs[i]] = u;
    }
    return out;
  }();
  return table;
}

// UTF-8 characters of a string.
std::vector<std::string> characters(const std::string& s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    size_t n = 1;
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0xF0) n = 4;
    else if (c >= 0xE0) n = 3;
    else if (c >= 0xC0) n = 2;
    n = std::min(n, s.size() - i);
    out.push_back(s.substr(i, n));
    i += n;
  }
  return out;
}

// One step of a pre-tokenizer pipeline: splits every piece into smaller ones.
struct PreTokenizer {
  enum Kind { regex_matches, regex_isolated, byte_level } kind;
  std::unique_ptr<Regex> regex;
  bool byte_level_use_regex = false;
  bool add_prefix_space = false;
};

const char* gpt2_pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// The tokenizers crate's Whitespace: \w+|[^\w\s]+ with Rust's Unicode \w.
const char* whitespace_pattern =
    R"([\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}]+|[^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\x{200C}\x{200D}\s]+)";

struct AddedToken {
  std::string content;
  int64_t id;
};

}  // namespace

struct BpeTokenizer::Impl {
  std::unordered_map<std::string, int64_t> vocab;
  std::map<std::pair<std::string, std::string>, int64_t> merge_rank;
  std::vector<AddedToken> added;  // longest first
  std::vector<PreTokenizer> pre;
  int64_t unk_id = -1;
  bool fuse_unk = false;
  bool byte_fallback = false;
  bool ignore_merges = false;
  // TemplateProcessing "single": ids before and after the sequence.
  std::vector<int64_t> prefix_ids, suffix_ids;

  void parse_pre_tokenizer(const json& p) {
    if (p.is_null()) return;
    const std::string type = p.value("type", "");
    if (type == "Sequence") {
      for (const auto& item : p["pretokenizers"]) parse_pre_tokenizer(item);
    } else if (type == "Whitespace") {
      pre.push_back({PreTokenizer::regex_matches, std::make_unique<Regex>(whitespace_pattern)});
    } else if (type == "Split") {
      if (p.value("invert", false)) throw std::runtime_error("tokenizer: inverted Split is not supported");
      if (p.value("behavior", "") != "Isolated")
        throw std::runtime_error("tokenizer: Split behavior " + p.value("behavior", "") + " is not supported");
      const auto& pat = p["pattern"];
      std::string regex;
      if (pat.contains("Regex")) {
        regex = pat["Regex"].get<std::string>();
      } else {  // a literal string
        for (char c : pat["String"].get<std::string>()) {
          if (std::string("\\^$.|?*+()[]{}").find(c) != std::string::npos) regex += '\\';
          regex += c;
        }
      }
      pre.push_back({PreTokenizer::regex_isolated, std::make_unique<Regex>(regex)});
    } else if (type == "ByteLevel") {
      PreTokenizer bl{PreTokenizer::byte_level, nullptr};
      bl.byte_level_use_regex = p.value("use_regex", true);
      bl.add_prefix_space = p.value("add_prefix_space", false);
      if (bl.byte_level_use_regex) bl.regex = std::make_unique<Regex>(gpt2_pattern);
      pre.push_back(std::move(bl));
    } else {
      throw std::runtime_error("tokenizer: pre-tokenizer " + type + " is not supported");
    }
  }

  std::vector<std::string> pre_tokenize(const std::string& text) const {
    std::vector<std::string> pieces{text};
    for (const auto& step : pre) {
      std::vector<std::string> next;
      for (const auto& piece : pieces) {
        if (step.kind == PreTokenizer::byte_level) {
          std::string p = step.add_prefix_space && !piece.empty() && piece[0] != ' ' ? " " + piece : piece;
          std::vector<std::string> parts;
          if (step.regex)
            for (auto [b, e] : step.regex->find_all(p)) parts.push_back(p.substr(b, e - b));
          else
            parts.push_back(p);
          for (const auto& part : parts) {
            std::string mapped;
            for (unsigned char c : part) mapped += byte_chars()[c];
            next.push_back(mapped);
          }
          continue;
        }
        size_t last = 0;
        for (auto [b, e] : step.regex->find_all(piece)) {
          // Isolated: the text between matches stays a piece of its own.
          if (step.kind == PreTokenizer::regex_isolated && b > last)
            next.push_back(piece.substr(last, b - last));
          next.push_back(piece.substr(b, e - b));
          last = e;
        }
        if (step.kind == PreTokenizer::regex_isolated && last < piece.size())
          next.push_back(piece.substr(last));
      }
      pieces = std::move(next);
    }
    return pieces;
  }

  // BPE of one pre-token: merge the lowest-ranked adjacent pair (leftmost on ties) until none.
  void bpe(const std::string& word, std::vector<int64_t>& out) const {
    if (ignore_merges) {
      if (auto it = vocab.find(word); it != vocab.end()) {
        out.push_back(it->second);
        return;
      }
    }
    std::vector<std::string> symbols = characters(word);
    for (;;) {
      int64_t best = std::numeric_limits<int64_t>::max();
      size_t at = 0;
      for (size_t i = 0; i + 1 < symbols.size(); ++i) {
        auto it = merge_rank.find({symbols[i], symbols[i + 1]});
        if (it != merge_rank.end() && it->second < best) {
          best = it->second;
          at = i;
        }
      }
      if (best == std::numeric_limits<int64_t>::max()) break;
      symbols[at] += symbols[at + 1];
      symbols.erase(symbols.begin() + static_cast<long>(at) + 1);
    }
    bool last_was_unk = false;
    for (const auto& s : symbols) {
      if (auto it = vocab.find(s); it != vocab.end()) {
        out.push_back(it->second);
        last_was_unk = false;
      } else if (byte_fallback) {
        for (unsigned char c : s) {
          char name[8];
          std::snprintf(name, sizeof name, "<0x%02X>", c);
          auto b = vocab.find(name);
          if (b == vocab.end()) throw std::runtime_error("tokenizer: byte fallback token missing");
          out.push_back(b->second);
        }
      } else if (unk_id >= 0) {
        if (!(fuse_unk && last_was_unk)) out.push_back(unk_id);
        last_was_unk = true;
      } else {
        throw std::runtime_error("tokenizer: no token for \"" + s + "\" and no unk_token");
      }
    }
  }
};

BpeTokenizer::BpeTokenizer() : impl_(std::make_unique<Impl>()) {}
BpeTokenizer::BpeTokenizer(BpeTokenizer&&) noexcept = default;
BpeTokenizer& BpeTokenizer::operator=(BpeTokenizer&&) noexcept = default;
BpeTokenizer::~BpeTokenizer() = default;

BpeTokenizer BpeTokenizer::load(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return from_json_text(ss.str());
}

BpeTokenizer BpeTokenizer::from_json_text(const std::string& text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) throw std::runtime_error("tokenizer.json is not valid JSON");
  BpeTokenizer t;
  auto& m = *t.impl_;
  if (!doc["normalizer"].is_null())
    throw std::runtime_error("tokenizer: normalizer " + doc["normalizer"].value("type", std::string("?")) +
                             " is not supported");
  const auto& model = doc["model"];
  if (model.value("type", "") != "BPE")
    throw std::runtime_error("tokenizer: model " + model.value("type", std::string("?")) + " is not BPE");
  if (!model["continuing_subword_prefix"].is_null() || !model["end_of_word_suffix"].is_null())
    throw std::runtime_error("tokenizer: subword prefixes/suffixes are not supported");
  for (const auto& [token, id] : model["vocab"].items()) m.vocab[token] = id.get<int64_t>();
  int64_t rank = 0;
  for (const auto& merge : model["merges"]) {
    std::string a, b;
    if (merge.is_string()) {  // "a b" (older files)
      const auto& s = merge.get_ref<const std::string&>();
      auto space = s.find(' ');
      a = s.substr(0, space);
      b = s.substr(space + 1);
    } else {  // ["a", "b"]
      a = merge[0].get<std::string>();
      b = merge[1].get<std::string>();
    }
    m.merge_rank.emplace(std::make_pair(a, b), rank++);
  }
  m.fuse_unk = model.value("fuse_unk", false);
  m.byte_fallback = model.value("byte_fallback", false);
  m.ignore_merges = model.value("ignore_merges", false);
  if (model["unk_token"].is_string()) {
    auto it = m.vocab.find(model["unk_token"].get<std::string>());
    if (it != m.vocab.end()) m.unk_id = it->second;
  }
  for (const auto& a : doc["added_tokens"]) {
    if (a.value("lstrip", false) || a.value("rstrip", false) || a.value("single_word", false))
      throw std::runtime_error("tokenizer: added token " + a.value("content", std::string()) +
                               " uses lstrip/rstrip/single_word, which is not supported");
    m.added.push_back({a["content"].get<std::string>(), a["id"].get<int64_t>()});
    m.vocab.emplace(m.added.back().content, m.added.back().id);
  }
  std::stable_sort(m.added.begin(), m.added.end(),
                   [](const AddedToken& x, const AddedToken& y) { return x.content.size() > y.content.size(); });
  m.parse_pre_tokenizer(doc["pre_tokenizer"]);
  const auto& post = doc["post_processor"];
  if (!post.is_null()) {
    if (post.value("type", "") != "TemplateProcessing")
      throw std::runtime_error("tokenizer: post-processor " + post.value("type", std::string("?")) +
                               " is not supported");
    bool seen_sequence = false;
    for (const auto& piece : post["single"]) {
      if (piece.contains("Sequence")) {
        seen_sequence = true;
        continue;
      }
      const auto name = piece["SpecialToken"]["id"].get<std::string>();
      for (const auto& id : post["special_tokens"][name]["ids"])
        (seen_sequence ? m.suffix_ids : m.prefix_ids).push_back(id.get<int64_t>());
    }
  }
  return t;
}

std::vector<int64_t> BpeTokenizer::encode(const std::string& text, bool add_special_tokens) const {
  const auto& m = *impl_;
  std::vector<int64_t> out;
  if (add_special_tokens) out = m.prefix_ids;
  auto encode_plain = [&](const std::string& segment) {
    if (segment.empty()) return;
    for (const auto& piece : m.pre_tokenize(segment))
      if (!piece.empty()) m.bpe(piece, out);
  };
  // Added tokens first: the leftmost occurrence, the longest one at that place.
  size_t at = 0;
  while (at < text.size()) {
    size_t best_pos = std::string::npos;
    const AddedToken* best = nullptr;
    for (const auto& a : m.added) {
      size_t p = text.find(a.content, at);
      if (p != std::string::npos && (p < best_pos || (p == best_pos && a.content.size() > best->content.size()))) {
        best_pos = p;
        best = &a;
      }
    }
    if (!best) break;
    encode_plain(text.substr(at, best_pos - at));
    out.push_back(best->id);
    at = best_pos + best->content.size();
  }
  encode_plain(text.substr(std::min(at, text.size())));
  if (add_special_tokens) out.insert(out.end(), m.suffix_ids.begin(), m.suffix_ids.end());
  return out;
}

int64_t BpeTokenizer::token_to_id(const std::string& token) const {
  auto it = impl_->vocab.find(token);
  return it == impl_->vocab.end() ? -1 : it->second;
}

}  // namespace warmtts::runtime

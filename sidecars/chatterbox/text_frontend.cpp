#include "sidecars/chatterbox/text_frontend.hpp"

#include <utility>

namespace warmtts::chatterbox {
namespace {

// Decodes one UTF-8 code point at `i`, advancing it.
char32_t next_code_point(const std::string& s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  int n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
  char32_t cp = n == 1 ? c : c & (0x7F >> n);
  for (int k = 1; k < n && i + k < s.size(); ++k) cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  i += n;
  return cp;
}

std::string to_utf8(char32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// Python's str.upper() for the lowercase letters of Latin, Latin-1, Greek and Cyrillic.
char32_t upper(char32_t c) {
  if ((c >= U'a' && c <= U'z') || (c >= 0xE0 && c <= 0xFE && c != 0xF7)) return c - 0x20;
  if (c >= 0x3B1 && c <= 0x3C9 && c != 0x3C2) return c - 0x20;
  if (c >= 0x430 && c <= 0x44F) return c - 0x20;
  if (c >= 0x450 && c <= 0x45F) return c - 0x50;
  return c;
}

// Python's str.split() separators.
bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0D) || c == 0x20 || (c >= 0x1C && c <= 0x1F) || c == 0x85 ||
         c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

bool ends_with(const std::string& s, const std::string& end) {
  return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
}

}  // namespace

std::string normalize_punctuation(const std::string& input) {
  if (input.empty()) return "You need to add some text for me to talk.";
  // Capitalise the first letter, then collapse whitespace (Python's " ".join(text.split())).
  std::string text;
  size_t i = 0;
  char32_t first = next_code_point(input, i);
  std::string rest = to_utf8(upper(first)) + input.substr(i);
  bool pending_space = false;
  for (size_t j = 0; j < rest.size();) {
    size_t start = j;
    char32_t cp = next_code_point(rest, j);
    if (is_space(cp)) {
      pending_space = !text.empty();
      continue;
    }
    if (pending_space) text += ' ';
    pending_space = false;
    text.append(rest, start, j - start);
  }
  static const std::pair<const char*, const char*> replacements[] = {
      {"...", ", "}, {"\u2026", ", "}, {":", ","},   {" - ", ", "}, {";", ", "},
      {"\u2014", "-"}, {"\u2013", "-"}, {" ,", ","}, {"\u201c", "\""}, {"\u201d", "\""},
      {"\u2018", "'"}, {"\u2019", "'"},
  };
  for (const auto& [from, to] : replacements) replace_all(text, from, to);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  bool ended = false;
  for (const char* e : {".", "!", "?", "-", ","}) ended = ended || ends_with(text, e);
  if (!ended) text += ".";
  return text;
}

std::vector<int64_t> encode_english(const runtime::BpeTokenizer& tokenizer, const std::string& text) {
  std::string spaced = text;
  replace_all(spaced, " ", "[SPACE]");
  return tokenizer.encode(spaced, /*add_special_tokens=*/true);
}

}  // namespace warmtts::chatterbox

#include "volume/file_checks.hpp"

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "volume/safetensors_header.hpp"

namespace warmtts::volume {
namespace fs = std::filesystem;
namespace {

std::string hex(const unsigned char* d, unsigned n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (unsigned i = 0; i < n; ++i) {
    s += digits[d[i] >> 4];
    s += digits[d[i] & 15];
  }
  return s;
}

std::string digest_file(const fs::path& file, const EVP_MD* md, const std::string& prefix) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + file.string());
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, md, nullptr);
  EVP_DigestUpdate(ctx, prefix.data(), prefix.size());
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(in.gcount()));
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_DigestFinal_ex(ctx, out, &n);
  EVP_MD_CTX_free(ctx);
  return hex(out, n);
}

uint64_t le(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

bool inside(const fs::path& file, const fs::path& root) {
  std::error_code ec;
  auto f = fs::canonical(file, ec);
  if (ec) return false;
  auto r = fs::canonical(root, ec);
  if (ec) return false;
  auto rel = f.lexically_relative(r);
  return !rel.empty() && *rel.begin() != "..";
}

bool is_hex(const std::string& s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// Checks one safetensors file's header, and the expected tensors found in it.
void check_safetensors(const fs::path& path, const std::string& file, std::vector<Check>& out,
                       std::map<std::string, const TensorEntry*>* found,
                       std::deque<SafetensorsHeader>* keep) {
  try {
    keep->push_back(read_safetensors_header(path));
    out.push_back({file, "safetensors-header", true,
                   std::to_string(keep->back().tensors.size()) + " tensors"});
  } catch (const SafetensorsError& e) {
    out.push_back({file, "safetensors-header", false,
                   std::string(e.what()) + "; the file is damaged or incomplete: download it again"});
    return;
  }
  for (const auto& t : keep->back().tensors) (*found)[t.name] = &t;
}

std::string shape_text(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(s[i]);
  }
  return out + "]";
}

// Compares what the headers hold with what the manifest expects.
void check_tensors(const std::string& file, const std::vector<ExpectedTensor>& expected,
                   const std::map<std::string, const TensorEntry*>& found,
                   std::vector<Check>& out) {
  if (expected.empty()) return;
  // Wrong dtypes and shapes first: they say more than a list of missing names.
  std::vector<std::string> problems, missing;
  for (const auto& e : expected) {
    const TensorEntry* t = nullptr;
    if (auto it = found.find(e.name); it != found.end()) t = it->second;
    for (const auto& alt : e.alternatives)
      if (!t)
        if (auto it = found.find(alt); it != found.end()) t = it->second;
    if (!t) {
      missing.push_back(e.name + " is missing");
    } else if (!e.dtype.empty() && t->dtype != e.dtype) {
      problems.push_back(e.name + " is " + t->dtype + ", expected " + e.dtype);
    } else if (e.check_shape && t->shape != e.shape) {
      problems.push_back(e.name + " has shape " + shape_text(t->shape) + ", expected " +
                         shape_text(e.shape));
    }
  }
  problems.insert(problems.end(), missing.begin(), missing.end());
  if (problems.empty()) {
    out.push_back({file, "tensors", true, std::to_string(expected.size()) + " expected tensors"});
    return;
  }
  std::string detail = std::to_string(problems.size()) + " of " + std::to_string(expected.size()) +
                       " expected tensors wrong: ";
  for (size_t i = 0; i < problems.size() && i < 5; ++i) detail += (i ? "; " : "") + problems[i];
  if (problems.size() > 5) detail += "; ...";
  detail += " (a file of another model or version? check the source, or the dims file)";
  out.push_back({file, "tensors", false, detail});
}

}  // namespace

std::vector<std::string> zip_entry_names(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open");
  in.seekg(0, std::ios::end);
  const uint64_t size = static_cast<uint64_t>(in.tellg());
  if (size < 22) throw std::runtime_error("too short to be a zip archive");
  // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
  uint64_t tail_len = std::min<uint64_t>(size, 65557);
  std::vector<unsigned char> tail(tail_len);
  in.seekg(static_cast<std::streamoff>(size - tail_len));
  in.read(reinterpret_cast<char*>(tail.data()), static_cast<std::streamsize>(tail_len));
  int64_t eocd = -1;
  for (int64_t i = static_cast<int64_t>(tail_len) - 22; i >= 0; --i)
    if (le(&tail[i], 4) == 0x06054b50) {
      eocd = i;
      break;
    }
  if (eocd < 0) throw std::runtime_error("no zip end record (not a zip archive, or truncated)");
  uint64_t count = le(&tail[eocd + 10], 2), cd_size = le(&tail[eocd + 12], 4),
           cd_offset = le(&tail[eocd + 16], 4);
  if (cd_offset == 0xFFFFFFFF || count == 0xFFFF) {
    // Zip64: the locator sits right before the end record.
    if (eocd < 20 || le(&tail[eocd - 20], 4) != 0x07064b50)
      throw std::runtime_error("zip64 archive without its locator");
    uint64_t rec = le(&tail[eocd - 20 + 8], 8);
    if (rec + 56 > size) throw std::runtime_error("zip64 end record past the end of the file");
    unsigned char r[56];
    in.seekg(static_cast<std::streamoff>(rec));
    in.read(reinterpret_cast<char*>(r), 56);
    if (le(r, 4) != 0x06064b50) throw std::runtime_error("bad zip64 end record");
    count = le(r + 32, 8);
    cd_size = le(r + 40, 8);
    cd_offset = le(r + 48, 8);
  }
  if (cd_offset + cd_size > size || cd_size > (1u << 30))
    throw std::runtime_error("central directory lies past the end of the file (truncated?)");
  std::vector<unsigned char> cd(cd_size);
  in.seekg(static_cast<std::streamoff>(cd_offset));
  in.read(reinterpret_cast<char*>(cd.data()), static_cast<std::streamsize>(cd_size));
  std::vector<std::string> names;
  uint64_t at = 0;
  for (uint64_t i = 0; i < count; ++i) {
    if (at + 46 > cd_size || le(&cd[at], 4) != 0x02014b50)
      throw std::runtime_error("damaged central directory");
    uint64_t name_len = le(&cd[at + 28], 2), extra = le(&cd[at + 30], 2), comment = le(&cd[at + 32], 2);
    uint64_t local = le(&cd[at + 42], 4);
    if (at + 46 + name_len > cd_size) throw std::runtime_error("damaged central directory");
    if (local != 0xFFFFFFFF && local >= cd_offset)
      throw std::runtime_error("an entry starts past the file data");
    names.emplace_back(reinterpret_cast<const char*>(&cd[at + 46]), name_len);
    at += 46 + name_len + extra + comment;
  }
  return names;
}

std::string sha256_file(const fs::path& file) { return digest_file(file, EVP_sha256(), ""); }

std::string git_blob_sha1_file(const fs::path& file) {
  std::string prefix = "blob " + std::to_string(fs::file_size(file)) + std::string(1, '\0');
  return digest_file(file, EVP_sha1(), prefix);
}

std::vector<Check> check_repository(const Location& where, const std::vector<FileRule>& rules,
                                    const CheckOptions& options) {
  std::vector<Check> out;
  std::deque<SafetensorsHeader> headers;  // stable: the maps below point into it
  for (const auto& rule : rules) {
    const fs::path path = where.dir / rule.name;
    std::error_code ec;
    if (!fs::exists(path, ec)) {
      out.push_back({rule.name, "present", false,
                     "missing from " + where.dir.string() + "; fetch the model again (warmtts models fetch)"});
      continue;
    }
    if (!inside(path, where.root)) {
      out.push_back({rule.name, "inside-root", false,
                     "resolves to " + fs::canonical(path, ec).string() + ", outside " +
                         where.root.string() + "; refusing a symlink that leaves the source"});
      continue;
    }
    {
      std::ifstream in(path, std::ios::binary);
      char c;
      if (!in || (!in.get(c) && fs::file_size(path, ec) > 0)) {
        out.push_back({rule.name, "readable", false, "cannot be read (permissions?)"});
        continue;
      }
    }
    out.push_back({rule.name, "present", true, std::to_string(fs::file_size(path, ec)) + " bytes"});

    std::map<std::string, const TensorEntry*> found;
    switch (rule.kind) {
      case FileKind::safetensors:
        check_safetensors(path, rule.name, out, &found, &headers);
        if (!found.empty()) check_tensors(rule.name, rule.tensors, found, out);
        break;
      case FileKind::safetensors_index: {
        // Tensors are spread over shards: check each against the shard the index names.
        std::ifstream in(path);
        auto index = nlohmann::json::parse(in, nullptr, false);
        std::map<std::string, std::string> where_is;
        for (const auto& [name, shard] : index["weight_map"].items()) where_is[name] = shard;
        std::map<std::string, std::map<std::string, const TensorEntry*>> by_shard;
        std::map<std::string, const TensorEntry*> all;
        for (const auto& [name, shard] : where_is) {
          if (!by_shard.count(shard)) {
            by_shard[shard];
            try {
              headers.push_back(read_safetensors_header(where.dir / shard));
              for (const auto& t : headers.back().tensors) by_shard[shard][t.name] = &t;
            } catch (const std::exception&) {
              // Reported by the shard's own rule.
            }
          }
          auto it = by_shard[shard].find(name);
          if (it != by_shard[shard].end()) all[name] = it->second;
        }
        check_tensors(rule.name, rule.tensors, all, out);
        break;
      }
      case FileKind::torch_zip:
        try {
          auto names = zip_entry_names(path);
          bool pickle = std::any_of(names.begin(), names.end(), [](const std::string& n) {
            return n.size() >= 8 && n.compare(n.size() - 8, 8, "data.pkl") == 0;
          });
          out.push_back({rule.name, "torch-zip", pickle,
                         pickle ? std::to_string(names.size()) + " entries"
                                : "zip archive without a data.pkl entry: not a torch.save file"});
        } catch (const std::exception& e) {
          out.push_back({rule.name, "torch-zip", false,
                         std::string(e.what()) + "; the file is damaged or incomplete: download it again"});
        }
        break;
      case FileKind::json: {
        std::ifstream in(path);
        bool ok = !nlohmann::json::parse(in, nullptr, false).is_discarded();
        out.push_back({rule.name, "json", ok, ok ? "" : "is not valid JSON"});
        break;
      }
    }

    if (options.hash && where.hf_cache) {
      // A cache blob is named by its hash: sha256 for LFS files, git's sha1 for small ones.
      std::string blob = fs::canonical(path, ec).filename().string();
      std::string actual;
      if (blob.size() == 64 && is_hex(blob)) actual = sha256_file(path);
      else if (blob.size() == 40 && is_hex(blob)) actual = git_blob_sha1_file(path);
      if (actual.empty())
        out.push_back({rule.name, "hash", false, "blob name " + blob + " is not a sha256 or sha1"});
      else
        out.push_back({rule.name, "hash", actual == blob,
                       actual == blob ? "matches its blob name"
                                      : "content hash " + actual + " differs from blob name " + blob +
                                            ": the file is corrupt; delete it and fetch again"});
    }
  }
  return out;
}

}  // namespace warmtts::volume

#include "tests/support/checkpoint_files.hpp"

#include <unistd.h>

#include <fstream>
#include <random>

#include "volume/file_checks.hpp"
#include "volume/manifest.hpp"
#include "volume/safetensors_header.hpp"
#include "volume/sources.hpp"

namespace warmtts::testing {
namespace fs = std::filesystem;

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

void write_raw_safetensors(const fs::path& path, const std::string& header, uint64_t data_bytes) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out += header;
  out.append(data_bytes, '\x11');
  write_text(path, out);
}

void write_safetensors(const fs::path& path, const std::vector<TensorSpec>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t at = 0;
  for (const auto& t : tensors) {
    uint64_t n = volume::dtype_size(t.dtype);
    for (auto d : t.shape) n *= static_cast<uint64_t>(d);
    header[t.name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {at, at + n}}};
    at += n;
  }
  header["__metadata__"] = {{"format", "pt"}};
  write_raw_safetensors(path, header.dump(), at);
}

void write_torch_zip(const fs::path& path) {
  struct Entry {
    std::string name, data;
    uint32_t offset = 0;
  };
  std::vector<Entry> entries = {{"archive/data.pkl", std::string("\x80\x02}q\x00.", 6)},
                                {"archive/data/0", std::string(16, '\0')},
                                {"archive/version", "3\n"}};
  auto u16 = [](std::string& s, uint16_t v) { s += char(v & 0xff); s += char(v >> 8); };
  auto u32 = [](std::string& s, uint32_t v) { for (int i = 0; i < 4; ++i) s += char((v >> (8 * i)) & 0xff); };
  std::string out;
  for (auto& e : entries) {
    e.offset = static_cast<uint32_t>(out.size());
    u32(out, 0x04034b50); u16(out, 20); u16(out, 0); u16(out, 0); u16(out, 0); u16(out, 0);
    u32(out, 0);  // crc (not checked by our reader)
    u32(out, static_cast<uint32_t>(e.data.size())); u32(out, static_cast<uint32_t>(e.data.size()));
    u16(out, static_cast<uint16_t>(e.name.size())); u16(out, 0);
    out += e.name + e.data;
  }
  uint32_t cd_start = static_cast<uint32_t>(out.size());
  for (auto& e : entries) {
    u32(out, 0x02014b50); u16(out, 20); u16(out, 20); u16(out, 0); u16(out, 0); u16(out, 0); u16(out, 0);
    u32(out, 0);
    u32(out, static_cast<uint32_t>(e.data.size())); u32(out, static_cast<uint32_t>(e.data.size()));
    u16(out, static_cast<uint16_t>(e.name.size())); u16(out, 0); u16(out, 0); u16(out, 0); u16(out, 0);
    u32(out, 0); u32(out, e.offset);
    out += e.name;
  }
  uint32_t cd_size = static_cast<uint32_t>(out.size()) - cd_start;
  u32(out, 0x06054b50); u16(out, 0); u16(out, 0);
  u16(out, static_cast<uint16_t>(entries.size())); u16(out, static_cast<uint16_t>(entries.size()));
  u32(out, cd_size); u32(out, cd_start); u16(out, 0);
  write_text(path, out);
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/warmtts-test-XXXXXX";
  path = mkdtemp(tmpl);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

nlohmann::json tiny_chatterbox_dims() {
  return {{"t3", {{"layers", 2}, {"hidden", 16}, {"ffn", 32}, {"text_vocab", 20}, {"speech_vocab", 30},
                  {"text_positions", 12}, {"speech_positions", 14}, {"speaker_dim", 8},
                  {"perceiver_queries", 4}}},
          {"ve", {{"mels", 5}, {"hidden", 6}, {"layers", 2}}},
          {"s3gen", {{"speech_vocab", 25}, {"flow_dim", 12}, {"mels", 7}, {"xvector_dim", 9},
                     {"tokenizer_dim", 10}}}};
}

namespace {

nlohmann::json tiny_higgs_config() {
  return {{"model_type", "higgs_audio"},
          {"torch_dtype", "float32"},
          {"audio_num_codebooks", 2},
          {"audio_codebook_size", 6},
          {"text_config",
           {{"hidden_size", 16}, {"num_hidden_layers", 2}, {"num_attention_heads", 4},
            {"num_key_value_heads", 2}, {"head_dim", 4}, {"intermediate_size", 24},
            {"vocab_size", 40}}}};
}

std::vector<TensorSpec> as_specs(const std::vector<volume::ExpectedTensor>& expected) {
  std::vector<TensorSpec> out;
  for (const auto& e : expected)
    out.push_back({e.name, e.dtype.empty() ? "F32" : e.dtype,
                   e.check_shape ? e.shape : std::vector<int64_t>{2, 3}});
  return out;
}

}  // namespace

void write_tiny_repository(const std::string& alias, const fs::path& dir,
                           const std::string& dims_file) {
  fs::create_directories(dir);
  volume::RepoManifest repo;
  for (const auto& model : {"chatterbox", "higgs"})
    for (const auto& m : volume::manifests_for_model(model))
      if (m.alias == alias) repo = m;
  if (alias == "higgs") {
    write_text(dir / "config.json", tiny_higgs_config().dump());
    write_text(dir / "tokenizer.json", R"({"model": {"type": "BPE"}})");
    write_text(dir / "tokenizer_config.json", "{}");
    // Two shards, split by layer, like the official three.
    write_text(dir / "model.safetensors.index.json", R"({"weight_map": {}})");
    auto rules = volume::file_rules(repo, dir, dims_file);
    const auto& expected = rules[3].tensors;  // the index rule
    std::vector<TensorSpec> a, b;
    nlohmann::json index{{"metadata", {{"total_size", 0}}}, {"weight_map", nlohmann::json::object()}};
    for (const auto& t : as_specs(expected)) {
      bool second = t.name.rfind("layers.1.", 0) == 0 || t.name.rfind("audio_", 0) == 0;
      (second ? b : a).push_back(t);
      index["weight_map"][t.name] = second ? "model-00002-of-00002.safetensors"
                                           : "model-00001-of-00002.safetensors";
    }
    write_safetensors(dir / "model-00001-of-00002.safetensors", a);
    write_safetensors(dir / "model-00002-of-00002.safetensors", b);
    write_text(dir / "model.safetensors.index.json", index.dump());
  } else if (alias == "higgs-tokenizer") {
    write_text(dir / "config.json", R"({"D": 256, "n_q": 8, "sample_rate": 24000})");
    write_torch_zip(dir / "model.pth");
  } else {
    for (const auto& rule : volume::file_rules(repo, dir, dims_file)) {
      if (rule.kind == volume::FileKind::safetensors)
        write_safetensors(dir / rule.name, as_specs(rule.tensors));
      else if (rule.kind == volume::FileKind::torch_zip)
        write_torch_zip(dir / rule.name);
      else
        write_text(dir / rule.name, R"({"model": {"type": "BPE"}})");
    }
  }
}

fs::path write_tiny_hf_cache(const std::string& alias, const std::string& repo_id,
                             const fs::path& hub, const std::string& dims_file,
                             const std::string& revision) {
  const fs::path root = hub / volume::hf_cache_folder(repo_id);
  const fs::path staging = root / ".staging";
  write_tiny_repository(alias, staging, dims_file);
  const fs::path snapshot = root / "snapshots" / revision;
  fs::create_directories(root / "blobs");
  fs::create_directories(snapshot);
  for (const auto& entry : fs::directory_iterator(staging)) {
    std::string hash = volume::sha256_file(entry.path());
    fs::rename(entry.path(), root / "blobs" / hash);
    fs::create_symlink(fs::path("../../blobs") / hash, snapshot / entry.path().filename());
  }
  fs::remove_all(staging);
  write_text(root / "refs" / "main", revision);
  return snapshot;
}

}  // namespace warmtts::testing

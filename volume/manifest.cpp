#include "volume/manifest.hpp"

#include <fstream>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "sidecars/chatterbox/chatterbox_dims.hpp"
#include "volume/json_fields.hpp"

namespace warmtts::volume {
namespace {

using nlohmann::json;

json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.filename().string() + ": cannot be read");
  json doc = json::parse(in, nullptr, false);
  if (doc.is_discarded()) throw std::runtime_error(path.filename().string() + ": is not valid JSON");
  return doc;
}

using chatterbox::ChatterboxDims;

int64_t dim(const json& obj, const char* key, int64_t fallback) {
  return positive_integer(obj, key, fallback);
}

std::vector<ExpectedTensor> voice_encoder_tensors(const ChatterboxDims& d) {
  std::vector<ExpectedTensor> t;
  const int64_t gates = 4 * d.ve_hidden;  // LSTM gates i, f, g, o
  for (int64_t l = 0; l < d.ve_layers; ++l) {
    auto s = std::to_string(l);
    t.push_back({"lstm.weight_ih_l" + s, "F32", {gates, l == 0 ? d.ve_mels : d.ve_hidden}});
    t.push_back({"lstm.weight_hh_l" + s, "F32", {gates, d.ve_hidden}});
    t.push_back({"lstm.bias_ih_l" + s, "F32", {gates}});
    t.push_back({"lstm.bias_hh_l" + s, "F32", {gates}});
  }
  t.push_back({"proj.weight", "F32", {d.ve_hidden, d.ve_hidden}});
  t.push_back({"proj.bias", "F32", {d.ve_hidden}});
  t.push_back({"similarity_weight", "F32", {1}});
  t.push_back({"similarity_bias", "F32", {1}});
  return t;
}

// All 292 tensors of the English T3 (specs/chatterbox.md §1.3).
std::vector<ExpectedTensor> t3_tensors(const ChatterboxDims& d) {
  const int64_t h = d.t3_hidden;
  std::vector<ExpectedTensor> t;
  for (int64_t i = 0; i < d.t3_layers; ++i) {
    std::string p = "tfmr.layers." + std::to_string(i) + ".";
    for (const char* m : {"q_proj", "k_proj", "v_proj", "o_proj"})
      t.push_back({p + "self_attn." + m + ".weight", "F32", {h, h}});
    t.push_back({p + "mlp.gate_proj.weight", "F32", {d.t3_ffn, h}});
    t.push_back({p + "mlp.up_proj.weight", "F32", {d.t3_ffn, h}});
    t.push_back({p + "mlp.down_proj.weight", "F32", {h, d.t3_ffn}});
    t.push_back({p + "input_layernorm.weight", "F32", {h}});
    t.push_back({p + "post_attention_layernorm.weight", "F32", {h}});
  }
  t.push_back({"tfmr.norm.weight", "F32", {h}});
  t.push_back({"tfmr.embed_tokens.weight", "F32", {8, h}});
  t.push_back({"text_emb.weight", "F32", {d.text_vocab, h}});
  t.push_back({"speech_emb.weight", "F32", {d.speech_vocab, h}});
  t.push_back({"text_head.weight", "F32", {d.text_vocab, h}});
  t.push_back({"speech_head.weight", "F32", {d.speech_vocab, h}});
  t.push_back({"text_pos_emb.emb.weight", "F32", {d.text_positions, h}});
  t.push_back({"speech_pos_emb.emb.weight", "F32", {d.speech_positions, h}});
  t.push_back({"cond_enc.spkr_enc.weight", "F32", {h, d.speaker_dim}});
  t.push_back({"cond_enc.spkr_enc.bias", "F32", {h}});
  t.push_back({"cond_enc.emotion_adv_fc.weight", "F32", {h, 1}});
  t.push_back({"cond_enc.perceiver.pre_attention_query", "F32", {1, d.perceiver_queries, h}});
  t.push_back({"cond_enc.perceiver.attn.norm.weight", "F32", {h}});
  t.push_back({"cond_enc.perceiver.attn.norm.bias", "F32", {h}});
  for (const char* m : {"to_q", "to_k", "to_v", "proj_out"}) {
    t.push_back({std::string("cond_enc.perceiver.attn.") + m + ".weight", "F32", {h, h}});
    t.push_back({std::string("cond_enc.perceiver.attn.") + m + ".bias", "F32", {h}});
  }
  return t;
}

// S3Gen has ~2,000 tensors; these are the ones whose shapes pin its configuration, plus one
// per sub-model so that a file from another model is caught.
std::vector<ExpectedTensor> s3gen_tensors(const ChatterboxDims& d) {
  std::vector<ExpectedTensor> t;
  t.push_back({"flow.input_embedding.weight", "F32", {d.s3_speech_vocab, d.flow_dim}});
  t.push_back({"flow.spk_embed_affine_layer.weight", "F32", {d.mels, d.xvector_dim}});
  t.push_back({"flow.spk_embed_affine_layer.bias", "F32", {d.mels}});
  t.push_back({"flow.encoder_proj.weight", "F32", {d.mels, d.flow_dim}});
  t.push_back({"flow.encoder_proj.bias", "F32", {d.mels}});
  t.push_back({"tokenizer.quantizer._codebook.project_down.weight", "F32", {8, d.s3tokenizer_dim}});
  t.push_back({"tokenizer.quantizer._codebook.project_down.bias", "F32", {8}});
  t.push_back({"mel2wav.m_source.l_linear.weight", "F32", {1, 9}});
  ExpectedTensor conv_pre{"mel2wav.conv_pre.parametrizations.weight.original1", "F32", {}, false};
  conv_pre.alternatives = {"mel2wav.conv_pre.weight_v"};
  t.push_back(conv_pre);
  t.push_back({"flow.decoder.estimator.time_mlp.linear_1.weight", "F32", {}, false});
  t.push_back({"speaker_encoder.xvector.dense.linear.weight", "F32", {}, false});
  return t;
}

std::string hf_dtype(const std::string& torch_dtype) {
  if (torch_dtype == "bfloat16") return "BF16";
  if (torch_dtype == "float16") return "F16";
  if (torch_dtype == "float32") return "F32";
  throw std::runtime_error("config.json: torch_dtype " + torch_dtype + " is not supported");
}

// Every tensor of the Higgs Audio v2 LLM, shapes from its config.json (specs §1.1).
std::vector<ExpectedTensor> higgs_tensors(const json& config) {
  json text = config.value("text_config", json::object());
  const int64_t h = dim(text, "hidden_size", 3072), layers = dim(text, "num_hidden_layers", 28),
                heads = dim(text, "num_attention_heads", 24),
                kv = dim(text, "num_key_value_heads", 8),
                head_dim = dim(text, "head_dim", h / heads),
                ffn = dim(text, "intermediate_size", 8192), vocab = dim(text, "vocab_size", 128256);
  const int64_t codes = (dim(config, "audio_num_codebooks", 8)) *
                        (dim(config, "audio_codebook_size", 1024) + 2);
  const std::string dt = hf_dtype(config.value("torch_dtype", std::string("bfloat16")));
  std::vector<ExpectedTensor> t;
  for (int64_t i = 0; i < layers; ++i) {
    std::string p = "layers." + std::to_string(i) + ".";
    t.push_back({p + "self_attn.q_proj.weight", dt, {heads * head_dim, h}});
    t.push_back({p + "self_attn.k_proj.weight", dt, {kv * head_dim, h}});
    t.push_back({p + "self_attn.v_proj.weight", dt, {kv * head_dim, h}});
    t.push_back({p + "self_attn.o_proj.weight", dt, {h, heads * head_dim}});
    for (const char* mlp : {"mlp", "audio_mlp"}) {
      t.push_back({p + mlp + ".gate_proj.weight", dt, {ffn, h}});
      t.push_back({p + mlp + ".up_proj.weight", dt, {ffn, h}});
      t.push_back({p + mlp + ".down_proj.weight", dt, {h, ffn}});
    }
    for (const char* norm : {"input_layernorm", "post_attention_layernorm", "audio_input_layernorm",
                             "audio_post_attention_layernorm"})
      t.push_back({p + norm + ".weight", dt, {h}});
  }
  t.push_back({"embed_tokens.weight", dt, {vocab, h}});
  t.push_back({"norm.weight", dt, {h}});
  t.push_back({"audio_codebook_embeddings.weight", dt, {codes, h}});
  t.push_back({"audio_decoder_proj.audio_lm_head.weight", dt, {codes, h}});
  t.push_back({"audio_decoder_proj.text_lm_head.weight", dt, {vocab, h}});
  return t;
}

}  // namespace

std::vector<RepoManifest> manifests_for_model(const std::string& model) {
  if (model == "chatterbox")
    return {{"chatterbox",
             "ResembleAI/chatterbox",
             {"ve.safetensors", "t3_cfg.safetensors", "s3gen.safetensors", "tokenizer.json",
              "conds.pt"}}};
  if (model == "higgs")
    return {{"higgs",
             "bosonai/higgs-audio-v2-generation-3B-base",
             {"config.json", "model.safetensors.index.json", "tokenizer.json",
              "tokenizer_config.json"}},
            {"higgs-tokenizer", "bosonai/higgs-audio-v2-tokenizer", {"config.json", "model.pth"}}};
  throw std::runtime_error("no manifest for model " + model);
}

std::vector<FileRule> file_rules(const RepoManifest& repo, const std::filesystem::path& dir,
                                 const std::string& dims_file) {
  std::vector<FileRule> rules;
  if (repo.alias == "chatterbox") {
    auto d = ChatterboxDims::load(dims_file);
    rules.push_back({"ve.safetensors", FileKind::safetensors, voice_encoder_tensors(d)});
    rules.push_back({"t3_cfg.safetensors", FileKind::safetensors, t3_tensors(d)});
    rules.push_back({"s3gen.safetensors", FileKind::safetensors, s3gen_tensors(d)});
    rules.push_back({"tokenizer.json", FileKind::json, {}});
    rules.push_back({"conds.pt", FileKind::torch_zip, {}});
  } else if (repo.alias == "higgs") {
    json config = read_json(dir / "config.json");
    rules.push_back({"config.json", FileKind::json, {}});
    rules.push_back({"tokenizer.json", FileKind::json, {}});
    rules.push_back({"tokenizer_config.json", FileKind::json, {}});
    rules.push_back({"model.safetensors.index.json", FileKind::safetensors_index,
                     higgs_tensors(config)});
    // The shards the index names are required files too.
    json index = read_json(dir / "model.safetensors.index.json");
    if (!index.contains("weight_map") || !index["weight_map"].is_object())
      throw std::runtime_error("model.safetensors.index.json: has no weight_map object");
    std::set<std::string> shards;
    for (const auto& [name, shard] : index["weight_map"].items()) {
      if (!shard.is_string())
        throw std::runtime_error("model.safetensors.index.json: weight_map." + name +
                                 " is not a file name");
      shards.insert(shard.get<std::string>());
    }
    for (const auto& s : shards) {
      if (s.find('/') != std::string::npos || s.find("..") != std::string::npos)
        throw std::runtime_error("model.safetensors.index.json: shard name " + s +
                                 " leaves the repository");
      rules.push_back({s, FileKind::safetensors, {}});
    }
  } else if (repo.alias == "higgs-tokenizer") {
    rules.push_back({"config.json", FileKind::json, {}});
    rules.push_back({"model.pth", FileKind::torch_zip, {}});
  } else {
    throw std::runtime_error("no file rules for repository " + repo.alias);
  }
  return rules;
}

}  // namespace warmtts::volume

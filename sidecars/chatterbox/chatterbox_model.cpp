#include "sidecars/chatterbox/chatterbox_model.hpp"

#include <cmath>

#include <ATen/TensorOperators.h>
#include <ATen/ops/cos.h>
#include <ATen/ops/linspace.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>
#include <c10/core/InferenceMode.h>

#include "sidecars/chatterbox/text_frontend.hpp"
#include "sidecars/runtime/checkpoint.hpp"
#include "sidecars/runtime/dsp.hpp"
#include "sidecars/runtime/safetensors_file.hpp"

namespace warmtts::chatterbox {
namespace {

constexpr int64_t start_text_token = 255, stop_text_token = 0;  // T3Config

runtime::LlamaConfig t3_backbone(const ChatterboxDims& d) {
  runtime::LlamaConfig c;  // Llama_520M: Llama-3 RoPE, theta 500000, eps 1e-5
  c.hidden_size = d.t3_hidden;
  c.num_hidden_layers = d.t3_layers;
  c.num_attention_heads = d.t3_heads;
  c.num_key_value_heads = d.t3_heads;
  c.head_dim = d.t3_hidden / d.t3_heads;
  c.intermediate_size = d.t3_ffn;
  c.rope_scaling.llama3 = true;
  return c;
}

const at::Tensor& conds_tensor(const std::map<std::string, at::Tensor>& conds, const std::string& name) {
  auto it = conds.find(name);
  if (it == conds.end()) throw std::runtime_error("conds.pt: no " + name);
  return it->second;
}

}  // namespace

ChatterboxModel::ChatterboxModel(const std::filesystem::path& folder, const ChatterboxDims& dims)
    : dims_(dims), tokenizer_(runtime::BpeTokenizer::load(folder / "tokenizer.json")) {
  using runtime::SafetensorsFile;
  ve_ = std::make_unique<VoiceEncoder>(VoiceEncoderWeights::load(SafetensorsFile::open(folder / "ve.safetensors")));

  const auto t3_file = SafetensorsFile::open(folder / "t3_cfg.safetensors");
  const auto backbone = t3_backbone(dims);
  t3_cond_ = T3ConditioningWeights::load(t3_file);
  t3_ = std::make_unique<T3>(T3Weights::load(t3_file, backbone), backbone);

  const auto s3gen = SafetensorsFile::open(folder / "s3gen.safetensors").tensors();
  s3_tokenizer_ = std::make_unique<S3Tokenizer>(S3TokenizerWeights::load(s3gen));
  campplus_ = std::make_unique<CampPlus>(CampPlusWeights::load(s3gen));
  flow_ = std::make_unique<S3GenFlow>(s3gen);
  hift_ = std::make_unique<Hift>(HiftWeights::load(s3gen));

  mel_filters_ = runtime::mel_filterbank(sample_rate, 1920, 80, 0, 8000);
  // S3Token2Wav.trim_fade: 20 ms of silence, then a 20 ms raised-cosine fade-in.
  constexpr int64_t n_trim = sample_rate / 50;
  trim_fade_ = at::zeros({2 * n_trim});
  trim_fade_.slice(0, n_trim).copy_((at::cos(at::linspace(M_PI, 0, n_trim)) + 1) / 2);

  const auto conds = runtime::load_torch_file(folder / "conds.pt");
  builtin_.speaker_emb = conds_tensor(conds, "t3.speaker_emb").to(at::kFloat).reshape({1, -1});
  builtin_.cond_prompt_speech_tokens = conds_tensor(conds, "t3.cond_prompt_speech_tokens").to(at::kLong).reshape({1, -1});
  builtin_.flow.prompt_token = conds_tensor(conds, "gen.prompt_token").to(at::kLong).reshape({1, -1});
  builtin_.flow.prompt_feat = conds_tensor(conds, "gen.prompt_feat").to(at::kFloat);
  builtin_.flow.embedding = conds_tensor(conds, "gen.embedding").to(at::kFloat).reshape({1, -1});
}

VoiceConditionals ChatterboxModel::clone_voice(const at::Tensor& wav24, const at::Tensor& wav16) const {
  c10::InferenceMode inference;  // no autograd bookkeeping; conds.pt tensors may require grad
  VoiceConditionals v;
  // S3Gen's prompt (embed_ref): the first 10 s at 24 kHz; its mel; the same span at 16 kHz
  // through torchaudio's resampler for the x-vector and the prompt tokens.
  auto ref24 = wav24.slice(0, 0, flow_prompt_seconds * sample_rate).contiguous();
  auto prompt_feat = runtime::matcha_log_mel(ref24, mel_filters_).transpose(0, 1).unsqueeze(0).contiguous();
  auto ref16 = runtime::sinc_resample(ref24, sample_rate, tokenizer_rate);
  v.flow.embedding = campplus_->embed(ref16);
  auto prompt_tokens = s3_tokenizer_->tokenize(ref16).unsqueeze(0);
  if (prompt_feat.size(1) != 2 * prompt_tokens.size(1))
    prompt_tokens = prompt_tokens.slice(1, 0, prompt_feat.size(1) / 2);
  if (prompt_tokens.size(1) == 0) throw InvalidInput("the reference clip is too short to give speech tokens");
  v.flow.prompt_token = prompt_tokens.contiguous();
  v.flow.prompt_feat = prompt_feat;

  // T3's speech prompt: at most 150 tokens of the first 6 s at 16 kHz (soxr).
  auto head16 = wav16.slice(0, 0, prompt_seconds * tokenizer_rate).contiguous();
  v.cond_prompt_speech_tokens = s3_tokenizer_->tokenize(head16, t3_prompt_tokens).unsqueeze(0);
  v.speaker_emb = ve_->embed(wav16).reshape({1, -1});
  return v;
}

std::vector<int64_t> ChatterboxModel::text_tokens(const std::string& text) const {
  std::vector<int64_t> ids{start_text_token};
  for (int64_t id : encode_english(tokenizer_, normalize_punctuation(text))) ids.push_back(id);
  ids.push_back(stop_text_token);
  return ids;
}

std::vector<int64_t> ChatterboxModel::speech_tokens(const VoiceConditionals& voice, const ChatterboxRequest& request,
                                                    runtime::TokenDraw& draw, const CancelToken* cancel,
                                                    const std::function<void(int64_t)>& on_token) const {
  c10::InferenceMode inference;  // no autograd bookkeeping; conds.pt tensors may require grad
  auto text = text_tokens(request.text);
  if (static_cast<int64_t>(text.size()) > dims_.text_positions)
    throw InvalidInput("input.text gives " + std::to_string(text.size()) + " tokens; at most " +
                       std::to_string(dims_.text_positions) + " fit the model");
  auto cond_emb = t3_conditioning(t3_cond_, voice.speaker_emb, voice.cond_prompt_speech_tokens, request.exaggeration);
  T3Sampling sampling = request.sampling;
  // Speech positions 0 (BOS) .. max_new_tokens must exist in the position table.
  sampling.max_new_tokens = std::min(sampling.max_new_tokens, dims_.speech_positions - 2);
  std::vector<int64_t> valid;
  for (int64_t t : t3_->generate(cond_emb, text, sampling, draw, cancel, on_token))
    if (t < s3_speech_vocab) valid.push_back(t);  // drop_invalid_tokens
  return valid;
}

at::Tensor ChatterboxModel::mel(const std::vector<int64_t>& tokens, const VoiceConditionals& voice,
                                at::Generator& gen, const CancelToken* cancel) const {
  c10::InferenceMode inference;  // no autograd bookkeeping; conds.pt tensors may require grad
  auto t = at::tensor(tokens, at::TensorOptions().dtype(at::kLong)).unsqueeze(0);
  return flow_->inference(t, voice.flow, gen, cancel);
}

at::Tensor ChatterboxModel::vocode(const at::Tensor& mel, at::Generator& gen) const {
  c10::InferenceMode inference;  // no autograd bookkeeping; conds.pt tensors may require grad
  auto wav = hift_->synthesize(mel, gen).reshape({-1});
  const int64_t n = std::min<int64_t>(wav.size(0), trim_fade_.size(0));
  wav.slice(0, 0, n).mul_(trim_fade_.slice(0, 0, n));
  return wav;
}

}  // namespace warmtts::chatterbox

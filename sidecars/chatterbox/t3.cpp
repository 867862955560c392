#include "sidecars/chatterbox/t3.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/embedding.h>
#include <ATen/ops/full.h>
#include <ATen/ops/tensor.h>

namespace warmtts::chatterbox {

T3Weights T3Weights::load(const runtime::SafetensorsFile& f, const runtime::LlamaConfig& config) {
  T3Weights w;
  w.text_emb_weight = f.tensor("text_emb.weight");
  w.text_pos_emb_emb_weight = f.tensor("text_pos_emb.emb.weight");
  w.speech_emb_weight = f.tensor("speech_emb.weight");
  w.speech_pos_emb_emb_weight = f.tensor("speech_pos_emb.emb.weight");
  w.speech_head_weight = f.tensor("speech_head.weight");
  w.tfmr = runtime::load_llama_weights([&](const std::string& n) { return f.tensor(n); }, "tfmr.",
                                       config, w.speech_emb_weight.options());
  return w;
}

T3::T3(T3Weights weights, runtime::LlamaConfig config) : w_(std::move(weights)) {
  auto options = w_.speech_emb_weight.options();
  tfmr_ = std::make_unique<runtime::Llama>(std::move(w_.tfmr), config,
                                           /*max_positions=*/8192, options);
}

at::Tensor T3::speech_embedding(int64_t token, int64_t position, int64_t batch) const {
  auto e = w_.speech_emb_weight[token] + w_.speech_pos_emb_emb_weight[position];
  return e.view({1, 1, -1}).expand({batch, 1, -1});
}

std::vector<int64_t> T3::generate(const at::Tensor& cond_emb, const std::vector<int64_t>& text_tokens,
                                  const T3Sampling& s, runtime::TokenDraw& draw,
                                  const CancelToken* cancel,
                                  const std::function<void(int64_t)>& on_token) const {
  const bool cfg = s.cfg_weight > 0;
  const int64_t batch = cfg ? 2 : 1;
  auto long_opts = at::TensorOptions().dtype(at::kLong);
  auto text = at::tensor(text_tokens, long_opts);
  const int64_t lt = text.size(0);
  // Text rows: the unconditional row keeps its positions but loses the token content.
  auto text_emb = at::embedding(w_.text_emb_weight, text).unsqueeze(0).repeat({batch, 1, 1});
  if (cfg) text_emb[1].zero_();
  text_emb = text_emb + at::embedding(w_.text_pos_emb_emb_weight, at::arange(lt, long_opts));
  // [cond | text | BOS@0 | BOS@0]: prepare_input_embeds adds one BOS, inference() another.
  auto bos = speech_embedding(start_speech_token, 0, batch);
  auto prefill = at::cat({cond_emb.expand({batch, -1, -1}), text_emb, bos, bos}, 1);

  auto cache = tfmr_->make_cache(batch, prefill.size(1) + s.max_new_tokens + 1);
  auto hidden = tfmr_->forward(prefill, cache);
  std::vector<int64_t> generated{start_speech_token};  // the repetition penalty counts BOS
  std::vector<int64_t> out;
  for (int64_t i = 0; i < s.max_new_tokens; ++i) {
    if (cancel && cancel->requested()) throw SynthesisCancelled();
    auto logits = runtime::dense(hidden.select(1, hidden.size(1) - 1), w_.speech_head_weight);  // [B, V]
    auto scores = cfg ? runtime::cfg_mix(logits.narrow(0, 0, 1), logits.narrow(0, 1, 1), s.cfg_weight)
                      : logits.narrow(0, 0, 1);
    scores = runtime::repetition_penalty(scores, at::tensor(generated, long_opts).unsqueeze(0),
                                         s.repetition_penalty);
    if (s.temperature != 1.0) scores = runtime::temperature(scores, s.temperature);
    scores = runtime::min_p(scores, s.min_p);
    scores = runtime::top_p(scores, s.top_p);
    const int64_t token = draw.draw(scores.softmax(-1)).item<int64_t>();
    out.push_back(token);
    generated.push_back(token);
    if (on_token) on_token(token);
    if (token == stop_speech_token) break;
    hidden = tfmr_->forward(speech_embedding(token, i + 1, batch), cache);
  }
  return out;
}

}  // namespace warmtts::chatterbox

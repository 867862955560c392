// Chatterbox's VoiceEncoder (specs/chatterbox.md §4.1): a 3-layer LSTM over 160-frame partials
// of a 40-bin power mel, giving the 256-d speaker embedding T3 is conditioned on. Weights are
// ve.safetensors' tensors; the widths are read from their shapes.
#pragma once

#include <vector>

#include <ATen/core/Tensor.h>

#include "sidecars/runtime/safetensors_file.hpp"

namespace warmtts::chatterbox {

// lstm.*_l{i}
struct VoiceEncoderLstmLayer {
  at::Tensor weight_ih;  // lstm.weight_ih_l{i} [4H, in]
  at::Tensor weight_hh;  // lstm.weight_hh_l{i} [4H, H]
  at::Tensor bias_ih;    // lstm.bias_ih_l{i} [4H]
  at::Tensor bias_hh;    // lstm.bias_hh_l{i} [4H]
};

struct VoiceEncoderWeights {
  std::vector<VoiceEncoderLstmLayer> lstm;
  at::Tensor proj_weight;  // proj.weight [E, H]
  at::Tensor proj_bias;    // proj.bias [E]

  static VoiceEncoderWeights load(const runtime::SafetensorsFile& file);
};

// librosa.effects.trim(wav, top_db): the span whose frames (2048/512, RMS, centred) are within
// top_db of the loudest one.
at::Tensor trim_silence(const at::Tensor& wav, double top_db = 20);

class VoiceEncoder {
 public:
  explicit VoiceEncoder(VoiceEncoderWeights weights);

  // [T, 40] power mel of a 16 kHz clip (librosa melspectrogram, no log).
  at::Tensor mel(const at::Tensor& wav16) const;
  // Embeddings of [N, 160, 40] partials, each L2-normalised: [N, E].
  at::Tensor embed_partials(const at::Tensor& partials) const;
  // embeds_from_wavs([wav16], 16000): trim, mel, partials (rate 1.3, coverage 0.8), mean,
  // L2-normalise. [E]
  at::Tensor embed(const at::Tensor& wav16) const;

 private:
  VoiceEncoderWeights w_;
  at::Tensor mel_basis_;  // [40, 201]
};

}  // namespace warmtts::chatterbox

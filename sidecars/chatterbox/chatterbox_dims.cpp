#include "sidecars/chatterbox/chatterbox_dims.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "volume/json_fields.hpp"

namespace warmtts::chatterbox {
namespace {

using nlohmann::json;

int64_t dim(const json& obj, const char* key, int64_t fallback) {
  return volume::positive_integer(obj, key, fallback);
}

}  // namespace

ChatterboxDims ChatterboxDims::load(const std::string& file) {
  ChatterboxDims d;
  if (file.empty()) return d;
  std::ifstream in(file);
  const std::string name = std::filesystem::path(file).filename().string();
  if (!in) throw std::runtime_error(name + ": cannot be read");
  json doc = json::parse(in, nullptr, false);
  if (doc.is_discarded()) throw std::runtime_error(name + ": is not valid JSON");
  const json t3 = doc.value("t3", json::object()), ve = doc.value("ve", json::object()),
             s3 = doc.value("s3gen", json::object());
  d.t3_layers = dim(t3, "layers", d.t3_layers);
  d.t3_hidden = dim(t3, "hidden", d.t3_hidden);
  d.t3_ffn = dim(t3, "ffn", d.t3_ffn);
  d.t3_heads = dim(t3, "heads", d.t3_heads);
  d.text_vocab = dim(t3, "text_vocab", d.text_vocab);
  d.speech_vocab = dim(t3, "speech_vocab", d.speech_vocab);
  d.text_positions = dim(t3, "text_positions", d.text_positions);
  d.speech_positions = dim(t3, "speech_positions", d.speech_positions);
  d.speaker_dim = dim(t3, "speaker_dim", d.speaker_dim);
  d.perceiver_queries = dim(t3, "perceiver_queries", d.perceiver_queries);
  d.ve_mels = dim(ve, "mels", d.ve_mels);
  d.ve_hidden = dim(ve, "hidden", d.ve_hidden);
  d.ve_layers = dim(ve, "layers", d.ve_layers);
  d.s3_speech_vocab = dim(s3, "speech_vocab", d.s3_speech_vocab);
  d.flow_dim = dim(s3, "flow_dim", d.flow_dim);
  d.mels = dim(s3, "mels", d.mels);
  d.xvector_dim = dim(s3, "xvector_dim", d.xvector_dim);
  d.s3tokenizer_dim = dim(s3, "tokenizer_dim", d.s3tokenizer_dim);
  if (d.t3_hidden % d.t3_heads != 0)
    throw std::runtime_error(name + ": t3.hidden must be a multiple of t3.heads");
  return d;
}

}  // namespace warmtts::chatterbox

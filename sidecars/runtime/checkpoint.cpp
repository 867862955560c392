#include "sidecars/runtime/checkpoint.hpp"

#include <fstream>
#include <stdexcept>

#include <ATen/ops/_weight_norm.h>
#include <nlohmann/json.hpp>
#include <torch/csrc/jit/serialization/pickle.h>

namespace warmtts::runtime {
namespace fs = std::filesystem;

ShardedSafetensors ShardedSafetensors::open(const fs::path& index_json) {
  std::ifstream in(index_json);
  auto doc = nlohmann::json::parse(in, nullptr, false);
  if (doc.is_discarded() || !doc.contains("weight_map"))
    throw std::runtime_error(index_json.string() + ": not a safetensors index (no weight_map)");
  ShardedSafetensors s;
  std::map<std::string, size_t> shard_index;
  for (const auto& [name, shard] : doc["weight_map"].items()) {
    const auto file = shard.get<std::string>();
    auto it = shard_index.find(file);
    if (it == shard_index.end()) {
      s.shards_.push_back(std::make_shared<SafetensorsFile>(
          SafetensorsFile::open(index_json.parent_path() / file)));
      it = shard_index.emplace(file, s.shards_.size() - 1).first;
    }
    if (!s.shards_[it->second]->contains(name))
      throw std::runtime_error(file + ": the index says it holds " + name + ", but it does not");
    s.where_[name] = it->second;
  }
  return s;
}

at::Tensor ShardedSafetensors::tensor(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) throw std::runtime_error("no tensor " + name + " in the sharded checkpoint");
  return shards_[it->second]->tensor(name);
}

std::vector<std::string> ShardedSafetensors::names() const {
  std::vector<std::string> out;
  for (const auto& [name, shard] : where_) out.push_back(name);
  return out;
}

namespace {

void flatten(const c10::IValue& v, const std::string& prefix, std::map<std::string, at::Tensor>& out) {
  if (v.isTensor()) {
    out[prefix] = v.toTensor();
  } else if (v.isGenericDict()) {
    for (const auto& entry : v.toGenericDict()) {
      if (!entry.key().isString()) continue;
      const std::string key = entry.key().toStringRef();
      flatten(entry.value(), prefix.empty() ? key : prefix + "." + key, out);
    }
  }
  // None, numbers and strings carry no weights.
}

}  // namespace

std::map<std::string, at::Tensor> load_torch_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path.string() + ": cannot be read");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  c10::IValue value;
  try {
    value = torch::jit::pickle_load(bytes);
  } catch (const std::exception& e) {
    throw std::runtime_error(path.string() + ": not a readable torch.save file: " + e.what());
  }
  std::map<std::string, at::Tensor> out;
  flatten(value, "", out);
  // Files saved outside torch.no_grad() keep requires_grad; we only ever read them.
  for (auto& [name, tensor] : out) tensor = tensor.detach();
  return out;
}

SubmoduleTensors::SubmoduleTensors(std::map<std::string, at::Tensor> tensors, std::string prefix)
    : prefix_(std::move(prefix)) {
  for (auto& [name, tensor] : tensors)
    tensors_[name.rfind(prefix_, 0) == 0 ? name.substr(prefix_.size()) : name] = tensor.to(at::kFloat);
}

const at::Tensor& SubmoduleTensors::operator()(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) throw std::runtime_error("no tensor " + prefix_ + name + " in the checkpoint");
  return it->second;
}

at::Tensor fold_weight_norm(const at::Tensor& g, const at::Tensor& v) {
  int64_t dim = 0;
  for (int64_t d = 0; d < g.dim(); ++d)
    if (g.size(d) != 1) {
      dim = d;
      break;
    }
  return at::_weight_norm(v, g, dim);
}

size_t fold_weight_norms(std::map<std::string, at::Tensor>& tensors) {
  size_t folded = 0;
  const std::vector<std::pair<std::string, std::string>> forms = {
      {".weight_g", ".weight_v"},
      {".parametrizations.weight.original0", ".parametrizations.weight.original1"}};
  for (const auto& [g_suffix, v_suffix] : forms) {
    std::vector<std::string> bases;
    for (const auto& [name, t] : tensors)
      if (name.size() > g_suffix.size() && name.compare(name.size() - g_suffix.size(), g_suffix.size(), g_suffix) == 0)
        bases.push_back(name.substr(0, name.size() - g_suffix.size()));
    for (const auto& base : bases) {
      auto g = tensors.find(base + g_suffix), v = tensors.find(base + v_suffix);
      if (v == tensors.end()) throw std::runtime_error(base + g_suffix + " has no " + v_suffix + " partner");
      tensors[base + ".weight"] = fold_weight_norm(g->second, v->second);
      tensors.erase(base + g_suffix);
      tensors.erase(base + v_suffix);
      ++folded;
    }
  }
  return folded;
}

}  // namespace warmtts::runtime

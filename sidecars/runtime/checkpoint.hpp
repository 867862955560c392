// Checkpoint files beyond a single safetensors file: sharded safetensors (the index's
// weight_map), torch.save zip-pickle files (conds.pt, the Higgs tokenizer's model.pth), and the
// folding of weight-norm pairs into plain weights.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <ATen/core/Tensor.h>

#include "sidecars/runtime/safetensors_file.hpp"

namespace warmtts::runtime {

// model.safetensors.index.json and its shards (each memory-mapped once).
class ShardedSafetensors {
 public:
  static ShardedSafetensors open(const std::filesystem::path& index_json);

  bool contains(const std::string& name) const { return where_.count(name) > 0; }
  at::Tensor tensor(const std::string& name) const;  // throws naming the tensor
  std::vector<std::string> names() const;

 private:
  std::map<std::string, size_t> where_;  // tensor -> shard
  std::vector<std::shared_ptr<SafetensorsFile>> shards_;
};

// A torch.save file as flat "a.b.c" -> tensor (nested dicts flattened; None and non-tensor
// values are skipped). Throws std::runtime_error naming the file when it cannot be read.
std::map<std::string, at::Tensor> load_torch_file(const std::filesystem::path& path);

// The weight and bias of a Linear, Conv1d or LayerNorm, as checkpoints name them
// ("<name>.weight", "<name>.bias"); bias undefined when the module has none.
struct Affine {
  at::Tensor weight;
  at::Tensor bias;
};

// The tensors of one sub-model of a checkpoint (S3Gen's "mel2wav.", "tokenizer.", ...) in
// float32, named below that prefix; names that lack the prefix are taken as they are.
class SubmoduleTensors {
 public:
  SubmoduleTensors(std::map<std::string, at::Tensor> tensors, std::string prefix);

  // Throws naming the full checkpoint name when the tensor is missing.
  const at::Tensor& operator()(const std::string& name) const;
  bool has(const std::string& name) const { return tensors_.count(name) > 0; }
  // "<name>.weight" (and "<name>.bias"), throwing like operator() when one is missing.
  Affine affine(const std::string& name, bool with_bias = true) const {
    return {(*this)(name + ".weight"), with_bias ? (*this)(name + ".bias") : at::Tensor()};
  }
  // How many "<prefix>N<suffix>" tensors exist for N = 0, 1, ... (layers of a stack).
  int count(const std::string& prefix, const std::string& suffix) const {
    int n = 0;
    while (has(prefix + std::to_string(n) + suffix)) ++n;
    return n;
  }
  std::map<std::string, at::Tensor>& tensors() { return tensors_; }

 private:
  std::map<std::string, at::Tensor> tensors_;
  std::string prefix_;
};

// w = g * v / ||v||, the norm over every dimension but the one where g is not 1 (dim 0 when g
// is all ones), exactly torch's weight_norm.
at::Tensor fold_weight_norm(const at::Tensor& g, const at::Tensor& v);

// Replaces every pair X.weight_g/X.weight_v and X.parametrizations.weight.original0/original1
// with X.weight. Returns how many pairs were folded.
size_t fold_weight_norms(std::map<std::string, at::Tensor>& tensors);

}  // namespace warmtts::runtime

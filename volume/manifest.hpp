// What a complete copy of each model repository holds: its files, what kind each is, and the
// tensors (names, dtypes, shapes) that must be in its safetensors files. Shapes follow the
// model's dimensions: the official ones by default, a tiny checkpoint's when a dims file (or,
// for Higgs, the checkpoint's own config.json) says otherwise.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace warmtts::volume {

enum class FileKind {
  safetensors,        // header parsed strictly, expected tensors checked
  safetensors_index,  // model.safetensors.index.json: its shards become required files
  torch_zip,          // torch.save zip archive with a pickle entry (conds.pt, model.pth)
  json,               // parses as JSON
};

struct ExpectedTensor {
  std::string name;
  std::string dtype;  // "F32", "BF16"; "" for any float dtype
  std::vector<int64_t> shape;
  bool check_shape = true;
  std::vector<std::string> alternatives;  // other accepted names (weight-norm forms)
};

struct FileRule {
  std::string name;  // relative to the repository root
  FileKind kind;
  std::vector<ExpectedTensor> tensors;  // safetensors (or, for an index, across its shards)
};

struct RepoManifest {
  std::string alias;    // configuration name: chatterbox, higgs, higgs-tokenizer
  std::string repo_id;  // Hugging Face id: ResembleAI/chatterbox
  std::vector<std::string> files;  // files that must exist before anything else is read
};

// The repositories a model loads from, in order.
std::vector<RepoManifest> manifests_for_model(const std::string& model);

// Every file rule for a resolved repository directory. Reads what it needs from `dir` (Higgs:
// config.json and the shard index); `dims_file` overrides Chatterbox's dimensions ("" for the
// official ones). Throws std::runtime_error naming the file and the problem.
std::vector<FileRule> file_rules(const RepoManifest& repo, const std::filesystem::path& dir,
                                 const std::string& dims_file);

}  // namespace warmtts::volume

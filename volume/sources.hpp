// Where a model repository's files may be, in the order a model tries them (DESIGN.md §4):
//   dir:PATH             the files themselves, in PATH
//   runpod-cache[:HUB]   RunPod's cached models, HUB/models--ORG--NAME/snapshots/<rev>/
//                        (HUB defaults to /runpod-volume/huggingface-cache/hub)
//   volume:PATH          a network-volume folder: PATH/models--ORG--NAME (Hugging Face cache
//                        layout) or PATH/ORG/NAME (plain)
//   image:PATH           a folder baked into the image, same layouts as volume:
// Any source may pin a revision with @REV (a commit or a ref such as main) where the layout
// has revisions. No environment variable (HF_HOME, ...) is read: each repository's list is its
// own configuration value.
#pragma once

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include "volume/manifest.hpp"

namespace warmtts::volume {

struct SourceSpec {
  std::string kind;  // dir, runpod-cache, volume, image
  std::filesystem::path path;
  std::string revision;  // "" : newest complete snapshot (refs/main first)
  std::string text;      // as configured, for messages
};

// Throws std::invalid_argument naming the bad entry.
std::vector<SourceSpec> parse_sources(const std::string& list);

inline constexpr const char* default_sources =
    "runpod-cache,volume:/runpod-volume/warmtts/models,image:/opt/warmtts/models";

struct Location {
  std::filesystem::path dir;   // the repository's files
  std::filesystem::path root;  // nothing may be read from outside this folder (symlinks)
  bool hf_cache = false;       // blobs named by their hash
  std::string revision;        // snapshot commit (hf cache)
  std::string description;     // "runpod-cache /runpod-volume/.../snapshots/abc"
};

// "models--ORG--NAME": a repository's folder in a Hugging Face cache.
std::string hf_cache_folder(const std::string& repo_id);

// Where `repo` is in `source` (all of repo.files present), or why it is not there.
std::variant<Location, std::string> locate(const SourceSpec& source, const RepoManifest& repo);

}  // namespace warmtts::volume

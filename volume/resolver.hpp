// Finds and verifies every repository a model loads from: each repository tries its own
// sources in order; the first one whose files are complete and pass every check wins, and the
// others' failures are kept as reasons. Optionally copies the winner to local disk once.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "volume/file_checks.hpp"
#include "volume/manifest.hpp"
#include "volume/sources.hpp"
#include "volume/volume_probe.hpp"

namespace warmtts::volume {

struct ResolveOptions {
  std::map<std::string, std::vector<SourceSpec>> sources;  // by repository alias
  std::string chatterbox_dims;  // dims file for tiny checkpoints, "" for the official dims
  bool hash = false;
  bool probe = true;  // statfs and read-throughput probe of the winning source
  std::string local_cache;  // copy each repository here once and load from the copy
};

struct RepoReport {
  RepoManifest repo;
  bool ok = false;
  Location location;          // the winner (or the last source tried)
  std::vector<Check> checks;  // of that location
  std::vector<std::string> rejected;  // "source: why" for every source that lost
  VolumeReport volume;
  std::string copied_to;  // the local copy loaded from, when --local-cache is set

  // What a person should read when it failed.
  std::string reason() const;
};

struct ModelReport {
  std::string model;
  bool ok = false;
  std::vector<RepoReport> repos;
  double resolve_seconds = 0;
  double verify_seconds = 0;
  double copy_seconds = 0;

  std::string reason() const;
  // Repository alias -> folder to load from.
  std::map<std::string, std::string> folders() const;
};

// phase: "resolve" or "verify" as the work moves on (for the model actor's states).
using PhaseCallback = std::function<void(const std::string& phase)>;

ModelReport resolve_model(const std::string& model, const ResolveOptions& options,
                          const PhaseCallback& on_phase = {});

}  // namespace warmtts::volume

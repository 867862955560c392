// `--local-cache DIR`: a repository verified on a slow network volume is copied to local disk
// once and loaded from there. The copy is written to a temporary folder, its completion marker
// last, then renamed into place: a partial copy is never used.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "volume/manifest.hpp"
#include "volume/sources.hpp"

namespace warmtts::volume {

inline constexpr const char* completion_marker = ".warmtts-complete";

// Returns the folder of the complete local copy (reusing one made earlier).
std::string copy_to_local_cache(const Location& from, const std::vector<FileRule>& rules,
                                const RepoManifest& repo, const std::string& cache_dir);

}  // namespace warmtts::volume

#include "volume/local_cache.hpp"

#include <unistd.h>

#include <fstream>
#include <random>
#include <stdexcept>

namespace warmtts::volume {
namespace fs = std::filesystem;

std::string copy_to_local_cache(const Location& from, const std::vector<FileRule>& rules,
                                const RepoManifest& repo, const std::string& cache_dir) {
  // One folder per repository and revision, so a new snapshot gets a new copy.
  std::string name = repo.alias + "-" + (from.revision.empty() ? "plain" : from.revision);
  const fs::path target = fs::path(cache_dir) / name;
  std::error_code ec;
  if (fs::exists(target / completion_marker, ec)) return target.string();

  fs::create_directories(cache_dir);
  std::mt19937_64 rng{std::random_device{}()};
  const fs::path partial =
      fs::path(cache_dir) / (".partial-" + name + "-" + std::to_string(getpid()) + "-" +
                             std::to_string(rng() % 1000000));
  fs::remove_all(partial, ec);
  fs::create_directories(partial);
  try {
    uint64_t bytes = 0;
    for (const auto& rule : rules) {
      fs::path dst = partial / rule.name;
      fs::create_directories(dst.parent_path());
      // copy_file follows the cache's blob symlinks and writes real files.
      fs::copy_file(from.dir / rule.name, dst, fs::copy_options::overwrite_existing);
      bytes += fs::file_size(dst);
    }
    {
      std::ofstream marker(partial / completion_marker);
      marker << repo.repo_id << " " << from.revision << " " << bytes << " bytes from "
             << from.dir.string() << "\n";
      if (!marker) throw std::runtime_error("cannot write the completion marker");
    }
    fs::rename(partial, target, ec);
    if (ec) {
      // Another process finished the same copy first: use theirs.
      fs::remove_all(partial, ec);
      if (!fs::exists(target / completion_marker, ec))
        throw std::runtime_error("cannot move the copy into " + target.string());
    }
  } catch (...) {
    fs::remove_all(partial, ec);
    throw;
  }
  return target.string();
}

}  // namespace warmtts::volume

#include "volume/sources.hpp"

#include <algorithm>
#include <fstream>
#include <stdexcept>

namespace warmtts::volume {
namespace fs = std::filesystem;
namespace {

bool has_all_files(const fs::path& dir, const RepoManifest& repo, std::string* missing) {
  for (const auto& f : repo.files) {
    std::error_code ec;
    if (!fs::exists(dir / f, ec)) {  // follows symlinks: a dangling blob link is missing too
      if (missing) *missing = f;
      return false;
    }
  }
  return true;
}

std::string read_ref(const fs::path& file) {
  std::ifstream in(file);
  std::string s;
  std::getline(in, s);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

// A Hugging Face cache folder models--ORG--NAME: pick the pinned snapshot, or refs/main's, or
// the newest complete one.
std::variant<Location, std::string> locate_in_hf_cache(const fs::path& repo_root,
                                                       const SourceSpec& source,
                                                       const RepoManifest& repo) {
  const fs::path snapshots = repo_root / "snapshots";
  std::error_code ec;
  if (!fs::is_directory(snapshots, ec))
    return repo_root.string() + " has no snapshots/ folder (not a Hugging Face cache entry)";
  auto make = [&](const std::string& rev) {
    return Location{snapshots / rev, repo_root, true, rev,
                    source.kind + " " + (snapshots / rev).string()};
  };
  if (!source.revision.empty()) {
    std::string rev = source.revision;
    if (fs::exists(repo_root / "refs" / rev, ec)) rev = read_ref(repo_root / "refs" / rev);
    if (rev.empty() || rev.find('/') != std::string::npos || !fs::is_directory(snapshots / rev, ec))
      return "revision " + source.revision + " is not in " + snapshots.string();
    std::string missing;
    if (!has_all_files(snapshots / rev, repo, &missing))
      return "snapshot " + rev + " lacks " + missing;
    return make(rev);
  }
  if (fs::exists(repo_root / "refs" / "main", ec)) {
    std::string rev = read_ref(repo_root / "refs" / "main");
    if (!rev.empty() && rev.find('/') == std::string::npos &&
        has_all_files(snapshots / rev, repo, nullptr))
      return make(rev);
  }
  // Newest complete snapshot.
  std::vector<std::pair<fs::file_time_type, std::string>> complete;
  std::string last_missing;
  for (const auto& entry : fs::directory_iterator(snapshots, ec)) {
    if (!entry.is_directory()) continue;
    std::string missing;
    if (has_all_files(entry.path(), repo, &missing))
      complete.emplace_back(fs::last_write_time(entry.path(), ec), entry.path().filename().string());
    else
      last_missing = entry.path().filename().string() + " lacks " + missing;
  }
  if (complete.empty())
    return "no complete snapshot in " + snapshots.string() +
           (last_missing.empty() ? "" : " (" + last_missing + ")");
  std::sort(complete.begin(), complete.end());
  return make(complete.back().second);
}

}  // namespace

std::string hf_cache_folder(const std::string& repo_id) {
  std::string name = "models--" + repo_id;
  for (size_t at = name.find('/'); at != std::string::npos; at = name.find('/', at))
    name.replace(at, 1, "--");
  return name;
}

std::vector<SourceSpec> parse_sources(const std::string& list) {
  std::vector<SourceSpec> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string item = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? list.size() + 1 : comma + 1;
    if (item.empty()) continue;
    SourceSpec s;
    s.text = item;
    std::string rest = item;
    if (auto at = rest.rfind('@'); at != std::string::npos && rest.find('/', at) == std::string::npos) {
      s.revision = rest.substr(at + 1);
      rest = rest.substr(0, at);
      if (s.revision.empty()) throw std::invalid_argument("source " + item + ": empty revision after @");
    }
    auto colon = rest.find(':');
    s.kind = rest.substr(0, colon);
    if (colon != std::string::npos) s.path = rest.substr(colon + 1);
    if (s.kind == "runpod-cache") {
      if (s.path.empty()) s.path = "/runpod-volume/huggingface-cache/hub";
    } else if (s.kind == "dir" || s.kind == "volume" || s.kind == "image") {
      if (s.path.empty() || !s.path.is_absolute())
        throw std::invalid_argument("source " + item + ": " + s.kind + ": needs an absolute path");
    } else {
      throw std::invalid_argument("source " + item +
                                  ": unknown kind; use dir:PATH, runpod-cache[:HUB], volume:PATH "
                                  "or image:PATH");
    }
    out.push_back(std::move(s));
  }
  if (out.empty()) throw std::invalid_argument("no weight source configured");
  return out;
}

std::variant<Location, std::string> locate(const SourceSpec& source, const RepoManifest& repo) {
  std::error_code ec;
  if (source.kind == "dir") {
    if (!fs::is_directory(source.path, ec)) return source.path.string() + " is not a folder";
    std::string missing;
    if (!has_all_files(source.path, repo, &missing))
      return source.path.string() + " lacks " + missing;
    return Location{source.path, source.path, false, "", "dir " + source.path.string()};
  }
  if (!fs::is_directory(source.path, ec))
    return source.path.string() + " does not exist (volume not mounted?)";
  const fs::path cache = source.path / hf_cache_folder(repo.repo_id);
  if (fs::is_directory(cache, ec)) return locate_in_hf_cache(cache, source, repo);
  if (source.kind == "runpod-cache")
    return "no " + hf_cache_folder(repo.repo_id) + " in " + source.path.string() +
           " (the endpoint caches another model, or none)";
  const fs::path plain = source.path / repo.repo_id;
  if (!fs::is_directory(plain, ec))
    return "neither " + cache.string() + " nor " + plain.string() + " exists";
  std::string missing;
  if (!has_all_files(plain, repo, &missing)) return plain.string() + " lacks " + missing;
  return Location{plain, plain, false, "", source.kind + " " + plain.string()};
}

}  // namespace warmtts::volume

#include "volume/resolver.hpp"

#include <chrono>
#include <fstream>
#include <random>

#include "volume/local_cache.hpp"

namespace warmtts::volume {
namespace fs = std::filesystem;
namespace {

using clock_type = std::chrono::steady_clock;

double since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

const Check* first_failure(const std::vector<Check>& checks) {
  for (const auto& c : checks)
    if (!c.ok) return &c;
  return nullptr;
}

// The largest file of a repository: the one worth timing a read of.
fs::path largest_file(const Location& where, const std::vector<FileRule>& rules) {
  fs::path best;
  uintmax_t size = 0;
  for (const auto& r : rules) {
    std::error_code ec;
    auto s = fs::file_size(where.dir / r.name, ec);
    if (!ec && s > size) {
      size = s;
      best = where.dir / r.name;
    }
  }
  return best;
}

}  // namespace

std::string RepoReport::reason() const {
  if (ok) return "";
  std::string out = repo.repo_id + " not found in a usable state:";
  for (const auto& r : rejected) out += " [" + r + "]";
  return out;
}

std::string ModelReport::reason() const {
  std::string out;
  for (const auto& r : repos)
    if (!r.ok) out += (out.empty() ? "" : "; ") + r.reason();
  return out;
}

std::map<std::string, std::string> ModelReport::folders() const {
  std::map<std::string, std::string> out;
  for (const auto& r : repos)
    out[r.repo.alias] = r.copied_to.empty() ? r.location.dir.string() : r.copied_to;
  return out;
}

ModelReport resolve_model(const std::string& model, const ResolveOptions& options,
                          const PhaseCallback& on_phase) {
  ModelReport report;
  report.model = model;
  report.ok = true;
  auto phase = [&](const char* p) {
    if (on_phase) on_phase(p);
  };
  for (const auto& repo : manifests_for_model(model)) {
    RepoReport rr;
    rr.repo = repo;
    auto it = options.sources.find(repo.alias);
    if (it == options.sources.end() || it->second.empty()) {
      rr.rejected.push_back("no sources configured for " + repo.alias);
      report.repos.push_back(rr);
      report.ok = false;
      continue;
    }
    for (const auto& source : it->second) {
      phase("resolve");
      auto t0 = clock_type::now();
      auto located = locate(source, repo);
      report.resolve_seconds += since(t0);
      if (auto* why = std::get_if<std::string>(&located)) {
        rr.rejected.push_back(source.text + ": " + *why);
        continue;
      }
      phase("verify");
      t0 = clock_type::now();
      rr.location = std::get<Location>(located);
      std::vector<FileRule> rules;
      try {
        rules = file_rules(repo, rr.location.dir, options.chatterbox_dims);
        rr.checks = check_repository(rr.location, rules, CheckOptions{options.hash});
      } catch (const std::exception& e) {
        rr.checks = {Check{"", "manifest", false, e.what()}};
      }
      if (options.probe) {
        rr.volume = probe_volume(source.kind == "dir" ? source.path : source.path,
                                 largest_file(rr.location, rules));
        if (!rr.volume.mounted || !rr.volume.readable)
          rr.checks.push_back({"", "volume", false, rr.volume.error});
      }
      report.verify_seconds += since(t0);
      if (const Check* bad = first_failure(rr.checks)) {
        rr.rejected.push_back(source.text + ": " + (bad->file.empty() ? "" : bad->file + ": ") +
                              bad->name + " failed: " + bad->detail);
        continue;
      }
      if (!options.local_cache.empty() && source.kind != "dir") {
        t0 = clock_type::now();
        try {
          rr.copied_to = copy_to_local_cache(rr.location, rules, repo, options.local_cache);
        } catch (const std::exception& e) {
          rr.rejected.push_back(source.text + ": local copy to " + options.local_cache +
                                " failed: " + e.what());
          report.copy_seconds += since(t0);
          continue;
        }
        report.copy_seconds += since(t0);
      }
      rr.ok = true;
      break;
    }
    if (!rr.ok) report.ok = false;
    report.repos.push_back(std::move(rr));
  }
  return report;
}

}  // namespace warmtts::volume

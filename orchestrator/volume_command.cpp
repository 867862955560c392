#include "orchestrator/volume_command.hpp"

#include <cstdio>

#include "volume/resolver.hpp"

namespace warmtts {
namespace {

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", b, units[u]);
  return buf;
}

}  // namespace

int run_volume_verify(const Config& config, bool hash, const std::string& only_model) {
  auto options = config.resolve_options();
  options.hash = options.hash || hash;
  bool all_ok = true;
  for (const auto& model : config.model_names()) {
    if (!only_model.empty() && model != only_model) continue;
    auto report = volume::resolve_model(model, options);
    std::printf("%s\n", model.c_str());
    for (const auto& repo : report.repos) {
      std::printf("  %s (%s)\n", repo.repo.repo_id.c_str(), repo.repo.alias.c_str());
      for (const auto& r : repo.rejected) std::printf("    skipped   %s\n", r.c_str());
      if (!repo.ok && repo.location.dir.empty()) continue;
      std::printf("    source    %s\n", repo.location.description.c_str());
      const auto& v = repo.volume;
      if (v.mounted)
        std::printf("    volume    %s, %s, %s free, %s, read %s/s over %s\n", v.fs_type.c_str(),
                    v.read_only ? "read-only" : "read-write", human_bytes(v.free_bytes).c_str(),
                    v.readable ? "readable" : "NOT readable",
                    human_bytes(v.read_bytes_per_second).c_str(), human_bytes(v.bytes_probed).c_str());
      for (const auto& c : repo.checks)
        std::printf("    %-9s %-32s %-18s %s\n", c.ok ? "ok" : "FAILED", c.file.c_str(),
                    c.name.c_str(), c.detail.c_str());
      if (!repo.copied_to.empty()) std::printf("    copied to %s\n", repo.copied_to.c_str());
    }
    std::printf("  => %s: %s (resolve %.3f s, verify %.3f s)\n\n", model.c_str(),
                report.ok ? "can load" : ("CANNOT LOAD: " + report.reason()).c_str(),
                report.resolve_seconds, report.verify_seconds);
    all_ok = all_ok && report.ok;
  }
  return all_ok ? 0 : 1;
}

}  // namespace warmtts

#include "orchestrator/models_command.hpp"

#include <unistd.h>

#include <cstdio>

#include "volume/hub_download.hpp"

namespace warmtts {

int run_models_fetch(const std::string& model, const std::string& to, const std::string& revision) {
  auto options = volume::hub_options_from_environment();
  options.revision = revision;
  const bool terminal = isatty(STDERR_FILENO);
  options.log = [terminal](const std::string& line) {
    std::fprintf(stderr, terminal ? "\r\033[K%s\n" : "%s\n", line.c_str());
  };
  if (terminal)
    options.progress = [](const std::string& line) {
      std::fprintf(stderr, "\r\033[K%s", line.c_str());
      std::fflush(stderr);
    };
  try {
    for (const auto& line : volume::fetch_model(model, to, options))
      std::printf("%s\n", line.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "warmtts models fetch %s: %s\n", model.c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr, "%s is complete in %s (use --%s-sources volume:%s)\n", model.c_str(),
               to.c_str(), model.c_str(), to.c_str());
  return 0;
}

}  // namespace warmtts

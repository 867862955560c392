// `warmtts models fetch MODEL --to DIR`: downloads a model's repositories from the Hugging Face
// hub into DIR in cache layout (for a Docker build step or to fill a network volume).
#pragma once

#include <string>

namespace warmtts {

// Exit code: 0 on success, 1 on failure (the reason is printed).
int run_models_fetch(const std::string& model, const std::string& to, const std::string& revision);

}  // namespace warmtts

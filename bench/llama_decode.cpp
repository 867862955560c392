// bench/llama_decode: one decode step of the Chatterbox T3 backbone (30 layers, hidden 1024,
// 16 heads, FFN 4096, Llama-3 RoPE; random weights; fp32; batch 2 as CFG runs it) over a
// 300-token KV cache, on CPU; against transformers' LlamaModel with its KV cache in the same run
// (bench/peers/llama_decode.py). Prints ms/step for both and the ratio.
//   bench/llama_decode.sh [--steps N]
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <ATen/Parallel.h>
#include <ATen/TensorOperators.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/ones.h>

#include "sidecars/runtime/cpu_threads.hpp"
#include "sidecars/runtime/llama.hpp"

using namespace warmtts::runtime;

int main(int argc, char** argv) {
  int steps = 30;
  std::string python;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--steps") steps = std::stoi(argv[i + 1]);
    else if (a == "--python") python = argv[i + 1];
  }
  configure_cpu_threads();
  LlamaConfig c;  // the defaults are T3's
  c.rope_scaling.llama3 = true;
  const auto f32 = at::TensorOptions().dtype(at::kFloat);
  auto rnd = [&](std::vector<int64_t> shape) { return at::randn(shape, f32) * 0.02; };
  LlamaWeights w;
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    LlamaLayerWeights l;
    const int64_t h = c.hidden_size, f = c.intermediate_size;
    l.input_layernorm_weight = at::ones({h}, f32);
    l.post_attention_layernorm_weight = at::ones({h}, f32);
    l.self_attn_q_proj_weight = rnd({h, h});
    l.self_attn_k_proj_weight = rnd({h, h});
    l.self_attn_v_proj_weight = rnd({h, h});
    l.self_attn_o_proj_weight = rnd({h, h});
    l.mlp_gate_proj_weight = rnd({f, h});
    l.mlp_up_proj_weight = rnd({f, h});
    l.mlp_down_proj_weight = rnd({h, f});
    w.layers.push_back(std::move(l));
  }
  w.norm_weight = at::ones({c.hidden_size}, f32);
  Llama model(std::move(w), c, 4096, f32);
  auto cache = model.make_cache(2, 512);
  model.forward(at::randn({2, 300, c.hidden_size}, f32), cache);  // the 300-token prefix
  auto token = at::randn({2, 1, c.hidden_size}, f32);
  for (int i = 0; i < 3; ++i) {  // warm-up
    model.forward(token, cache);
    cache.truncate(300);
  }
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) {
    model.forward(token, cache);
    cache.truncate(300);
  }
  double ours = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / steps;

  double peer = 0;
  if (!python.empty()) {
    std::string cmd = "'" + python + "' " + BENCH_DIR + "/peers/llama_decode.py " + std::to_string(steps);
    FILE* p = popen(cmd.c_str(), "r");
    char line[256] = {0};
    if (p && std::fgets(line, sizeof line, p)) peer = std::atof(line);
    if (p) pclose(p);
  }
  std::printf("llama_decode: T3 backbone, batch 2, 300-token cache, fp32, %d threads, %d steps\n",
              at::get_num_threads(), steps);
  std::printf("%-34s %10.2f ms/step\n", "warmtts (libtorch, KV cache)", ours);
  if (peer > 0)
    std::printf("%-34s %10.2f ms/step\nratio ours/reference: %.2fx (target <= 0.8x)\n",
                "transformers LlamaModel (eager)", peer, ours / peer);
  else
    std::printf("(reference not run: pass --python or use bench/llama_decode.sh)\n");
  return 0;
}

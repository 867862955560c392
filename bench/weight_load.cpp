// bench/weight_load: reading a 2 GiB safetensors file (generated, random) into CPU tensors,
// touching every byte, against (a) a raw sequential read() of the same file into one buffer
// and (b) Python's safetensors.torch.load_file, in the same run. Every variant touches the
// bytes the same way (an int64 sum through ATen). Two rounds: the file in the page cache
// (the loader's own cost), then with its pages dropped before each run (posix_fadvise; best
// effort: on a virtual disk the host may still cache).
//   bench/weight_load.sh [--gib N] [--runs N]
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <ATen/Parallel.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/sum.h>

#include "sidecars/runtime/safetensors_file.hpp"

namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;

namespace {

// Sums the bytes as 64-bit words (ATen, as the Python peer does): every byte is read once.
uint64_t touch(const uint8_t* p, size_t n) {
  auto t = at::from_blob(const_cast<uint8_t*>(p), {static_cast<int64_t>(n / 8)},
                         at::TensorOptions().dtype(at::kLong));
  return static_cast<uint64_t>(at::sum(t).item<int64_t>());
}

void drop_cache(const fs::path& file) {
  int fd = open(file.c_str(), O_RDONLY);
  fdatasync(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
}

// 2 GiB of F32 tensors of 32 MiB each, random bits.
void generate(const fs::path& file, double gib) {
  const int64_t rows = 8192, cols = 1024;  // 32 MiB per tensor
  const size_t per = rows * cols * 4;
  const size_t count = static_cast<size_t>(gib * (1ull << 30) / per);
  nlohmann::json header = nlohmann::json::object();
  for (size_t i = 0; i < count; ++i)
    header["layers." + std::to_string(i) + ".weight"] = {
        {"dtype", "F32"}, {"shape", {rows, cols}}, {"data_offsets", {i * per, (i + 1) * per}}};
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // keep data 8-byte aligned, as safetensors writers do
  FILE* f = std::fopen(file.c_str(), "wb");
  uint64_t n = h.size();
  std::fwrite(&n, 8, 1, f);
  std::fwrite(h.data(), 1, h.size(), f);
  std::vector<uint64_t> buf(per / 8);
  uint64_t x = 0x9E3779B97F4A7C15ull;
  for (size_t i = 0; i < count; ++i) {
    for (auto& v : buf) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      v = x;
    }
    std::fwrite(buf.data(), 1, per, f);
  }
  std::fclose(f);
}

struct Result {
  std::string name;
  double best_s = 1e30;
  uint64_t checksum = 0;
};

double seconds_of(const std::function<uint64_t()>& f, uint64_t* sum) {
  auto t0 = clock_type::now();
  *sum = f();
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  double gib = 2;
  int runs = 3;
  std::string python;
  fs::path file = "/tmp/warmtts-bench/weights.safetensors";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--gib") gib = std::stod(argv[i + 1]);
    else if (a == "--runs") runs = std::stoi(argv[i + 1]);
    else if (a == "--python") python = argv[i + 1];
    else if (a == "--file") file = argv[i + 1];
  }
  // The Python peer sums with every core; so do we.
  at::set_num_threads(static_cast<int>(std::thread::hardware_concurrency()));
  fs::create_directories(file.parent_path());
  const uint64_t want = static_cast<uint64_t>(gib * (1ull << 30));
  std::error_code ec;
  if (!fs::exists(file, ec) || fs::file_size(file) < want || fs::file_size(file) > want + (64u << 20)) {
    std::printf("generating %.1f GiB at %s ...\n", gib, file.c_str());
    generate(file, gib);
  }
  const double mib = fs::file_size(file) / double(1 << 20);
  std::printf("weight_load: %s, %.0f MiB, best of %d runs\n\n", file.c_str(), mib, runs);

  auto measure = [&](bool cold) {
  std::vector<Result> results = {{"raw read() + touch"}, {"warmtts mmap -> tensors + touch"},
                                 {"warmtts read -> tensors + touch"}};
  for (int r = 0; r < runs; ++r) {
    uint64_t sum = 0;
    if (cold) drop_cache(file);
    double s = seconds_of([&] {
      int fd = open(file.c_str(), O_RDONLY);
      size_t size = fs::file_size(file);
      auto* buf = static_cast<uint8_t*>(std::aligned_alloc(64, (size + 63) / 64 * 64));
      size_t done = 0;
      while (done < size) {
        ssize_t n = read(fd, buf + done, std::min<size_t>(size - done, 16u << 20));
        if (n <= 0) break;
        done += n;
      }
      close(fd);
      uint64_t h = 0;
      std::memcpy(&h, buf, 8);
      uint64_t acc = touch(buf + 8 + h, size - 8 - h);
      std::free(buf);
      return acc;
    }, &sum);
    results[0].best_s = std::min(results[0].best_s, s);
    results[0].checksum = sum;

    for (int m = 0; m < 2; ++m) {
      if (cold) drop_cache(file);
      s = seconds_of([&] {
        auto f = warmtts::runtime::SafetensorsFile::open(
            file, m == 0 ? warmtts::runtime::SafetensorsFile::Mode::mmap
                         : warmtts::runtime::SafetensorsFile::Mode::read);
        uint64_t acc = 0;
        for (const auto& [name, t] : f.tensors())
          acc += touch(static_cast<const uint8_t*>(t.data_ptr()), t.nbytes());
        return acc;
      }, &sum);
      results[1 + m].best_s = std::min(results[1 + m].best_s, s);
      results[1 + m].checksum = sum;
    }
  }

  double python_s = 0;
  if (!python.empty()) {
    std::string cmd = "'" + python + "' " + BENCH_DIR + "/peers/safetensors_load.py '" +
                      file.string() + "' " + std::to_string(runs) + (cold ? " cold" : " warm");
    FILE* p = popen(cmd.c_str(), "r");
    char line[256] = {0};
    if (p && std::fgets(line, sizeof line, p)) python_s = std::atof(line);
    if (p) pclose(p);
  }

  const double raw = results[0].best_s;
  std::printf("%-36s %10s %10s %12s\n", "loader", "seconds", "MiB/s", "vs raw read");
  for (const auto& r : results)
    std::printf("%-36s %10.3f %10.0f %11.2fx%s\n", r.name.c_str(), r.best_s, mib / r.best_s,
                r.best_s / raw, r.checksum == results[0].checksum ? "" : "  CHECKSUM MISMATCH");
  if (python_s > 0)
    std::printf("%-36s %10.3f %10.0f %11.2fx\n", "python safetensors.torch.load_file", python_s,
                mib / python_s, python_s / raw);
  else
    std::printf("(python peer not run: pass --python or use bench/weight_load.sh)\n");
  };
  std::printf("-- file in the page cache\n");
  measure(false);
  std::printf("\n-- page cache dropped before each run\n");
  measure(true);
  std::printf("\ntarget: warmtts within 1.1x of the raw read, and faster than the Python loader\n");
  return 0;
}

// Is the file system under a source there and usable: statfs (type, read-only, free space),
// readable, and how fast it reads (a bounded sequential read of one weight file).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace warmtts::volume {

struct VolumeReport {
  std::string path;
  bool mounted = false;  // statfs answered
  std::string fs_type;   // ext4, xfs, nfs, fuse, overlay, tmpfs, ... or 0x... magic
  bool read_only = false;
  uint64_t free_bytes = 0;
  bool readable = false;
  double read_bytes_per_second = 0;  // 0 when not measured
  uint64_t bytes_probed = 0;
  std::string error;
};

// Probes the file system of `dir`; reads at most `probe_bytes` of `sample` (skipped when empty).
VolumeReport probe_volume(const std::filesystem::path& dir, const std::filesystem::path& sample,
                          uint64_t probe_bytes = 64u << 20);

}  // namespace warmtts::volume

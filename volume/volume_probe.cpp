#include "volume/volume_probe.hpp"

#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <vector>

namespace warmtts::volume {
namespace {

std::string fs_type_name(long magic) {
  switch (static_cast<unsigned long>(magic)) {
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x6969: return "nfs";
    case 0xFF534D42: return "cifs";
    case 0x65735546: return "fuse";
    case 0x794C7630: return "overlay";
    case 0x01021994: return "tmpfs";
    case 0x2FC12FC1: return "zfs";
    case 0x6A656A63: return "fakeowner";
    default: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(magic));
      return buf;
    }
  }
}

}  // namespace

VolumeReport probe_volume(const std::filesystem::path& dir, const std::filesystem::path& sample,
                          uint64_t probe_bytes) {
  VolumeReport r;
  r.path = dir.string();
  struct statfs sf {};
  if (statfs(dir.c_str(), &sf) != 0) {
    r.error = std::string("statfs failed: ") + std::strerror(errno) + " (not mounted?)";
    return r;
  }
  r.mounted = true;
  r.fs_type = fs_type_name(sf.f_type);
  struct statvfs sv {};
  if (statvfs(dir.c_str(), &sv) == 0) {
    r.read_only = (sv.f_flag & ST_RDONLY) != 0;
    r.free_bytes = static_cast<uint64_t>(sv.f_bavail) * sv.f_frsize;
  }
  r.readable = access(dir.c_str(), R_OK | X_OK) == 0;
  if (!r.readable) {
    r.error = "folder is not readable by this process";
    return r;
  }
  if (sample.empty()) return r;
  int fd = open(sample.c_str(), O_RDONLY);
  if (fd < 0) {
    r.error = "cannot open " + sample.string() + ": " + std::strerror(errno);
    return r;
  }
  // Ask the kernel to drop cached pages first, so that the figure is the volume's, not RAM's
  // (best effort: pages another process holds stay cached).
  posix_fadvise(fd, 0, static_cast<off_t>(probe_bytes), POSIX_FADV_DONTNEED);
  std::vector<char> buf(4u << 20);
  auto t0 = std::chrono::steady_clock::now();
  while (r.bytes_probed < probe_bytes) {
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n <= 0) break;
    r.bytes_probed += static_cast<uint64_t>(n);
  }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  close(fd);
  if (r.bytes_probed > 0 && s > 0) r.read_bytes_per_second = r.bytes_probed / s;
  return r;
}

}  // namespace warmtts::volume

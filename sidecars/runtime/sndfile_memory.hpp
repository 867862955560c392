// libsndfile's virtual I/O over a file held in memory: the decoder reads a job's reference clip
// from it, the encoder writes the job's output into it. Include after <sndfile.h>.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

#include <sndfile.h>

namespace warmtts::audio {

struct SndfileMemory {
  std::string data;
  sf_count_t pos = 0;

  sf_count_t size() const { return static_cast<sf_count_t>(data.size()); }

  static SF_VIRTUAL_IO io() { return {&length, &seek, &read, &write, &tell}; }

  static sf_count_t length(void* self) { return static_cast<SndfileMemory*>(self)->size(); }
  static sf_count_t seek(sf_count_t offset, int whence, void* self) {
    auto* m = static_cast<SndfileMemory*>(self);
    const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->size();
    const sf_count_t to = base + offset;
    if (to < 0 || to > m->size()) return -1;  // never past the bytes there are
    m->pos = to;
    return m->pos;
  }
  static sf_count_t read(void* ptr, sf_count_t count, void* self) {
    auto* m = static_cast<SndfileMemory*>(self);
    const sf_count_t n = std::clamp<sf_count_t>(m->size() - m->pos, 0, count);
    std::memcpy(ptr, m->data.data() + m->pos, static_cast<size_t>(n));
    m->pos += n;
    return n;
  }
  static sf_count_t write(const void* ptr, sf_count_t count, void* self) {
    auto* m = static_cast<SndfileMemory*>(self);
    if (m->pos + count > m->size()) m->data.resize(static_cast<size_t>(m->pos + count));
    std::memcpy(m->data.data() + m->pos, ptr, static_cast<size_t>(count));
    m->pos += count;
    return count;
  }
  static sf_count_t tell(void* self) { return static_cast<SndfileMemory*>(self)->pos; }
};

}  // namespace warmtts::audio

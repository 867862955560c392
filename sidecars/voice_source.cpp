#include "sidecars/voice_source.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "sidecars/tts_engine.hpp"
#include "volume/http_fetch.hpp"

namespace warmtts {
namespace {

namespace fs = std::filesystem;

// Clip formats the decoder reads, in the order a name is looked up.
constexpr const char* library_extensions[] = {".wav", ".flac", ".mp3", ".ogg"};

std::string too_big(const std::string& field, size_t limit) {
  return field + " is larger than " + std::to_string(limit) + " bytes; trim the clip to 10-30 s";
}

std::string from_library(const std::string& name, const VoiceSourceOptions& o) {
  if (o.library_dir.empty())
    throw InvalidInput("input.voice.name: this worker has no voice library (start it with --voice-library DIR)");
  for (const char* ext : library_extensions) {
    const fs::path path = fs::path(o.library_dir) / (name + ext);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) continue;
    if (fs::file_size(path, ec) > o.max_bytes) throw InvalidInput(too_big("input.voice.name " + name, o.max_bytes));
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) throw InvalidInput("input.voice.name: " + path.string() + " cannot be read");
    return bytes;
  }
  throw InvalidInput("input.voice.name: no voice named '" + name + "' in the voice library (" + o.library_dir +
                     "; looked for .wav, .flac, .mp3, .ogg)");
}

std::string from_url(const std::string& url, const VoiceSourceOptions& o) {
  std::string url_now = url;
  for (int redirect = 0; redirect <= 5; ++redirect) {
    volume::FetchRequest req;
    req.url = url_now;
    req.timeout = o.timeout;
    std::string body;
    req.sink = [&](const char* data, size_t n) {
      if (body.size() + n > o.max_bytes) throw InvalidInput(too_big("input.voice.audio_url", o.max_bytes));
      body.append(data, n);
    };
    volume::FetchResponse res;
    try {
      res = volume::fetch(req);
    } catch (const volume::HttpError& e) {
      throw InvalidInput("input.voice.audio_url could not be fetched: " + std::string(e.what()));
    }
    if (res.status >= 300 && res.status < 400 && !res.header("location").empty()) {
      url_now = volume::resolve_url(url_now, res.header("location"));
      continue;
    }
    if (res.status != 200)
      throw InvalidInput("input.voice.audio_url answered HTTP " + std::to_string(res.status) + "; a 200 with the clip is needed");
    return body;
  }
  throw InvalidInput("input.voice.audio_url redirects more than 5 times");
}

}  // namespace

std::string voice_clip_bytes(const voice_spec& voice, const VoiceSourceOptions& options) {
  if (voice.kind == "audio") return voice.audio;
  if (voice.kind == "url") return from_url(voice.url, options);
  if (voice.kind == "name") return from_library(voice.name, options);
  return "";
}

}  // namespace warmtts

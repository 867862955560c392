#include "volume/hub_download.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "volume/file_checks.hpp"
#include "volume/http_fetch.hpp"
#include "volume/manifest.hpp"
#include "volume/sources.hpp"

namespace warmtts::volume {
namespace fs = std::filesystem;
namespace {

using clock_type = std::chrono::steady_clock;
using Headers = std::map<std::string, std::string>;

// "\"abc\"" or W/"abc" -> abc
std::string clean_etag(std::string etag) {
  if (etag.rfind("W/", 0) == 0) etag = etag.substr(2);
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
    etag = etag.substr(1, etag.size() - 2);
  return etag;
}

bool is_hex_of(const std::string& s, size_t n) {
  return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

std::string url_path_escape(const std::string& s) { return percent_encode(s, /*keep_slashes=*/true); }

// One repository's download into ROOT = DIR/models--ORG--NAME.
class RepoDownload {
 public:
  RepoDownload(const HubOptions& o, std::string repo_id, fs::path root)
      : o_(o), repo_id_(std::move(repo_id)), root_(std::move(root)) {}

  // The commit the revision points at now.
  std::string commit() {
    std::string url = o_.endpoint + "/api/models/" + repo_id_ + "/revision/" +
                      url_path_escape(o_.revision);
    auto r = get(url, {}, {}, {});
    auto doc = nlohmann::json::parse(r.body, nullptr, false);
    if (doc.is_discarded() || !doc.contains("sha") || !doc["sha"].is_string() ||
        !is_hex_of(doc["sha"].get<std::string>(), 40))
      throw std::runtime_error(repo_id_ + ": the hub's answer for revision " + o_.revision +
                               " has no commit sha");
    return doc["sha"].get<std::string>();
  }

  // Downloads one file of `commit` into blobs/ and links it from snapshots/COMMIT/.
  void file(const std::string& commit, const std::string& name) {
    const fs::path link = root_ / "snapshots" / commit / name;
    std::error_code ec;
    if (fs::exists(link, ec)) return;  // complete from an earlier run
    const std::string url =
        o_.endpoint + "/" + repo_id_ + "/resolve/" + commit + "/" + url_path_escape(name);
    // Metadata without following the redirect: the hub's own headers carry the hash.
    auto head = request("HEAD", url, {}, {}, {});
    check_status(head, url);
    std::string etag = clean_etag(head.header("x-linked-etag"));
    if (etag.empty()) etag = clean_etag(head.header("etag"));
    if (!is_hex_of(etag, 64) && !is_hex_of(etag, 40))
      throw std::runtime_error(name + ": the hub's ETag \"" + etag +
                               "\" is neither a sha256 nor a git sha1; cannot verify the file");
    const fs::path blob = root_ / "blobs" / etag;
    fs::create_directories(blob.parent_path());
    if (!fs::exists(blob, ec)) download_blob(url, name, blob, etag);
    fs::create_directories(link.parent_path());
    const fs::path tmp = link.string() + ".tmp-link";
    fs::remove(tmp, ec);
    fs::create_symlink(fs::relative(blob, link.parent_path()), tmp);
    fs::rename(tmp, link);
  }

  // refs/REVISION -> commit, atomically, once every file is in place.
  void complete(const std::string& commit) {
    const fs::path ref = root_ / "refs" / o_.revision;
    fs::create_directories(ref.parent_path());
    const fs::path tmp = ref.string() + ".tmp";
    {
      std::ofstream out(tmp);
      out << commit;
      if (!out) throw std::runtime_error("cannot write " + tmp.string());
    }
    fs::rename(tmp, ref);
  }

 private:
  FetchResponse request(const std::string& method, const std::string& url, Headers headers,
                        std::function<void(int, const Headers&)> on_headers,
                        std::function<void(const char*, size_t)> sink) {
    FetchRequest r;
    r.method = method;
    r.url = url;
    r.headers = std::move(headers);
    // The token goes to the hub only, never to the blob host it redirects to.
    if (!o_.token.empty() && url.rfind(o_.endpoint + "/", 0) == 0)
      r.headers["Authorization"] = "Bearer " + o_.token;
    r.on_headers = std::move(on_headers);
    r.sink = std::move(sink);
    return fetch(r);
  }

  // GET, following redirects.
  FetchResponse get(std::string url, Headers headers, std::function<void(int, const Headers&)> on_headers,
                    std::function<void(const char*, size_t)> sink) {
    for (int hops = 0; hops < 10; ++hops) {
      auto r = request("GET", url, headers, on_headers, sink);
      if (r.status >= 300 && r.status < 400 && !r.header("location").empty()) {
        url = resolve_url(url, r.header("location"));
        continue;
      }
      if (r.status != 416) check_status(r, url);
      return r;
    }
    throw std::runtime_error(repo_id_ + ": more than 10 redirects from " + url);
  }

  void check_status(const FetchResponse& r, const std::string& url) {
    if (r.status < 400) return;
    if (r.status == 401 || r.status == 403)
      throw std::runtime_error(repo_id_ + ": the hub refused access (HTTP " +
                               std::to_string(r.status) + ") to " + url +
                               (o_.token.empty() ? "; set HF_TOKEN to a token with read access"
                                                 : "; HF_TOKEN has no access to this repository"));
    if (r.status == 404)
      throw std::runtime_error(repo_id_ + ": not found on the hub (HTTP 404): " + url +
                               " (check the repository, revision " + o_.revision + " and file)");
    throw std::runtime_error(repo_id_ + ": HTTP " + std::to_string(r.status) + " from " + url);
  }

  void download_blob(const std::string& url, const std::string& name, const fs::path& blob,
                     const std::string& etag) {
    const fs::path partial = blob.string() + ".incomplete";
    std::string last_error;
    for (int attempt = 1; attempt <= o_.attempts; ++attempt) {
      std::error_code ec;
      const uint64_t have = fs::exists(partial, ec) ? fs::file_size(partial, ec) : 0;
      Headers headers;
      if (have > 0) headers["Range"] = "bytes=" + std::to_string(have) + "-";
      std::ofstream out;
      uint64_t base = 0, total = 0, received = 0;
      auto t0 = clock_type::now(), last_report = t0;
      try {
        auto r = get(
            url, headers,
            [&](int status, const Headers& h) {
              if (status != 200 && status != 206) return;
              // 206 continues the partial file; 200 (a server without Range) starts again.
              base = status == 206 ? have : 0;
              out.open(partial, std::ios::binary | (status == 206 ? std::ios::app : std::ios::trunc));
              if (!out) throw std::runtime_error("cannot write " + partial.string());
              if (auto it = h.find("content-length"); it != h.end())
                total = base + std::stoull(it->second);
            },
            [&](const char* data, size_t n) {
              out.write(data, static_cast<std::streamsize>(n));
              received += n;
              if (o_.progress && clock_type::now() - last_report > std::chrono::milliseconds(200)) {
                last_report = clock_type::now();
                double s = std::chrono::duration<double>(last_report - t0).count();
                char line[256];
                std::snprintf(line, sizeof line, "%s %5.1f%% %8.1f MiB/s", name.c_str(),
                              total ? 100.0 * (base + received) / total : 0.0,
                              s > 0 ? received / s / (1 << 20) : 0.0);
                o_.progress(line);
              }
            });
        out.close();
        (void)r;  // 416: nothing left to send; the hash below decides
      } catch (const std::exception& e) {
        out.close();
        last_error = e.what();
        if (o_.log)
          o_.log(name + ": attempt " + std::to_string(attempt) + " stopped at byte " +
                 std::to_string(base + received) + " (" + last_error + ")");
        std::this_thread::sleep_for(std::chrono::milliseconds(100 * attempt));
        continue;
      }
      // The hash decides, not the byte count.
      std::string actual = etag.size() == 64 ? sha256_file(partial) : git_blob_sha1_file(partial);
      if (actual != etag) {
        fs::remove(partial, ec);
        last_error = "content hash " + actual + " differs from the hub's ETag " + etag;
        if (o_.log) o_.log(name + ": " + last_error + "; downloading again");
        continue;
      }
      fs::rename(partial, blob);
      if (o_.log)
        o_.log(name + ": " + std::to_string(fs::file_size(blob)) + " bytes, " +
               (etag.size() == 64 ? "sha256" : "git sha1") + " verified" +
               (have > 0 ? " (resumed at byte " + std::to_string(have) + ")" : ""));
      return;
    }
    throw std::runtime_error(name + ": download failed after " + std::to_string(o_.attempts) +
                             " attempts: " + last_error);
  }

  const HubOptions& o_;
  std::string repo_id_;
  fs::path root_;
};

}  // namespace

HubOptions hub_options_from_environment() {
  HubOptions o;
  if (const char* e = std::getenv("HF_ENDPOINT"); e && *e) o.endpoint = e;
  while (!o.endpoint.empty() && o.endpoint.back() == '/') o.endpoint.pop_back();
  if (const char* t = std::getenv("HF_TOKEN"); t && *t) o.token = t;
  return o;
}

std::vector<std::string> fetch_model(const std::string& model, const std::string& cache_dir,
                                     const HubOptions& options) {
  std::vector<std::string> out;
  for (const auto& repo : manifests_for_model(model)) {
    const fs::path root = fs::path(cache_dir) / hf_cache_folder(repo.repo_id);
    RepoDownload d(options, repo.repo_id, root);
    const std::string commit = d.commit();
    if (options.log) options.log(repo.repo_id + " " + options.revision + " = " + commit);
    for (const auto& f : repo.files) d.file(commit, f);
    // Files named inside other files (the shards of an index) come second.
    for (const auto& rule : file_rules(repo, root / "snapshots" / commit, ""))
      d.file(commit, rule.name);
    d.complete(commit);
    out.push_back(repo.alias + "=" + (root / "snapshots" / commit).string());
  }
  return out;
}

}  // namespace warmtts::volume

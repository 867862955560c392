// `models fetch` against a loopback emulator of the Hugging Face hub.
#define BOOST_TEST_MODULE hub_download
#include <boost/test/unit_test.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tests/support/checkpoint_files.hpp"
#include "tests/support/hub_emulator.hpp"
#include "volume/hub_download.hpp"
#include "volume/resolver.hpp"

using namespace warmtts;
using namespace warmtts::testing;
namespace fs = std::filesystem;

namespace {

const std::string commit_a = "1111111111111111111111111111111111111111";
const std::string commit_b = "2222222222222222222222222222222222222222";

// The files of a tiny repository, read back from a folder written by checkpoint_files.
HubEmulator::Repo repo_from(const fs::path& dir, const std::string& commit) {
  HubEmulator::Repo r;
  r.commit = commit;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string name = e.path().filename().string();
    // Like the hub: weights are LFS files, JSON is stored in git.
    r.files[name] = {ss.str(), name.find(".json") == std::string::npos};
  }
  return r;
}

struct Hub {
  TempDir tmp;
  std::string dims;
  std::map<std::string, HubEmulator::Repo> repos;
  Hub() {
    dims = (tmp.path / "dims.json").string();
    write_text(dims, tiny_chatterbox_dims().dump());
    write_tiny_repository("chatterbox", tmp.path / "src-cb", dims);
    write_tiny_repository("higgs", tmp.path / "src-higgs", "");
    write_tiny_repository("higgs-tokenizer", tmp.path / "src-tok", "");
    repos["ResembleAI/chatterbox"] = repo_from(tmp.path / "src-cb", commit_a);
    repos["bosonai/higgs-audio-v2-generation-3B-base"] = repo_from(tmp.path / "src-higgs", commit_a);
    repos["bosonai/higgs-audio-v2-tokenizer"] = repo_from(tmp.path / "src-tok", commit_b);
  }
  volume::HubOptions options(const HubEmulator& e, const std::string& token = "") {
    volume::HubOptions o;
    o.endpoint = e.endpoint();
    o.token = token;
    return o;
  }
  volume::ModelReport resolve(const std::string& model, const fs::path& cache) {
    volume::ResolveOptions o;
    for (auto alias : {"chatterbox", "higgs", "higgs-tokenizer"})
      o.sources[alias] = volume::parse_sources("volume:" + cache.string());
    o.chatterbox_dims = dims;
    o.hash = true;
    return volume::resolve_model(model, o);
  }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace

BOOST_AUTO_TEST_CASE(fetch_writes_a_verified_hf_cache_the_resolver_accepts) {
  Hub h;
  HubEmulator hub(h.repos);
  auto cache = h.tmp.path / "cache";
  auto out = volume::fetch_model("chatterbox", cache.string(), h.options(hub));
  BOOST_REQUIRE(out.size() == 1u);
  auto root = cache / "models--ResembleAI--chatterbox";
  std::ifstream ref(root / "refs" / "main");
  std::string commit;
  ref >> commit;
  BOOST_TEST(commit == commit_a);
  BOOST_TEST(fs::is_symlink(root / "snapshots" / commit_a / "t3_cfg.safetensors"));
  auto report = h.resolve("chatterbox", cache);
  BOOST_TEST(report.ok, report.reason());
  // A second fetch finds everything in place and downloads nothing.
  int before = hub.cdn_requests();
  volume::fetch_model("chatterbox", cache.string(), h.options(hub));
  BOOST_TEST(hub.cdn_requests() == before);
}

BOOST_AUTO_TEST_CASE(fetch_follows_an_index_to_its_shards) {
  Hub h;
  HubEmulator hub(h.repos);
  auto cache = h.tmp.path / "cache";
  auto out = volume::fetch_model("higgs", cache.string(), h.options(hub));
  BOOST_TEST(out.size() == 2u);
  BOOST_TEST(fs::exists(cache / "models--bosonai--higgs-audio-v2-generation-3B-base" / "snapshots" /
                        commit_a / "model-00002-of-00002.safetensors"));
  auto report = h.resolve("higgs", cache);
  BOOST_TEST(report.ok, report.reason());
}

BOOST_AUTO_TEST_CASE(a_transfer_cut_in_the_middle_resumes_with_range) {
  Hub h;
  HubEmulator hub(h.repos);
  hub.cut_next_transfer_after(100);
  std::vector<std::string> log;
  auto o = h.options(hub);
  o.log = [&](const std::string& l) { log.push_back(l); BOOST_TEST_MESSAGE(l); };
  volume::fetch_model("chatterbox", (h.tmp.path / "cache").string(), o);
  BOOST_TEST(hub.range_requests() >= 1);
  bool resumed = false;
  for (const auto& l : log) resumed |= l.find("resumed at byte 100") != std::string::npos;
  BOOST_TEST(resumed);
  BOOST_TEST(h.resolve("chatterbox", h.tmp.path / "cache").ok);
}

BOOST_AUTO_TEST_CASE(a_token_is_required_sent_to_the_hub_and_never_to_the_blob_host) {
  Hub h;
  HubEmulator hub(h.repos, "secret");
  auto cache = (h.tmp.path / "cache").string();
  auto err = error_of([&] { volume::fetch_model("chatterbox", cache, h.options(hub)); });
  BOOST_TEST(err.find("HTTP 401") != std::string::npos, err);
  BOOST_TEST(err.find("set HF_TOKEN") != std::string::npos, err);
  err = error_of([&] { volume::fetch_model("chatterbox", cache, h.options(hub, "wrong")); });
  BOOST_TEST(err.find("HF_TOKEN has no access") != std::string::npos, err);
  BOOST_TEST(error_of([&] { volume::fetch_model("chatterbox", cache, h.options(hub, "secret")); }) == "");
  BOOST_TEST(!hub.token_leaked_to_cdn());
}

BOOST_AUTO_TEST_CASE(unknown_repository_or_revision_is_a_404_error) {
  Hub h;
  h.repos.erase("bosonai/higgs-audio-v2-tokenizer");
  HubEmulator hub(h.repos);
  auto cache = (h.tmp.path / "cache").string();
  auto err = error_of([&] { volume::fetch_model("higgs", cache, h.options(hub)); });
  BOOST_TEST(err.find("bosonai/higgs-audio-v2-tokenizer: not found on the hub (HTTP 404)") != std::string::npos, err);
  auto o = h.options(hub);
  o.revision = "v9";
  err = error_of([&] { volume::fetch_model("chatterbox", cache, o); });
  BOOST_TEST(err.find("404") != std::string::npos, err);
  // The failed repository never got a ref: a resolver does not take it for complete.
  BOOST_TEST(!fs::exists(fs::path(cache) / "models--bosonai--higgs-audio-v2-tokenizer" / "refs"));
}

BOOST_AUTO_TEST_CASE(the_command_line_fetch_uses_hf_endpoint) {
  Hub h;
  HubEmulator hub(h.repos);
  auto cache = h.tmp.path / "cache";
  std::string cmd = "HF_ENDPOINT=" + hub.endpoint() + " " + WARMTTS_BINARY +
                    " models fetch chatterbox --to " + cache.string() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  int status = pclose(p);
  BOOST_TEST(WEXITSTATUS(status) == 0, out);
  BOOST_TEST(out.find("verified") != std::string::npos, out);
  BOOST_TEST(h.resolve("chatterbox", cache).ok);
}

#define BOOST_TEST_MODULE volume
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <future>

#include "tests/support/checkpoint_files.hpp"
#include "volume/file_checks.hpp"
#include "volume/resolver.hpp"
#include "volume/safetensors_header.hpp"
#include "volume/sources.hpp"

using namespace warmtts;
using namespace warmtts::testing;
using namespace warmtts::volume;
namespace fs = std::filesystem;

namespace {

// A tiny Chatterbox in `dir` plus its dims file; returns resolve options for `sources`.
struct Fixture {
  TempDir tmp;
  std::string dims;
  Fixture() {
    dims = (tmp.path / "dims.json").string();
    write_text(dims, tiny_chatterbox_dims().dump());
  }
  ResolveOptions options(const std::string& chatterbox_sources,
                         const std::string& higgs_sources = "dir:/nonexistent",
                         const std::string& tokenizer_sources = "dir:/nonexistent") {
    ResolveOptions o;
    o.sources["chatterbox"] = parse_sources(chatterbox_sources);
    o.sources["higgs"] = parse_sources(higgs_sources);
    o.sources["higgs-tokenizer"] = parse_sources(tokenizer_sources);
    o.chatterbox_dims = dims;
    return o;
  }
};

std::string all_reasons(const ModelReport& r) { return r.reason(); }

void expect_rejected(const ModelReport& r, std::initializer_list<std::string> fragments) {
  BOOST_TEST(!r.ok);
  auto reason = all_reasons(r);
  for (const auto& f : fragments)
    BOOST_CHECK_MESSAGE(reason.find(f) != std::string::npos, "reason \"" + reason + "\" lacks \"" + f + "\"");
}

std::string header_with(const std::string& entries) { return "{" + entries + "}"; }

}  // namespace

// -- safetensors header

BOOST_AUTO_TEST_CASE(header_parses_a_valid_file) {
  TempDir t;
  write_safetensors(t.path / "a.safetensors", {{"w", "F32", {2, 3}}, {"b", "BF16", {3}}});
  auto h = read_safetensors_header(t.path / "a.safetensors");
  BOOST_REQUIRE(h.tensors.size() == 2u);
  BOOST_TEST(h.find("w")->shape == (std::vector<int64_t>{2, 3}));
  BOOST_TEST(h.find("b")->dtype == "BF16");
  BOOST_TEST(h.find("b")->end - h.find("b")->begin == 6u);
  BOOST_TEST(h.metadata.at("format") == "pt");
}

BOOST_AUTO_TEST_CASE(header_rejects_every_kind_of_damage) {
  auto bad = [](const std::string& header, uint64_t data, const std::string& says) {
    TempDir t;
    write_raw_safetensors(t.path / "x", header, data);
    try {
      read_safetensors_header(t.path / "x");
      BOOST_ERROR("accepted: " + header);
    } catch (const SafetensorsError& e) {
      BOOST_CHECK_MESSAGE(std::string(e.what()).find(says) != std::string::npos,
                          std::string(e.what()) + " lacks " + says);
    }
  };
  const std::string w = R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  bad("{" + w, 8, "not a valid JSON");
  bad("[1]", 0, "JSON object");
  bad(header_with(R"("w":{"dtype":"F33","shape":[2],"data_offsets":[0,8]})"), 8, "unknown dtype F33");
  bad(header_with(R"("w":{"dtype":"F32","shape":[2],"data_offsets":[0,16]})"), 16, "needs 8");
  bad(header_with(w), 4, "past the 4-byte data section");  // truncated
  bad(header_with(w), 12, "4 bytes after the last tensor");
  bad(header_with(w + R"(,"v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]})"), 12, "overlaps");
  bad(header_with(w + R"(,"v":{"dtype":"F32","shape":[1],"data_offsets":[12,16]})"), 16, "gap");
  bad(header_with(R"("w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]})"), 8, "non-negative");
  bad(header_with(R"("w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]})"), 8,
      "overflows");
  bad(header_with(R"("w":{"dtype":"F32","shape":[2]})"), 8, "data_offsets");
  // A length field past the end of the file.
  TempDir t;
  write_text(t.path / "short", std::string("\xff\x00\x00\x00\x00\x00\x00\x00{}", 10));
  BOOST_CHECK_THROW(read_safetensors_header(t.path / "short"), SafetensorsError);
  write_text(t.path / "tiny", "abc");
  BOOST_CHECK_THROW(read_safetensors_header(t.path / "tiny"), SafetensorsError);
}

// -- sources and layouts

BOOST_AUTO_TEST_CASE(source_lists_parse_and_reject_nonsense) {
  auto s = parse_sources("dir:/models/cb,runpod-cache@main,volume:/runpod-volume/m,image:/opt/m");
  BOOST_REQUIRE(s.size() == 4u);
  BOOST_TEST(s[1].kind == "runpod-cache");
  BOOST_TEST(s[1].path == "/runpod-volume/huggingface-cache/hub");
  BOOST_TEST(s[1].revision == "main");
  BOOST_CHECK_THROW(parse_sources("s3:bucket"), std::invalid_argument);
  BOOST_CHECK_THROW(parse_sources("dir:relative/path"), std::invalid_argument);
  BOOST_CHECK_THROW(parse_sources(""), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(flat_folder_resolves_and_verifies) {
  Fixture f;
  write_tiny_repository("chatterbox", f.tmp.path / "cb", f.dims);
  auto r = resolve_model("chatterbox", f.options("dir:" + (f.tmp.path / "cb").string()));
  BOOST_TEST(r.ok, r.reason());
  BOOST_TEST(r.folders().at("chatterbox") == (f.tmp.path / "cb").string());
  bool saw_tensors = false;
  for (const auto& c : r.repos[0].checks) saw_tensors |= c.name == "tensors" && c.ok;
  BOOST_TEST(saw_tensors);
  BOOST_TEST(r.repos[0].volume.mounted);
  BOOST_TEST(r.repos[0].volume.read_bytes_per_second > 0);
}

BOOST_AUTO_TEST_CASE(plain_volume_layout_and_source_order) {
  Fixture f;
  write_tiny_repository("chatterbox", f.tmp.path / "vol" / "ResembleAI" / "chatterbox", f.dims);
  auto r = resolve_model("chatterbox", f.options("dir:" + (f.tmp.path / "empty").string() +
                                                 ",volume:" + (f.tmp.path / "vol").string()));
  BOOST_TEST(r.ok, r.reason());
  // The first source's failure is kept as a reason.
  BOOST_REQUIRE(r.repos[0].rejected.size() == 1u);
  BOOST_TEST(r.repos[0].rejected[0].find("is not a folder") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(hf_cache_layout_picks_refs_main_or_a_pinned_revision) {
  Fixture f;
  auto hub = f.tmp.path / "hub";
  auto snap = write_tiny_hf_cache("chatterbox", "ResembleAI/chatterbox", hub, f.dims, "aaaa");
  auto r = resolve_model("chatterbox", f.options("runpod-cache:" + hub.string()));
  BOOST_TEST(r.ok, r.reason());
  BOOST_TEST(r.repos[0].location.revision == "aaaa");
  BOOST_TEST(r.repos[0].location.hf_cache);
  // A second, incomplete snapshot pinned by revision is refused with its missing file.
  fs::create_directories(snap.parent_path() / "bbbb");
  auto pinned = resolve_model("chatterbox", f.options("runpod-cache:" + hub.string() + "@bbbb"));
  expect_rejected(pinned, {"snapshot bbbb lacks ve.safetensors"});
  // --hash recomputes each blob's sha256.
  auto o = f.options("runpod-cache:" + hub.string());
  o.hash = true;
  BOOST_TEST(resolve_model("chatterbox", o).ok);
}

BOOST_AUTO_TEST_CASE(missing_truncated_and_wrong_files_are_named) {
  Fixture f;
  auto dir = f.tmp.path / "cb";
  auto src = "dir:" + dir.string();
  write_tiny_repository("chatterbox", dir, f.dims);
  fs::remove(dir / "conds.pt");
  expect_rejected(resolve_model("chatterbox", f.options(src)), {"lacks conds.pt"});

  write_tiny_repository("chatterbox", dir, f.dims);
  fs::resize_file(dir / "t3_cfg.safetensors", fs::file_size(dir / "t3_cfg.safetensors") - 10);
  expect_rejected(resolve_model("chatterbox", f.options(src)),
                  {"t3_cfg.safetensors", "safetensors-header failed", "truncated"});

  write_tiny_repository("chatterbox", dir, f.dims);
  write_safetensors(dir / "ve.safetensors", {{"proj.weight", "F32", {3, 3}}});
  expect_rejected(resolve_model("chatterbox", f.options(src)),
                  {"ve.safetensors", "tensors failed", "proj.weight has shape [3,3], expected [6,6]",
                   "lstm.weight_ih_l0 is missing"});

  write_tiny_repository("chatterbox", dir, f.dims);
  write_text(dir / "conds.pt", "not a zip at all, just text that is long enough to scan");
  expect_rejected(resolve_model("chatterbox", f.options(src)), {"conds.pt", "torch-zip failed"});

  write_tiny_repository("chatterbox", dir, f.dims);
  write_text(dir / "tokenizer.json", "{oops");
  expect_rejected(resolve_model("chatterbox", f.options(src)), {"tokenizer.json", "json failed"});

  // A folder where a file should be cannot be read (file permissions do not stop root).
  write_tiny_repository("chatterbox", dir, f.dims);
  fs::remove(dir / "s3gen.safetensors");
  fs::create_directory(dir / "s3gen.safetensors");
  expect_rejected(resolve_model("chatterbox", f.options(src)), {"s3gen.safetensors", "readable failed"});
}

BOOST_AUTO_TEST_CASE(wrong_dtype_in_a_sharded_checkpoint_is_found) {
  Fixture f;
  auto dir = f.tmp.path / "higgs";
  write_tiny_repository("higgs", dir, "");
  write_tiny_repository("higgs-tokenizer", f.tmp.path / "tok", "");
  auto o = f.options("dir:/nonexistent", "dir:" + dir.string(), "dir:" + (f.tmp.path / "tok").string());
  auto r = resolve_model("higgs", o);
  BOOST_TEST(r.ok, r.reason());
  BOOST_TEST(r.folders().size() == 2u);
  // Claim bf16 in config.json: every tensor is now the wrong dtype.
  auto config = nlohmann::json::parse(std::ifstream(dir / "config.json"));
  config["torch_dtype"] = "bfloat16";
  write_text(dir / "config.json", config.dump());
  expect_rejected(resolve_model("higgs", o), {"model.safetensors.index.json", "is F32, expected BF16"});
}

BOOST_AUTO_TEST_CASE(symlinks_leaving_the_source_are_refused) {
  Fixture f;
  auto dir = f.tmp.path / "cb";
  write_tiny_repository("chatterbox", dir, f.dims);
  write_tiny_repository("chatterbox", f.tmp.path / "elsewhere", f.dims);
  fs::remove(dir / "t3_cfg.safetensors");
  fs::create_symlink(f.tmp.path / "elsewhere" / "t3_cfg.safetensors", dir / "t3_cfg.safetensors");
  expect_rejected(resolve_model("chatterbox", f.options("dir:" + dir.string())),
                  {"t3_cfg.safetensors", "inside-root failed", "symlink"});
}

BOOST_AUTO_TEST_CASE(a_blob_whose_content_does_not_match_its_hash_fails_with_hash) {
  Fixture f;
  auto hub = f.tmp.path / "hub";
  auto snap = write_tiny_hf_cache("chatterbox", "ResembleAI/chatterbox", hub, f.dims, "cccc");
  // Same size, other bytes: only the hash can tell.
  auto blob = fs::canonical(snap / "tokenizer.json");
  std::string text = R"({"model": {"type": "BPE"}})";
  text[2] = 'n';
  write_text(blob, text);
  auto o = f.options("runpod-cache:" + hub.string());
  BOOST_TEST(resolve_model("chatterbox", o).ok);
  o.hash = true;
  expect_rejected(resolve_model("chatterbox", o), {"tokenizer.json", "hash failed", "corrupt"});
}

BOOST_AUTO_TEST_CASE(two_models_with_their_own_cache_roots_resolve_at_once) {
  Fixture f;
  auto cb_hub = f.tmp.path / "cb-hub";
  auto hg_vol = f.tmp.path / "higgs-volume";
  write_tiny_hf_cache("chatterbox", "ResembleAI/chatterbox", cb_hub, f.dims, "c1");
  write_tiny_repository("higgs", hg_vol / "bosonai" / "higgs-audio-v2-generation-3B-base", "");
  write_tiny_hf_cache("higgs-tokenizer", "bosonai/higgs-audio-v2-tokenizer", hg_vol, "", "t1");
  auto o = f.options("runpod-cache:" + cb_hub.string(), "volume:" + hg_vol.string(),
                     "volume:" + hg_vol.string());
  for (int round = 0; round < 5; ++round) {
    auto a = std::async(std::launch::async, [&] { return resolve_model("chatterbox", o); });
    auto b = std::async(std::launch::async, [&] { return resolve_model("higgs", o); });
    auto ra = a.get(), rb = b.get();
    BOOST_TEST(ra.ok, ra.reason());
    BOOST_TEST(rb.ok, rb.reason());
    BOOST_TEST(ra.folders().at("chatterbox").find("cb-hub") != std::string::npos);
    BOOST_TEST(rb.folders().at("higgs").find("higgs-volume") != std::string::npos);
    BOOST_TEST(rb.folders().at("higgs-tokenizer").find("snapshots/t1") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(local_cache_copies_once_and_never_uses_a_partial_copy) {
  Fixture f;
  auto hub = f.tmp.path / "hub";
  write_tiny_hf_cache("chatterbox", "ResembleAI/chatterbox", hub, f.dims, "dddd");
  auto o = f.options("runpod-cache:" + hub.string());
  o.local_cache = (f.tmp.path / "local").string();
  // A partial copy left by a killed process (no completion marker) is ignored.
  fs::create_directories(f.tmp.path / "local" / ".partial-chatterbox-dddd-1-2");
  auto r = resolve_model("chatterbox", o);
  BOOST_TEST(r.ok, r.reason());
  auto copy = fs::path(r.folders().at("chatterbox"));
  BOOST_TEST(copy == f.tmp.path / "local" / "chatterbox-dddd");
  BOOST_TEST(fs::exists(copy / ".warmtts-complete"));
  BOOST_TEST(!fs::is_symlink(copy / "t3_cfg.safetensors"));  // real files, not links
  // Second start: the copy is reused, not made again.
  auto marker_time = fs::last_write_time(copy / ".warmtts-complete");
  auto again = resolve_model("chatterbox", o);
  BOOST_TEST(again.folders().at("chatterbox") == copy.string());
  BOOST_TEST((fs::last_write_time(copy / ".warmtts-complete") == marker_time));
}

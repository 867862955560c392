// Chatterbox end to end against ChatterboxTTS.generate on a tiny checkpoint in the official
// layout (tools/parity/chatterbox_e2e.py): the cloned voice's conditionals, then for the
// built-in and the cloned voice at cfg_weight 0.5 / 0.3 and exaggeration 0.5 / 1.0, the speech
// tokens (identical), the flow mel and the waveform from the same seed, through the engine.
#define BOOST_TEST_MODULE chatterbox_e2e_parity
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <iterator>

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/tensor.h>

#include "sidecars/chatterbox/chatterbox_engine.hpp"
#include "sidecars/chatterbox/chatterbox_model.hpp"
#include "sidecars/chatterbox/reference_clip.hpp"
#include "sidecars/runtime/safetensors_file.hpp"
#include "tests/support/tensor_compare.hpp"

using namespace warmtts;

namespace {

const std::string dir = std::string(WARMTTS_FIXTURES) + "/chatterbox_tiny/";
const auto ref = runtime::SafetensorsFile::open(dir + "reference.safetensors");

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const chatterbox::ChatterboxModel& model() {
  static const chatterbox::ChatterboxModel m(dir, chatterbox::ChatterboxDims::load(dir + "dims.json"));
  return m;
}

const chatterbox::VoiceConditionals& cloned() {
  static const chatterbox::VoiceConditionals v = [] {
    auto [wav24, wav16] = chatterbox::reference_clip(file_bytes(dir + "voice.wav"));
    return model().clone_voice(wav24, wav16);
  }();
  return v;
}

struct Case {
  std::string voice;
  double cfg_weight, exaggeration;
  uint64_t seed;
  std::string name() const {
    std::ostringstream s;
    s << voice << "_cfg" << cfg_weight << "_ex" << exaggeration << "_seed" << seed;
    auto n = s.str();
    // The reference names floats the Python way: 1.0, not 1.
    for (auto* from : {"_ex1_", "_cfg1_"})
      if (auto at = n.find(from); at != std::string::npos) n.insert(at + std::string(from).size() - 1, ".0");
    return n;
  }
};

const Case cases[] = {{"builtin", 0.5, 0.5, 11}, {"builtin", 0.3, 1.0, 12}, {"clone", 0.5, 0.5, 13}, {"clone", 0.3, 1.0, 14}};

chatterbox::ChatterboxRequest request(const Case& c) {
  chatterbox::ChatterboxRequest r;
  r.text = "Hello world. This is a tiny test!";
  r.exaggeration = c.exaggeration;
  r.sampling.cfg_weight = c.cfg_weight;
  r.sampling.max_new_tokens = 40;  // the fixture's T3.inference cap
  return r;
}

std::vector<int64_t> as_vector(const at::Tensor& t) {
  auto c = t.to(at::kLong).contiguous();
  return {c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel()};
}

}  // namespace

BOOST_AUTO_TEST_CASE(text_tokens_are_the_references) {
  BOOST_TEST(model().text_tokens("Hello world. This is a tiny test!") == as_vector(ref.tensor("text_tokens")),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(cloned_voice_conditionals_match) {
  const auto& v = cloned();
  testing::check_close(v.speaker_emb, ref.tensor("clone_speaker_emb"), "VoiceEncoder speaker_emb", 1e-5);
  BOOST_TEST(as_vector(v.cond_prompt_speech_tokens) == as_vector(ref.tensor("clone_cond_prompt_speech_tokens")),
             boost::test_tools::per_element());
  BOOST_TEST(as_vector(v.flow.prompt_token) == as_vector(ref.tensor("clone_prompt_token")),
             boost::test_tools::per_element());
  testing::check_close(v.flow.prompt_feat, ref.tensor("clone_prompt_feat"), "prompt_feat", 1e-4);
  testing::check_close(v.flow.embedding, ref.tensor("clone_embedding"), "x-vector", 1e-4);
}

BOOST_AUTO_TEST_CASE(speech_tokens_and_mel_match_for_each_case) {
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name()) {
      const auto& voice = c.voice == "clone" ? cloned() : model().builtin_voice();
      auto gen = at::make_generator<at::CPUGeneratorImpl>(c.seed);
      runtime::SeededDraw draw(gen);
      auto tokens = model().speech_tokens(voice, request(c), draw);
      BOOST_TEST(tokens == as_vector(ref.tensor(c.name() + "_speech_tokens")), boost::test_tools::per_element());
      testing::check_close(model().mel(tokens, voice, gen), ref.tensor(c.name() + "_mel"), "mel", 1e-3);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_engine_synthesizes_the_references_waveform) {
  auto engine = chatterbox::make_chatterbox_engine(
      {"chatterbox", "cpu", {{"chatterbox", dir}, {"chatterbox_dims", dir + "dims.json"}}});
  engine->load({[](const std::string&) {}, [](const std::string&, double) {}});
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name()) {
      synthesis_params p;
      p.text = "Hello world. This is a tiny test!";
      if (c.voice == "clone") {
        p.voice.kind = "audio";
        p.voice.audio = file_bytes(dir + "voice.wav");
      }
      p.exaggeration = c.exaggeration;
      p.cfg_weight = c.cfg_weight;
      p.min_p = 0.05;
      p.repetition_penalty = 1.2;
      p.temperature = 0.8;
      p.top_p = 1.0;
      p.max_new_tokens = 40;
      p.seed = c.seed;
      auto out = engine->synthesize(p, {}, CancelToken());
      auto wav = at::from_blob(out.samples.data(), {1, static_cast<int64_t>(out.samples.size())}, at::kFloat);
      // The mel agrees within ~5e-6; HiFT integrates F0 into the source phase over every sample,
      // so single samples drift by up to a few 1e-3 while the signal as a whole stays within 1e-3.
      testing::check_relative_l2(wav, ref.tensor(c.name() + "_wav"), "waveform", 1e-3);
      testing::check_close(wav, ref.tensor(c.name() + "_wav"), "waveform", 1e-2);
    }
  }
}

BOOST_AUTO_TEST_CASE(cfg_weight_0_runs_the_conditional_row_alone_and_a_seed_reproduces_it) {
  auto c = Case{"builtin", 0.0, 0.5, 5};
  auto run = [&] {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(c.seed);
    runtime::SeededDraw draw(gen);
    return model().speech_tokens(model().builtin_voice(), request(c), draw);
  };
  auto first = run();
  BOOST_TEST(!first.empty());
  BOOST_TEST(first == run(), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_cancelled_synthesis_stops_with_synthesis_cancelled) {
  auto engine = chatterbox::make_chatterbox_engine(
      {"chatterbox", "cpu", {{"chatterbox", dir}, {"chatterbox_dims", dir + "dims.json"}}});
  engine->load({[](const std::string&) {}, [](const std::string&, double) {}});
  synthesis_params p;
  p.text = "Hello world.";
  p.cfg_weight = 0.5;
  p.temperature = 0.8;
  p.top_p = 1.0;
  p.repetition_penalty = 1.2;
  p.max_new_tokens = 40;
  CancelToken cancel;
  cancel.request();
  BOOST_CHECK_THROW(engine->synthesize(p, {}, cancel), SynthesisCancelled);
  // The engine is not left broken by it.
  BOOST_TEST(!engine->synthesize(p, {}, CancelToken()).samples.empty());
}

BOOST_AUTO_TEST_CASE(a_non_cpu_device_is_refused_with_a_clear_error) {
  try {
    chatterbox::make_chatterbox_engine({"chatterbox", "cuda:0", {{"chatterbox", dir}}});
    BOOST_FAIL("no error");
  } catch (const std::runtime_error& e) {
    BOOST_TEST(std::string(e.what()).find("chatterbox@cpu") != std::string::npos);
  }
}

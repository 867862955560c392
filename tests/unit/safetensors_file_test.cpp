#define BOOST_TEST_MODULE safetensors_file
#include <boost/test/unit_test.hpp>

#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "sidecars/runtime/safetensors_file.hpp"
#include "tests/support/checkpoint_files.hpp"

using namespace warmtts;
using warmtts::runtime::SafetensorsFile;

namespace {

// A file with known values: a = [[0,1,2],[3,4,5]] (F32), b = [7, -8] (I64).
std::filesystem::path known_file(const testing::TempDir& t) {
  nlohmann::json h{{"a", {{"dtype", "F32"}, {"shape", {2, 3}}, {"data_offsets", {0, 24}}}},
                   {"b", {{"dtype", "I64"}, {"shape", {2}}, {"data_offsets", {24, 40}}}}};
  std::string header = h.dump();
  std::string data(40, '\0');
  float a[6] = {0, 1, 2, 3, 4, 5};
  int64_t b[2] = {7, -8};
  std::memcpy(data.data(), a, 24);
  std::memcpy(data.data() + 24, b, 16);
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((header.size() >> (8 * i)) & 0xff);
  auto path = t.path / "known.safetensors";
  testing::write_text(path, out + header + data);
  return path;
}

}  // namespace

BOOST_AUTO_TEST_CASE(tensors_hold_the_file_values_in_both_modes) {
  testing::TempDir t;
  auto path = known_file(t);
  for (auto mode : {SafetensorsFile::Mode::mmap, SafetensorsFile::Mode::read}) {
    auto f = SafetensorsFile::open(path, mode);
    auto a = f.tensor("a");
    BOOST_TEST(a.dim() == 2);
    BOOST_TEST(a.size(0) == 2);
    BOOST_TEST(a.size(1) == 3);
    BOOST_TEST(a.scalar_type() == at::kFloat);
    BOOST_TEST(a[1][2].item<float>() == 5.0f);
    auto b = f.tensor("b");
    BOOST_TEST(b.scalar_type() == at::kLong);
    BOOST_TEST(b[1].item<int64_t>() == -8);
    BOOST_TEST(f.tensors().size() == 2u);
    BOOST_CHECK_THROW(f.tensor("c"), std::runtime_error);
  }
}

BOOST_AUTO_TEST_CASE(tensors_outlive_the_file_object) {
  testing::TempDir t;
  at::Tensor a;
  {
    auto f = SafetensorsFile::open(known_file(t));
    a = f.tensor("a");
  }
  BOOST_TEST(a[0][1].item<float>() == 1.0f);  // the mapping is still alive
}

BOOST_AUTO_TEST_CASE(a_damaged_file_is_refused) {
  testing::TempDir t;
  auto path = known_file(t);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 4);
  BOOST_CHECK_THROW(SafetensorsFile::open(path), volume::SafetensorsError);
}

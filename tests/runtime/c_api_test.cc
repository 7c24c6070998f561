// The C API on a tiny model: loading, shapes, runs in both modes, and clear errors for bad input.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "c_api_helpers.h"
#include "nestrt/nestrt.h"
#include "tiny_model.h"

namespace {

using nestrt::testing::read_file;
using nestrt::testing::TempPath;
using nestrt::testing::tiny_input;
using nestrt::testing::write_file;
using nestrt::testing::write_tiny_model;

class CApiTest : public ::testing::Test {
 protected:
  void SetUp() override { write_tiny_model(path_.str()); }
  nestrt_model* load(nestrt_mode mode) { return nestrt::testing::load_model(path_.str(), mode); }
  std::vector<float> run(nestrt_model* m, nestrt_mode* used = nullptr) {
    nestrt_session* s = nullptr;
    EXPECT_EQ(nestrt_session_create(m, nullptr, &s), NESTRT_OK);
    const auto x = tiny_input(1 * 3 * 6 * 5);
    std::vector<float> y(3);
    EXPECT_EQ(nestrt_run(s, x.data(), x.size(), y.data(), y.size(), used), NESTRT_OK) << nestrt_last_error();
    nestrt_session_destroy(s);
    return y;
  }
  TempPath path_{"capi.nest"};
};

TEST_F(CApiTest, ReportsShapesInTheSourceLayout) {
  nestrt_model* m = load(NESTRT_MODE_FULL);
  int64_t dims[8];
  size_t rank = 8;
  ASSERT_EQ(nestrt_model_input_shape(m, dims, &rank), NESTRT_OK);
  ASSERT_EQ(rank, 4u);
  EXPECT_EQ(std::vector<int64_t>(dims, dims + 4), (std::vector<int64_t>{1, 3, 6, 5}));  // NCHW
  rank = 8;
  ASSERT_EQ(nestrt_model_output_shape(m, dims, &rank), NESTRT_OK);
  EXPECT_EQ(std::vector<int64_t>(dims, dims + rank), (std::vector<int64_t>{1, 3}));
  rank = 1;
  EXPECT_EQ(nestrt_model_input_shape(m, dims, &rank), NESTRT_INVALID_ARGUMENT);
  EXPECT_EQ(rank, 4u);
  EXPECT_EQ(nestrt_model_label_count(m), 3u);
  EXPECT_STREQ(nestrt_model_label(m, 2), "class2");
  EXPECT_EQ(nestrt_model_label(m, 3), nullptr);
  nestrt_model_release(m);
}

TEST_F(CApiTest, ModesServeDifferentWeightsAndSwitchingMatchesAFreshLoad) {
  nestrt_model* full = load(NESTRT_MODE_FULL);
  nestrt_model* part = load(NESTRT_MODE_PART);
  nestrt_mode used;
  const auto y_full = run(full, &used);
  EXPECT_EQ(used, NESTRT_MODE_FULL);
  const auto y_part = run(part, &used);
  EXPECT_EQ(used, NESTRT_MODE_PART);
  EXPECT_NE(y_full, y_part);  // the part-mode weights and scales differ by construction
  nestrt_switch_info info;
  ASSERT_EQ(nestrt_switch(full, NESTRT_MODE_PART, &info), NESTRT_OK);
  EXPECT_EQ(info.previous_mode, NESTRT_MODE_FULL);
  EXPECT_EQ(info.mode, NESTRT_MODE_PART);
  EXPECT_EQ(run(full, &used), y_part);
  EXPECT_EQ(used, NESTRT_MODE_PART);
  ASSERT_EQ(nestrt_switch(full, NESTRT_MODE_FULL, &info), NESTRT_OK);
  EXPECT_EQ(run(full), y_full);
  nestrt_stats stats;
  ASSERT_EQ(nestrt_model_stats(full, &stats), NESTRT_OK);
  EXPECT_EQ(stats.switch_count, 2u);
  EXPECT_EQ(stats.total_bits, 8u);
  EXPECT_EQ(stats.high_bits, 6u);
  nestrt_model_release(full);
  nestrt_model_release(part);
}

// The same weights as bit-packed planes (6-bit high, 3-bit low) and as one int8 per element
// (format v1's planes): the same outputs in both modes, from fewer bytes, and part mode keeps
// only the high plane.
TEST_F(CApiTest, PackedPlanesServeTheSameWeightsFromFewerBytes) {
  for (int high_bits : {6, 5, 4}) {
    SCOPED_TRACE("8:" + std::to_string(high_bits));
    nestrt::testing::TinyModelSpec spec;
    spec.high_bits = high_bits;
    spec.conv_channels = 37;  // planes of 999 and 111 elements: whole and partial 64-element blocks
    TempPath bytes_path("bytes.nest"), packed_path("packed.nest");
    write_tiny_model(bytes_path.str(), spec);
    spec.packed = true;
    write_tiny_model(packed_path.str(), spec);
    for (nestrt_mode mode : {NESTRT_MODE_FULL, NESTRT_MODE_PART}) {
      nestrt_model* a = nestrt::testing::load_model(bytes_path.str(), mode);
      nestrt_model* b = nestrt::testing::load_model(packed_path.str(), mode);
      ASSERT_NE(a, nullptr);
      ASSERT_NE(b, nullptr);
      EXPECT_EQ(run(a), run(b)) << "mode " << mode;
      nestrt_stats sa, sb;
      ASSERT_EQ(nestrt_model_stats(a, &sa), NESTRT_OK);
      ASSERT_EQ(nestrt_model_stats(b, &sb), NESTRT_OK);
      EXPECT_LT(sb.high_bytes, sa.high_bytes);
      EXPECT_LT(sb.low_bytes, sa.low_bytes);
      nestrt_model_release(a);
      nestrt_model_release(b);
    }
  }
}

TEST_F(CApiTest, RejectsWrongBufferSizesAndNullArguments) {
  nestrt_model* m = load(NESTRT_MODE_FULL);
  nestrt_session* s = nullptr;
  ASSERT_EQ(nestrt_session_create(m, nullptr, &s), NESTRT_OK);
  std::vector<float> x(90), y(3);
  EXPECT_EQ(nestrt_run(s, x.data(), 89, y.data(), 3, nullptr), NESTRT_INVALID_ARGUMENT);
  EXPECT_NE(std::string(nestrt_last_error()).find("model needs 90"), std::string::npos) << nestrt_last_error();
  EXPECT_EQ(nestrt_run(s, x.data(), 90, y.data(), 4, nullptr), NESTRT_INVALID_ARGUMENT);
  EXPECT_EQ(nestrt_run(s, nullptr, 90, y.data(), 3, nullptr), NESTRT_INVALID_ARGUMENT);
  EXPECT_EQ(nestrt_switch(m, static_cast<nestrt_mode>(7), nullptr), NESTRT_INVALID_ARGUMENT);
  EXPECT_EQ(nestrt_model_load(nullptr, nullptr, &m), NESTRT_INVALID_ARGUMENT);
  nestrt_session_destroy(s);
  nestrt_model_release(m);
}

TEST_F(CApiTest, BadFilesGiveStatusesAndMessages) {
  nestrt_model* m = nullptr;
  EXPECT_EQ(nestrt_model_load("/nonexistent.nest", nullptr, &m), NESTRT_IO_ERROR);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(std::string(nestrt_last_error()).find("/nonexistent.nest"), std::string::npos);

  auto bytes = read_file(path_.str());
  auto corrupt = bytes;
  corrupt[corrupt.size() - 3] ^= 0xff;  // inside the low planes
  write_file(path_.str(), corrupt);
  EXPECT_EQ(nestrt_model_load(path_.str().c_str(), nullptr, &m), NESTRT_INVALID_MODEL);
  EXPECT_NE(std::string(nestrt_last_error()).find("low planes"), std::string::npos) << nestrt_last_error();

  auto future = bytes;
  future[8] = 3;  // format version 3, newer than this build
  write_file(path_.str(), future);
  EXPECT_EQ(nestrt_model_load(path_.str().c_str(), nullptr, &m), NESTRT_UNSUPPORTED);
  EXPECT_NE(std::string(nestrt_last_error()).find("version 3"), std::string::npos) << nestrt_last_error();
}

// Found by model_load_fuzzer: a bias near INT32_MIN overflowed the reference kernel's int32
// accumulator (undefined behaviour, and ISA-dependent results). The loader now bounds it.
TEST(CApiBadModelTest, RejectsBiasesThatCanOverflowTheAccumulator) {
  TempPath path("bias.nest");
  nestrt::testing::TinyModelSpec spec;
  spec.fc_bias = INT32_MIN + 1000;
  write_tiny_model(path.str(), spec);
  nestrt_model* m = nullptr;
  EXPECT_EQ(nestrt_model_load(path.str().c_str(), nullptr, &m), NESTRT_INVALID_MODEL);
  EXPECT_EQ(m, nullptr);
  EXPECT_NE(std::string(nestrt_last_error()).find("'fc'"), std::string::npos) << nestrt_last_error();
  EXPECT_NE(std::string(nestrt_last_error()).find("int32 accumulator"), std::string::npos) << nestrt_last_error();

  spec.fc_bias = 1 << 20;  // large but safe: the same file loads
  write_tiny_model(path.str(), spec);
  ASSERT_EQ(nestrt_model_load(path.str().c_str(), nullptr, &m), NESTRT_OK) << nestrt_last_error();
  nestrt_model_release(m);
}

// Writes the tiny model of `spec` and expects the load to fail as an invalid model, with no model
// returned and an error naming every one of `parts`.
void expect_load_rejected(const nestrt::testing::TinyModelSpec& spec, std::initializer_list<const char*> parts) {
  TempPath path("rejected.nest");
  write_tiny_model(path.str(), spec);
  nestrt_model* m = nullptr;
  EXPECT_EQ(nestrt_model_load(path.str().c_str(), nullptr, &m), NESTRT_INVALID_MODEL);
  EXPECT_EQ(m, nullptr);
  for (const char* part : parts) {
    EXPECT_NE(std::string(nestrt_last_error()).find(part), std::string::npos) << nestrt_last_error();
  }
}

// Found by model_load_fuzzer: a pad near INT_MAX overflowed the output-size arithmetic.
TEST(CApiBadModelTest, RejectsPadsThatOverflowTheWindowArithmetic) {
  nestrt::testing::TinyModelSpec spec;
  spec.conv_pad_bottom = 2130706433;
  expect_load_rejected(spec, {"pad 2130706433 exceeds 65536"});
}

// Found by model_load_fuzzer: an output scale near FLT_MAX dequantised to infinity.
TEST(CApiBadModelTest, RejectsScalesThatMakeOutputsNonFinite) {
  nestrt::testing::TinyModelSpec spec;
  spec.logits_scale = 3e38f;
  expect_load_rejected(spec, {"tensor 4 'logits'", "scale in [1e-30, 1e30]"});
}

// nestrt_model_image_geometry: zeros for a file without the geometry fields (older writers), the
// stored sizes otherwise.
TEST(CApiGeometryTest, ReportsTheStoredResizeAndCrop) {
  TempPath path("geometry.nest");
  nestrt::testing::TinyModelSpec spec;
  write_tiny_model(path.str(), spec);
  nestrt_model* m = nullptr;
  ASSERT_EQ(nestrt_model_load(path.str().c_str(), nullptr, &m), NESTRT_OK) << nestrt_last_error();
  nestrt_image_geometry g;
  std::memset(&g, 0xff, sizeof g);
  ASSERT_EQ(nestrt_model_image_geometry(m, &g), NESTRT_OK);
  EXPECT_EQ(g.resize_shorter + g.resize_height + g.resize_width + g.crop_height + g.crop_width, 0u);
  EXPECT_EQ(nestrt_model_image_geometry(m, nullptr), NESTRT_INVALID_ARGUMENT);
  nestrt_model_release(m);

  spec.geometry = {8, 0, 0, 6, 5};
  write_tiny_model(path.str(), spec);
  ASSERT_EQ(nestrt_model_load(path.str().c_str(), nullptr, &m), NESTRT_OK) << nestrt_last_error();
  ASSERT_EQ(nestrt_model_image_geometry(m, &g), NESTRT_OK);
  EXPECT_EQ(g.resize_shorter, 8u);
  EXPECT_EQ(g.resize_height, 0u);
  EXPECT_EQ(g.resize_width, 0u);
  EXPECT_EQ(g.crop_height, 6u);
  EXPECT_EQ(g.crop_width, 5u);
  nestrt_model_release(m);
  EXPECT_EQ(nestrt_model_image_geometry(nullptr, &g), NESTRT_INVALID_ARGUMENT);
}

TEST(CApiStatusTest, EveryStatusHasAName) {
  for (int s = NESTRT_OK; s <= NESTRT_INTERNAL_ERROR; ++s) {
    EXPECT_STRNE(nestrt_status_string(static_cast<nestrt_status>(s)), "unknown status");
  }
}

}  // namespace

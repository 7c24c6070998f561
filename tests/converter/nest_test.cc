#include "nestrt/converter/nest.h"

#include <gtest/gtest.h>

#include <random>

#include "nestrt/converter/error.h"

namespace nestrt::converter {
namespace {

std::vector<int8_t> all_weights() {
  std::vector<int8_t> q;
  for (int v = -127; v <= 127; ++v) q.push_back(static_cast<int8_t>(v));
  return q;
}

TEST(Nest, FullModeIsExactAndPartsStayInRange) {
  const std::vector<int8_t> q = all_weights();
  for (int h = 1; h <= 7; ++h) {
    const NestConfig config{8, h};
    const int l = config.low_bits();
    const NestedPlanes planes = nest_weights(q, config);
    for (size_t i = 0; i < q.size(); ++i) {
      SCOPED_TRACE("h=" + std::to_string(h) + " q=" + std::to_string(q[i]));
      EXPECT_EQ(planes.high[i] * (1 << l) + planes.low[i], q[i]);
      EXPECT_GE(planes.high[i], -(1 << (h - 1)));
      EXPECT_LE(planes.high[i], (1 << (h - 1)) - 1);
      EXPECT_GE(planes.low[i], -(1 << l));  // signed, l + 1 bits
      EXPECT_LT(planes.low[i], 1 << l);
    }
  }
}

TEST(Nest, HighIsTheNearestStepHalfToEven) {
  const NestConfig c6{8, 6};
  EXPECT_EQ(nest_high(5, c6), 1);     // 1.25
  EXPECT_EQ(nest_high(6, c6), 2);     // 1.5 -> 2
  EXPECT_EQ(nest_high(10, c6), 2);    // 2.5 -> 2
  EXPECT_EQ(nest_high(-6, c6), -2);   // -1.5 -> -2
  EXPECT_EQ(nest_high(126, c6), 31);  // 31.5 -> 32, clamped to 31
  EXPECT_EQ(nest_high(-127, c6), -32);
  const NestConfig c4{8, 4};
  EXPECT_EQ(nest_high(127, c4), 7);
  EXPECT_EQ(nest_high(-127, c4), -8);
}

TEST(Nest, RejectsUnsupportedConfigurations) {
  const std::vector<int8_t> q = {1, 2, 3};
  EXPECT_THROW(nest_weights(q, {8, 8}), ConversionError);
  EXPECT_THROW(nest_weights(q, {8, 0}), ConversionError);
  EXPECT_THROW(nest_weights(q, {16, 6}), ConversionError);
}

double part_error(const std::vector<int8_t>& q, const std::vector<int8_t>& high, float full_scale, float part_scale) {
  double e = 0.0;
  for (size_t i = 0; i < q.size(); ++i) {
    const double d = static_cast<double>(full_scale) * q[i] - static_cast<double>(part_scale) * high[i];
    e += d * d;
  }
  return e;
}

TEST(Nest, PartScaleRefitNeverLosesToTheDefault) {
  std::mt19937 rng(7);
  for (int h : {4, 5, 6}) {
    const NestConfig config{8, h};
    for (int trial = 0; trial < 300; ++trial) {
      // Channels of many shapes: gaussian-like, uniform, sparse, tiny.
      const size_t size = 1 + rng() % 300;
      const int spread = 1 + static_cast<int>(rng() % 127);
      std::vector<int8_t> q(size);
      for (auto& v : q) v = static_cast<int8_t>(static_cast<int>(rng() % (2 * spread + 1)) - spread);
      if (trial % 5 == 0) q[0] = 127;
      const float s_c = 0.001f + static_cast<float>(rng() % 1000) * 1e-5f;
      const NestedPlanes planes = nest_weights(q, config);
      const float refit = refit_part_scale(q, planes.high, s_c, config);
      const float fallback = s_c * static_cast<float>(1 << config.low_bits());
      ASSERT_GT(refit, 0.0f);
      // Relative slack for float rounding of the stored scale only.
      EXPECT_LE(part_error(q, planes.high, s_c, refit), part_error(q, planes.high, s_c, fallback) * (1 + 1e-6) + 1e-18)
          << "h=" << h << " trial=" << trial;
    }
  }
}

TEST(Nest, PartScaleFallsBackWhenEveryHighIsZero) {
  const NestConfig config{8, 4};
  const std::vector<int8_t> q = {1, -2, 3, 0};
  const NestedPlanes planes = nest_weights(q, config);
  for (int8_t h : planes.high) ASSERT_EQ(h, 0);
  EXPECT_FLOAT_EQ(refit_part_scale(q, planes.high, 0.5f, config), 8.0f);
}

}  // namespace
}  // namespace nestrt::converter

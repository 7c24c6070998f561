#include "nestrt/converter/nest.h"

#include <gtest/gtest.h>

#include <cmath>
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
  EXPECT_THROW(nest_weights(q, {1, 1}), ConversionError);
  const std::vector<int8_t> too_wide = {40};  // needs 7 bits
  EXPECT_THROW(nest_weights(too_wide, {6, 4}), ConversionError);
  EXPECT_NO_THROW(nest_weights(std::vector<int8_t>{31, -31}, {6, 4}));
}

TEST(Nest, MethodNamesRoundTrip) {
  for (NestMethod m : {NestMethod::kNearest, NestMethod::kSquant, NestMethod::kTruncate, NestMethod::kGptq}) {
    NestMethod parsed = NestMethod::kNearest;
    ASSERT_TRUE(parse_nest_method(nest_method_name(m), &parsed));
    EXPECT_EQ(parsed, m);
  }
  NestMethod unused;
  EXPECT_FALSE(parse_nest_method("bitplane", &unused));
}

TEST(Nest, TruncateIsFloorWithANonNegativeLowPart) {
  for (int h = 1; h <= 7; ++h) {
    const NestConfig config{8, h, NestMethod::kTruncate};
    const int step = 1 << config.low_bits();
    const std::vector<int8_t> q = all_weights();
    const NestedPlanes planes = nest_weights(q, config);
    for (size_t i = 0; i < q.size(); ++i) {
      SCOPED_TRACE("h=" + std::to_string(h) + " q=" + std::to_string(q[i]));
      EXPECT_EQ(planes.high[i], static_cast<int>(std::floor(q[i] / static_cast<double>(step))));
      EXPECT_EQ(planes.high[i] * step + planes.low[i], q[i]);
      EXPECT_GE(planes.low[i], 0);
      EXPECT_LT(planes.low[i], step);
    }
  }
}

// Residual sums in units of 1 (q - high * step), per kernel k of channel c: weights k + t * I (OHWI).
struct Sums {
  std::vector<std::vector<int>> kernel;  // [channel][kernel]
  std::vector<int> channel;
};
Sums residual_sums(const std::vector<int8_t>& q, const std::vector<int8_t>& high, const std::vector<int32_t>& shape,
                   int step) {
  const size_t o = static_cast<size_t>(shape[0]), taps = static_cast<size_t>(shape[1] * shape[2]),
               in = static_cast<size_t>(shape[3]);
  Sums s{std::vector<std::vector<int>>(o, std::vector<int>(in)), std::vector<int>(o)};
  for (size_t c = 0; c < o; ++c) {
    for (size_t t = 0; t < taps; ++t) {
      for (size_t k = 0; k < in; ++k) {
        const size_t i = c * taps * in + t * in + k;
        s.kernel[c][k] += q[i] - high[i] * step;
        s.channel[c] += q[i] - high[i] * step;
      }
    }
  }
  return s;
}

TEST(Nest, SquantBalancesRoundingErrorsPerKernelAndChannel) {
  const std::vector<std::vector<int32_t>> shapes = {{6, 3, 3, 5}, {4, 1, 1, 37}, {3, 5, 5, 1}, {2, 3, 3, 64}};
  const std::vector<NestConfig> configs = {{8, 6, NestMethod::kSquant},
                                           {8, 5, NestMethod::kSquant},
                                           {8, 4, NestMethod::kSquant},
                                           {6, 4, NestMethod::kSquant}};
  std::mt19937 rng(7);
  for (const auto& shape : shapes) {
    for (const NestConfig& config : configs) {
      SCOPED_TRACE(std::to_string(config.total_bits) + ":" + std::to_string(config.high_bits) + " shape [" +
                   std::to_string(shape[0]) + "," + std::to_string(shape[1]) + "," + std::to_string(shape[2]) + "," +
                   std::to_string(shape[3]) + "]");
      const int qmax = (1 << (config.total_bits - 1)) - 1, step = 1 << config.low_bits();
      std::uniform_int_distribution<int> dist(-qmax, qmax);
      std::vector<int8_t> q(static_cast<size_t>(shape[0] * shape[1] * shape[2] * shape[3]));
      for (auto& v : q) v = static_cast<int8_t>(dist(rng));
      const NestedPlanes squant = nest_weights(q, shape, config);
      const NestedPlanes nearest = nest_weights(q, shape, {config.total_bits, config.high_bits});
      EXPECT_EQ(nest_weights(q, shape, config).high, squant.high) << "deterministic";
      int flips = 0;
      for (size_t i = 0; i < q.size(); ++i) {
        ASSERT_EQ(squant.high[i] * step + squant.low[i], q[i]);
        ASSERT_LE(std::abs(squant.high[i] - nearest.high[i]), 1) << "a flip moves one step";
        ASSERT_GE(squant.low[i], -step);
        ASSERT_LT(squant.low[i], step);
        ASSERT_GE(squant.high[i], -(1 << (config.high_bits - 1)));
        ASSERT_LE(squant.high[i], (1 << (config.high_bits - 1)) - 1);
        flips += squant.high[i] != nearest.high[i];
      }
      const Sums after = residual_sums(q, squant.high, shape, step);
      for (size_t c = 0; c < after.channel.size(); ++c) {
        EXPECT_LE(2 * std::abs(after.channel[c]), step) << "channel " << c << " within half a step";
        for (int k : after.kernel[c]) EXPECT_LE(std::abs(k), step) << "kernel within one step";
      }
      if (shape[1] * shape[2] > 1) {
        EXPECT_GT(flips, 0) << "random kernels of 9+ weights need some flips";
      }
    }
  }
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

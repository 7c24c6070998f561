#include "nestrt/converter/quantise.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace nestrt::converter {
namespace {

TEST(Quantise, ActivationRangeIncludesZeroAndMapsEnds) {
  const ActivationQuant q = quantise_activation(-1.0f, 3.0f);
  EXPECT_FLOAT_EQ(q.scale, 4.0f / 255.0f);
  EXPECT_EQ(q.zero_point, static_cast<int>(std::nearbyint(-128.0 + 1.0 / q.scale)));
  EXPECT_EQ(q.min, -1.0f);
  EXPECT_EQ(q.max, 3.0f);
  // Positive-only range (Relu output): zero maps to -128.
  const ActivationQuant relu = quantise_activation(0.5f, 6.0f);
  EXPECT_FLOAT_EQ(relu.scale, 6.0f / 255.0f);
  EXPECT_EQ(relu.zero_point, -128);
  // Negative-only range: zero maps to 127.
  EXPECT_EQ(quantise_activation(-4.0f, -1.0f).zero_point, 127);
  // Degenerate range: a usable positive scale.
  const ActivationQuant zero = quantise_activation(0.0f, 0.0f);
  EXPECT_GT(zero.scale, 0.0f);
  EXPECT_TRUE(std::isfinite(zero.scale));
}

TEST(Quantise, WeightsPerChannelSymmetric) {
  // Channel ranges 127 and 254 give exact scales 1 and 2, so the ties below are real ties.
  const std::vector<float> w = {63.5f,
                                -127.0f,
                                62.5f,
                                0.0f,
                                /* channel 1 */ 254.0f,
                                127.0f,
                                -1.3f,
                                0.0f,
                                /* channel 2: zeros */ 0.0f,
                                0.0f,
                                0.0f,
                                0.0f};
  const ChannelQuant q = quantise_weights(w, 3);
  ASSERT_EQ(q.scales.size(), 3u);
  EXPECT_EQ(q.scales[0], 1.0f);
  EXPECT_EQ(q.scales[1], 2.0f);
  EXPECT_GT(q.scales[2], 0.0f);
  EXPECT_EQ(q.q, (std::vector<int8_t>{64, -127, 62, 0, 127, 64, -1, 0, 0, 0, 0, 0}));
  // A generic channel: max |w| maps to +-127.
  const ChannelQuant g = quantise_weights(std::vector<float>{0.3f, -0.7f, 0.1f}, 1);
  EXPECT_FLOAT_EQ(g.scales[0], 0.7f / 127.0f);
  EXPECT_EQ(g.q[1], -127);
}

TEST(Quantise, NarrowWeightsUseTheirOwnRange) {
  // 6 bits: qmax 31, so a channel range of 31 gives scale 1 and 15.5 is a real tie (-> 16).
  const ChannelQuant q = quantise_weights(std::vector<float>{31.0f, -15.5f, 14.5f, -31.0f}, 1, 6);
  EXPECT_EQ(q.scales[0], 1.0f);
  EXPECT_EQ(q.q, (std::vector<int8_t>{31, -16, 14, -31}));
  const ChannelQuant q4 = quantise_weights(std::vector<float>{7.0f, -3.5f}, 1, 4);
  EXPECT_EQ(q4.scales[0], 1.0f);
  EXPECT_EQ(q4.q, (std::vector<int8_t>{7, -4}));
}

TEST(Quantise, BiasRoundsHalfEvenAndSaturates) {
  EXPECT_EQ(quantise_bias(2.5f, 1.0f, 1.0f), 2);
  EXPECT_EQ(quantise_bias(3.5f, 1.0f, 1.0f), 4);
  EXPECT_EQ(quantise_bias(-2.5f, 1.0f, 1.0f), -2);
  EXPECT_EQ(quantise_bias(1e30f, 1e-3f, 1e-3f), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(quantise_bias(-1e30f, 1e-3f, 1e-3f), std::numeric_limits<int32_t>::min());
}

TEST(Quantise, MultiplierIsComputedInDouble) {
  const float s_in = 0.0123f, s_w = 0.00077f, s_out = 0.031f;
  EXPECT_EQ(requant_multiplier(s_in, s_w, s_out),
            static_cast<float>(static_cast<double>(s_in) * static_cast<double>(s_w) / static_cast<double>(s_out)));
}

TEST(Quantise, BoundsInOutputUnits) {
  const ActivationQuant q = quantise_activation(-2.0f, 8.0f);
  EXPECT_EQ(quantise_bound(0.0f, q), q.zero_point);
  EXPECT_EQ(quantise_bound(6.0f, q), static_cast<int8_t>(std::nearbyint(6.0 / q.scale) + q.zero_point));
  EXPECT_EQ(quantise_bound(100.0f, q), 127);
  EXPECT_EQ(quantise_bound(-std::numeric_limits<float>::infinity(), q), -128);
}

TEST(Quantise, Sqnr) {
  const std::vector<float> ref = {1.0f, -1.0f}, approx = {1.1f, -1.0f};
  EXPECT_NEAR(sqnr_db(ref, approx), 10.0 * std::log10(2.0 / 0.01), 1e-4);
  EXPECT_TRUE(std::isinf(sqnr_db(ref, ref)));
}

}  // namespace
}  // namespace nestrt::converter

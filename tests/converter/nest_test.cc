#include "nestrt/converter/nest.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <span>

#include "nestrt/converter/error.h"
#include "nestrt/converter/quantise.h"

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
  for (NestMethod m :
       {NestMethod::kNearest, NestMethod::kSquant, NestMethod::kTruncate, NestMethod::kGptq, NestMethod::kBitplane}) {
    NestMethod parsed = NestMethod::kNearest;
    ASSERT_TRUE(parse_nest_method(nest_method_name(m), &parsed));
    EXPECT_EQ(parsed, m);
  }
  EXPECT_STREQ(nest_method_name(NestMethod::kBitplane), "bitplane");
  NestMethod unused;
  EXPECT_FALSE(parse_nest_method("bit-plane", &unused));
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

// Every n-bit weight of an n:h bit-plane split: high is the arithmetic floor q >> l, low the
// unsigned l-bit plane q & (2^l - 1), and full mode restores q exactly.
TEST(Nest, BitplaneSplitsIntoFloorAndUnsignedLowBits) {
  for (const NestConfig& config : {NestConfig{8, 6, NestMethod::kBitplane}, NestConfig{8, 5, NestMethod::kBitplane},
                                   NestConfig{8, 4, NestMethod::kBitplane}, NestConfig{6, 4, NestMethod::kBitplane}}) {
    const int n = config.total_bits, h = config.high_bits, l = config.low_bits(), qmax = (1 << (n - 1)) - 1;
    std::vector<int8_t> q;
    for (int v = -qmax; v <= qmax; ++v) q.push_back(static_cast<int8_t>(v));
    const NestedPlanes planes = nest_weights(q, config);
    EXPECT_EQ(planes.method, NestMethod::kBitplane);
    for (size_t i = 0; i < q.size(); ++i) {
      SCOPED_TRACE(std::to_string(n) + ":" + std::to_string(h) + " q=" + std::to_string(q[i]));
      const int floor = static_cast<int>(std::floor(q[i] / std::ldexp(1.0, l)));
      EXPECT_EQ(planes.high[i], floor);
      EXPECT_EQ(planes.low[i], q[i] - floor * (1 << l));
      EXPECT_GE(planes.low[i], 0);
      EXPECT_LT(planes.low[i], 1 << l);
      EXPECT_EQ(planes.high[i] * (1 << l) + planes.low[i], q[i]);
      EXPECT_GE(planes.high[i], -(1 << (h - 1)));
      EXPECT_LE(planes.high[i], (1 << (h - 1)) - 1);
      // Part mode's weight 2 * high + 1 is odd and inside [-2^h + 1, 2^h - 1].
      const int part = part_weight(planes.high[i], NestMethod::kBitplane);
      EXPECT_EQ(part, 2 * floor + 1);
      EXPECT_LE(std::abs(part), (1 << h) - 1);
    }
    // Same split as truncate; full mode identical.
    const NestedPlanes truncate = nest_weights(q, {n, h, NestMethod::kTruncate});
    EXPECT_EQ(planes.high, truncate.high);
    EXPECT_EQ(planes.low, truncate.low);
  }
  EXPECT_EQ(part_weight(-3, NestMethod::kNearest), -3);  // every other method: high itself
  EXPECT_EQ(part_weight(-3, NestMethod::kTruncate), -3);
}

// Part mode of a bit-plane channel against an independent midpoint dequantisation
// s_c * 2^l * (floor(q / 2^l) + 1/2): the default part scale s_c * 2^(l-1) times 2 * high + 1 is it,
// the least-squares refit is never worse, and both sit in the middle of the bucket, off by at most
// half a high step from s_c * q.
TEST(Nest, BitplanePartModeIsTheBucketMidpoint) {
  std::mt19937 rng(3);
  for (const NestConfig& config : {NestConfig{8, 6, NestMethod::kBitplane}, NestConfig{8, 5, NestMethod::kBitplane},
                                   NestConfig{8, 4, NestMethod::kBitplane}, NestConfig{6, 4, NestMethod::kBitplane}}) {
    const int l = config.low_bits(), qmax = (1 << (config.total_bits - 1)) - 1;
    std::uniform_int_distribution<int> dist(-qmax, qmax);
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<int8_t> q(1 + rng() % 200);
      for (auto& v : q) v = static_cast<int8_t>(dist(rng));
      const float s_c = 0.001f + static_cast<float>(rng() % 1000) * 1e-5f;
      const NestedPlanes planes = nest_weights(q, config);
      const std::vector<int8_t> part = part_weights(planes.high, NestMethod::kBitplane);
      const float fixed = default_part_scale(s_c, config);
      EXPECT_FLOAT_EQ(fixed, s_c * std::ldexp(1.0f, l - 1));
      const float refit = refit_part_scale(q, part, s_c, config);
      ASSERT_GT(refit, 0.0f);
      double midpoint_error = 0.0, fixed_error = 0.0, refit_error = 0.0;
      for (size_t i = 0; i < q.size(); ++i) {
        const double step = std::ldexp(static_cast<double>(s_c), l);
        const double midpoint = step * (std::floor(q[i] / std::ldexp(1.0, l)) + 0.5);
        const double real = static_cast<double>(s_c) * q[i];
        ASSERT_NEAR(static_cast<double>(fixed) * part[i], midpoint, 1e-6 * step * 128);
        EXPECT_LE(std::fabs(midpoint - real), step / 2 + 1e-12);
        midpoint_error += (midpoint - real) * (midpoint - real);
        fixed_error += std::pow(static_cast<double>(fixed) * part[i] - real, 2);
        refit_error += std::pow(static_cast<double>(refit) * part[i] - real, 2);
      }
      EXPECT_NEAR(fixed_error, midpoint_error, 1e-6 * midpoint_error + 1e-18);
      EXPECT_LE(refit_error, midpoint_error * (1 + 1e-6) + 1e-18) << "trial " << trial;
    }
  }
}

// Gaussian weights quantised per channel as the converter does: bit-plane's part-mode weight error
// (refit scale on 2 * high + 1) is below truncation's and close to nearest rounding's.
TEST(Nest, BitplanePartErrorBeatsTruncateAndMatchesNearestOnGaussianWeights) {
  std::mt19937 rng(11);
  std::normal_distribution<float> gauss(0.0f, 0.05f);
  constexpr int64_t kChannels = 32;
  constexpr size_t kPerChannel = 288;  // 3x3x32
  std::vector<float> w(kChannels * kPerChannel);
  for (auto& v : w) v = gauss(rng);
  for (const NestConfig& base : {NestConfig{8, 6}, NestConfig{8, 5}, NestConfig{8, 4}, NestConfig{6, 4}}) {
    const ChannelQuant quant = quantise_weights(w, kChannels, base.total_bits);
    auto error = [&](NestMethod method) {  // sum over channels of |w - s_part * part weight|^2
      const NestConfig config{base.total_bits, base.high_bits, method};
      double e = 0.0;
      for (size_t c = 0; c < static_cast<size_t>(kChannels); ++c) {
        const std::span<const int8_t> qc = std::span(quant.q).subspan(c * kPerChannel, kPerChannel);
        const NestedPlanes planes = nest_weights(qc, config);
        const std::vector<int8_t> part = part_weights(planes.high, method);
        const float scale = method == NestMethod::kTruncate ? default_part_scale(quant.scales[c], config)
                                                            : refit_part_scale(qc, part, quant.scales[c], config);
        for (size_t k = 0; k < kPerChannel; ++k) {
          const double d = static_cast<double>(w[c * kPerChannel + k]) - static_cast<double>(scale) * part[k];
          e += d * d;
        }
      }
      return e;
    };
    const double bitplane = error(NestMethod::kBitplane), truncate = error(NestMethod::kTruncate),
                 nearest = error(NestMethod::kNearest);
    SCOPED_TRACE(std::to_string(base.total_bits) + ":" + std::to_string(base.high_bits));
    std::printf("%d:%d part-mode weight error: bitplane %.4g, nearest %.4g, truncate %.4g\n", base.total_bits,
                base.high_bits, bitplane, nearest, truncate);
    EXPECT_LT(bitplane, truncate / 2);
    EXPECT_LT(bitplane, nearest * 1.15);
    EXPECT_GT(bitplane, nearest * 0.7);
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

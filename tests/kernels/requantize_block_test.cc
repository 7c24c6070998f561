// The SIMD block requantiser (SSE2 / NEON, kernels/src/requantize_block.h) against the scalar rule
// it must reproduce bit for bit: ties at every half, values around 2^22..2^24 and far beyond, and
// every zero point / clamp combination at the int8 edges, over lengths around the block of 16.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "requantize_block.h"

namespace nestrt::kernels {
namespace {

std::vector<float> edge_values() {
  std::vector<float> v;
  for (float x = -140.f; x <= 140.f; x += 0.25f) v.push_back(x);  // every half-way tie in the int8 range
  for (float big : {4194303.5f, 4194304.f, 4194304.5f, 8388607.f, 8388608.f, 16777215.f, 16777216.f, 16777218.f,
                    2147483520.f, 2147483648.f, 3e9f, 1e20f, 3.4e38f}) {
    v.push_back(big), v.push_back(-big);
  }
  v.push_back(0.f), v.push_back(-0.f), v.push_back(0.49999997f), v.push_back(-0.49999997f);
  return v;
}

TEST(RequantizeBlockTest, MatchesScalarRuleOnEdgeValues) {
  const std::vector<float> values = edge_values();
  for (int32_t zp : {-128, -1, 0, 5, 127}) {
    for (auto [lo, hi] : {std::pair{-128, 127}, std::pair{0, 127}, std::pair{-128, -128}, std::pair{-3, 6}}) {
      std::vector<int8_t> got(values.size());
      requantize_floats(values.data(), values.size(), zp, lo, hi, got.data());
      for (size_t i = 0; i < values.size(); ++i) {
        ASSERT_EQ(got[i], requantize_float(values[i], zp, lo, hi))
            << "value " << values[i] << " zp " << zp << " clamp [" << lo << ", " << hi << "]";
      }
    }
  }
}

TEST(RequantizeBlockTest, EveryLengthAndOffsetMatches) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-300.f, 300.f);
  std::vector<float> values(80);
  for (float& x : values) x = std::round(dist(rng) * 2.f) / 2.f;  // many exact ties
  for (size_t offset = 0; offset < 4; ++offset) {
    for (size_t n = 0; n + offset <= values.size(); ++n) {
      std::vector<int8_t> got(n + 1, int8_t{99});  // one guard byte past the end
      requantize_floats(values.data() + offset, n, 3, -128, 127, got.data());
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(got[i], requantize_float(values[offset + i], 3, -128, 127)) << n;
      ASSERT_EQ(got[n], 99) << "wrote past the end, n = " << n;
    }
  }
}

}  // namespace
}  // namespace nestrt::kernels

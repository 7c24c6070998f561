// Softmax reference kernel: hand-worked rows (ties to even, the zero point), then rows of many
// lengths against an independent double-precision computation, their sums and their order.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "nestrt/kernels/reference.h"

namespace nestrt::kernels {
namespace {

std::vector<float> exp_table(double input_scale) {
  std::vector<float> t(256);
  for (int d = 0; d < 256; ++d) t[size_t(d)] = static_cast<float>(std::exp(-input_scale * d));
  return t;
}

TEST(SoftmaxTest, HandWorkedRowsRoundHalfToEven) {
  // Table 1, 0.75, _, 0.25 for d = 0, 1, 3. Row {7, 6, 4}: m = 7, d = {0, 1, 3}, e = {1, 0.75, 0.25},
  // s = 2. Output scale 0.25: r = 1 / (2 * 0.25) = 2 exactly, e * r = {2, 1.5, 0.5}, rounded half
  // to even {2, 2, 0}, plus the zero point -1: {1, 1, -1}.
  std::vector<float> table(256, 0.f);
  table[0] = 1.f, table[1] = 0.75f, table[3] = 0.25f;
  SoftmaxParams p;
  p.exp_table = table.data(), p.output_scale = 0.25f, p.output_zero_point = -1;
  const std::vector<int8_t> x = {7, 6, 4};
  std::vector<int8_t> y(3);
  qs8_softmax__ref(1, 3, p, x.data(), y.data());
  EXPECT_EQ(y, (std::vector<int8_t>{1, 1, -1}));

  // Input scale ln 2, so exp(-input_scale * d) = 2^-d exactly. Row {5, 3, 4}: d = {0, 2, 1},
  // e = {1, 0.25, 0.5}, s = 1.75. Output scale 1/256: r = 256 / 1.75 = 146.2857..., e * r =
  // {146.29, 36.57, 73.14} -> {146, 37, 73}, zero point -128: {18, -91, -55} (146 + 37 + 73 = 256:
  // the dequantised outputs sum to exactly 1).
  for (int d = 0; d < 256; ++d) table[size_t(d)] = std::ldexp(1.f, -d);
  p.exp_table = table.data(), p.output_scale = 1.f / 256, p.output_zero_point = -128;
  const std::vector<int8_t> x2 = {5, 3, 4};
  qs8_softmax__ref(1, 3, p, x2.data(), y.data());
  EXPECT_EQ(y, (std::vector<int8_t>{18, -91, -55}));
  // The clamp of a fused activation applies after the zero point.
  p.output_min = -100, p.output_max = 0;
  qs8_softmax__ref(1, 3, p, x2.data(), y.data());
  EXPECT_EQ(y, (std::vector<int8_t>{0, -91, -55}));
}

TEST(SoftmaxTest, RowsMatchADoubleComputationSumToOneAndKeepTheInputOrder) {
  std::mt19937 rng(51);
  for (double input_scale : {0.02, 0.1, 0.5}) {
    const std::vector<float> table = exp_table(input_scale);
    SoftmaxParams p;
    p.exp_table = table.data(), p.output_scale = 1.f / 256, p.output_zero_point = -128;
    for (size_t channels : {1, 2, 3, 10, 100, 1000}) {
      const size_t rows = 3;
      // Inputs in a band of 60 around a random level, so rows have many non-negligible entries.
      std::uniform_int_distribution<int> level(-128, 67), spread(0, 60);
      std::vector<int8_t> x(rows * channels), y(rows * channels);
      for (size_t r = 0; r < rows; ++r) {
        const int base = level(rng);
        for (size_t i = 0; i < channels; ++i) x[r * channels + i] = static_cast<int8_t>(base + spread(rng));
      }
      qs8_softmax__ref(rows, channels, p, x.data(), y.data());
      for (size_t r = 0; r < rows; ++r) {
        const int8_t* xr = x.data() + r * channels;
        const int8_t* yr = y.data() + r * channels;
        int m = -128;
        for (size_t i = 0; i < channels; ++i) m = std::max(m, int{xr[i]});
        double s = 0;
        for (size_t i = 0; i < channels; ++i) s += table[size_t(m - xr[i])];
        int sum = 0;
        for (size_t i = 0; i < channels; ++i) {
          const double exact = table[size_t(m - xr[i])] / (s * (1.0 / 256));
          const int want = std::min(255, static_cast<int>(std::nearbyint(exact))) - 128;
          if (yr[i] != want) {  // fp32's sum and reciprocal may only tip a near-tie
            const double tie_distance = std::fabs(exact - std::floor(exact) - 0.5);
            ASSERT_LE(tie_distance, exact * double(channels) * 0x1p-21 + 1e-6) << "element " << i;
            ASSERT_EQ(std::abs(yr[i] - want), 1);
          }
          sum += yr[i] + 128;
          for (size_t j = 0; j < channels; ++j) {  // a larger input never gets a smaller output
            if ((xr[i] > xr[j] && yr[i] < yr[j]) || (xr[i] == xr[j] && yr[i] != yr[j])) {
              FAIL() << "x " << int{xr[i]} << " -> " << int{yr[i]} << " but x " << int{xr[j]} << " -> " << int{yr[j]};
            }
          }
        }
        // Each output rounds by at most half a step; a dominant class can also clamp at 255 / 256.
        EXPECT_LE(std::abs(sum - 256), int(channels) / 2 + 1) << "channels " << channels;
      }
    }
  }
}

TEST(SoftmaxTest, RowsAreIndependentAndInPlaceGivesTheSameBits) {
  std::mt19937 rng(52);
  std::uniform_int_distribution<int> byte(-128, 127);
  const std::vector<float> table = exp_table(0.0625);
  SoftmaxParams p;
  p.exp_table = table.data(), p.output_scale = 1.f / 256, p.output_zero_point = -128;
  const size_t rows = 5, channels = 37;
  std::vector<int8_t> x(rows * channels), y(rows * channels);
  for (auto& v : x) v = static_cast<int8_t>(byte(rng));
  qs8_softmax__ref(rows, channels, p, x.data(), y.data());
  for (size_t r = 0; r < rows; ++r) {
    std::vector<int8_t> one(channels);
    qs8_softmax__ref(1, channels, p, x.data() + r * channels, one.data());
    ASSERT_EQ(one, std::vector<int8_t>(y.begin() + long(r * channels), y.begin() + long((r + 1) * channels)));
  }
  std::vector<int8_t> in_place = x;
  qs8_softmax__ref(rows, channels, p, in_place.data(), in_place.data());
  EXPECT_EQ(in_place, y);
  // Equal inputs share the mass equally: 1000 classes of 1/1000 = 0.256 steps each round to 0.
  std::vector<int8_t> flat(1000, int8_t{9}), out(1000);
  qs8_softmax__ref(1, 1000, p, flat.data(), out.data());
  EXPECT_EQ(out, std::vector<int8_t>(1000, int8_t{-128}));
  std::vector<int8_t> four(4, int8_t{-128}), out4(4);  // 4 classes: 64 steps each
  qs8_softmax__ref(1, 4, p, four.data(), out4.data());
  EXPECT_EQ(out4, std::vector<int8_t>(4, int8_t{-64}));
}

}  // namespace
}  // namespace nestrt::kernels

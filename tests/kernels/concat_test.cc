// Channel concatenation, one input's slice at a time: the reference against an independent
// double-precision formula on every int8 value and a hand-worked case (round half to even, saturation, the fused
// clamp, the copy case), and the portable threaded kernel against the reference bit for bit
// (row and channel counts around the chunk and task sizes, slices at every offset, thread counts),
// writing nothing outside its slice.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "nestrt/kernels/elementwise.h"
#include "nestrt/kernels/reference.h"
#include "random_int8.h"
#include "thread_pool.h"

namespace nestrt::kernels {
namespace {

ConcatParams random_params(std::mt19937& rng) {
  std::uniform_int_distribution<int> byte(-128, 127), kind(0, 5);
  std::uniform_real_distribution<float> any(0.05f, 4.f);
  ConcatParams p;
  p.input_zero_point = byte(rng), p.output_zero_point = byte(rng);
  switch (kind(rng)) {
    case 0: p.multiplier = 0.5f; break;  // exact halves: ties
    case 1:                              // the copy case
      p.multiplier = 1.f, p.output_zero_point = p.input_zero_point;
      break;
    case 2: p.multiplier = 1.f; break;    // the same scale, another zero point
    case 3: p.multiplier = 300.f; break;  // saturates
    default: p.multiplier = any(rng); break;
  }
  switch (kind(rng)) {
    case 0: p.output_min = p.output_zero_point; break;  // a fused ReLU
    case 1: p.output_min = -20, p.output_max = 33; break;
    default: break;
  }
  return p;
}

// nearbyint rounds half to even. (x - z) * m is exact in double; fp32's product rounds it, which
// can move it across a tie only within one fp32 ulp of one, so elsewhere the kernel must match.
void expect_formula(int x, const ConcatParams& p, int8_t got, size_t* near_ties) {
  const double exact = double(x - p.input_zero_point) * double(p.multiplier);
  const double want =
      std::min<double>(std::max<double>(std::nearbyint(exact) + p.output_zero_point, p.output_min), p.output_max);
  if (got == want) return;
  const double tie_distance = std::fabs(std::fabs(exact - std::trunc(exact)) - 0.5);
  ASSERT_LE(tie_distance, std::fabs(exact) * 0x1p-23) << "x " << x << " got " << int{got};
  ASSERT_EQ(std::fabs(got - want), 1.0);
  ++*near_ties;
}

TEST(ConcatTest, ReferenceMatchesTheDoubleFormulaOnEveryInputValue) {
  std::vector<int8_t> x(256);
  for (int i = 0; i < 256; ++i) x[size_t(i)] = int8_t(i - 128);
  std::mt19937 rng(41);
  const testing::Pool pool(3);
  size_t near_ties = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const ConcatParams p = random_params(rng);
    // 256 rows of one channel, written at offset 1 of 3 output channels.
    std::vector<int8_t> out(256 * 3, int8_t{55});
    qs8_concat__ref(256, 1, 3, 1, p, x.data(), out.data());
    std::vector<int8_t> fast(256 * 3, int8_t{55});
    qs8_concat__portable(256, 1, 3, 1, p, x.data(), fast.data(), pool.get());
    ASSERT_EQ(fast, out) << "trial " << trial;
    for (size_t r = 0; r < 256; ++r) {
      ASSERT_EQ(out[r * 3], 55) << "wrote outside its slice";
      ASSERT_EQ(out[r * 3 + 2], 55) << "wrote outside its slice";
      ASSERT_NO_FATAL_FAILURE(expect_formula(x[r], p, out[r * 3 + 1], &near_ties)) << "trial " << trial;
    }
  }
  EXPECT_LT(near_ties, 50u);
}

TEST(ConcatTest, HandWorkedRowsRoundHalfToEvenSaturateAndClamp) {
  // Input A [2 rows, 3 channels]: z = 3, m = 0.5, zo = 1.
  //   8 -> 5 * 0.5 = 2.5 -> 2 (even) -> 3;  6 -> 1.5 -> 2 -> 3;  4 -> 0.5 -> 0 -> 1;
  //   2 -> -0.5 -> -0 -> 1;  0 -> -1.5 -> -2 -> -1;  -128 -> -65.5 -> -66 -> -65.
  // Input B [2 rows, 2 channels]: z = -2, m = 3, zo = 1.
  //   40 -> 126 -> 127;  -45 -> -129 -> -128;  -2 -> 0 -> 1;  127 -> 387 -> 127 (saturates).
  const std::vector<int8_t> a = {8, 6, 4, 2, 0, -128}, b = {40, -45, -2, 127};
  ConcatParams pa, pb;
  pa.input_zero_point = 3, pa.output_zero_point = 1, pa.multiplier = 0.5f;
  pb.input_zero_point = -2, pb.output_zero_point = 1, pb.multiplier = 3.f;
  std::vector<int8_t> out(10, int8_t{99});
  qs8_concat__ref(2, 3, 5, 0, pa, a.data(), out.data());
  qs8_concat__ref(2, 2, 5, 3, pb, b.data(), out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{3, 3, 1, 127, -128, 1, -1, -65, 1, 127}));
  std::vector<int8_t> fast(10, int8_t{99});
  qs8_concat__portable(2, 3, 5, 0, pa, a.data(), fast.data());
  qs8_concat__portable(2, 2, 5, 3, pb, b.data(), fast.data());
  EXPECT_EQ(fast, out);
  pa.output_min = pb.output_min = -10, pa.output_max = pb.output_max = 20;  // a fused clamp
  qs8_concat__ref(2, 3, 5, 0, pa, a.data(), out.data());
  qs8_concat__ref(2, 2, 5, 3, pb, b.data(), out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{3, 3, 1, 20, -10, 1, -1, -10, 1, 20}));
  // Multiplier 1 and equal zero points: a copy, still clamped.
  ConcatParams copy;
  copy.input_zero_point = copy.output_zero_point = 7;
  const std::vector<int8_t> c = {-128, 127, 7, -1};
  std::vector<int8_t> got(4), got_fast(4);
  qs8_concat__ref(2, 2, 2, 0, copy, c.data(), got.data());
  EXPECT_EQ(got, c);
  copy.output_min = -10, copy.output_max = 20;
  qs8_concat__ref(2, 2, 2, 0, copy, c.data(), got.data());
  qs8_concat__portable(2, 2, 2, 0, copy, c.data(), got_fast.data());
  EXPECT_EQ(got, (std::vector<int8_t>{-10, 20, 7, -1}));
  EXPECT_EQ(got_fast, got);
}

// A whole concatenation of 2 to 4 inputs with random channel counts, against the reference (a
// sentinel after the output shows a write past the end).
TEST(ConcatTest, PortableMatchesReferenceForShapesSlicesAndThreads) {
  std::mt19937 rng(42);
  const testing::Pool pool2(2), pool3(3), pool5(5);
  const pthreadpool_t pools[] = {nullptr, pool2.get(), pool3.get(), pool5.get()};
  std::uniform_int_distribution<int> input_count(2, 4), pick(0, 9);
  const size_t channel_choices[] = {1, 3, 16, 17, 64, 511, 512, 513, 1100, 9000};
  int trial = 0;
  for (size_t rows : {1, 2, 7, 49, 196, 1000}) {
    for (int repeat = 0; repeat < 6; ++repeat, ++trial) {
      const int n = input_count(rng);
      std::vector<size_t> channels;
      size_t total = 0;
      for (int i = 0; i < n; ++i) total += channels.emplace_back(channel_choices[pick(rng)]);
      if (rows * total > (size_t{1} << 20)) continue;
      std::vector<int8_t> want(rows * total + 1, int8_t{77}), got(rows * total + 1, int8_t{77});
      size_t offset = 0;
      for (int i = 0; i < n; ++i) {
        const ConcatParams p = random_params(rng);
        const auto x = random_int8(rows * channels[size_t(i)], rng);
        qs8_concat__ref(rows, channels[size_t(i)], total, offset, p, x.data(), want.data());
        qs8_concat__portable(rows, channels[size_t(i)], total, offset, p, x.data(), got.data(), pools[trial % 4]);
        offset += channels[size_t(i)];
      }
      ASSERT_EQ(got[rows * total], 77) << "wrote past the end";
      ASSERT_EQ(got, want) << "rows " << rows << " trial " << trial;
    }
  }
}

TEST(ConcatTest, ThreadsDoNotChangeTheBits) {
  std::mt19937 rng(43);
  ConcatParams p;
  p.input_zero_point = 3, p.output_zero_point = -5, p.multiplier = 0.7f;
  for (size_t threads : {2, 3, 4}) {
    const testing::Pool pool(threads);
    for (size_t rows : {size_t(100), size_t(1001)}) {
      const size_t channels = 96, total = 160;
      const auto x = random_int8(rows * channels, rng);
      std::vector<int8_t> one(rows * total), many(rows * total);
      qs8_concat__portable(rows, channels, total, 64, p, x.data(), one.data());
      qs8_concat__portable(rows, channels, total, 64, p, x.data(), many.data(), pool.get());
      ASSERT_EQ(one, many) << rows;
    }
  }
}

}  // namespace
}  // namespace nestrt::kernels

// Requantised multiply: the reference against an independent double-precision formula, and the
// portable threaded kernels against the reference bit for bit (equal shapes and [N,1,1,C]
// broadcast; lengths around the vector width and the chunk and task sizes; zero points, clamps,
// multipliers that make exact ties and multipliers that saturate; thread counts).
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

MulParams random_params(std::mt19937& rng) {
  std::uniform_int_distribution<int> byte(-128, 127), kind(0, 4);
  std::uniform_real_distribution<float> small(1e-4f, 0.05f);
  MulParams p;
  p.a_zero_point = byte(rng), p.b_zero_point = byte(rng), p.output_zero_point = byte(rng);
  switch (kind(rng)) {
    case 0: p.multiplier = 0.5f; break;         // exact halves: ties
    case 1: p.multiplier = 1.f / 64; break;     // exact, ties at every 32nd product
    case 2: p.multiplier = 3e5f; break;         // saturates (and far beyond 2^24)
    default: p.multiplier = small(rng); break;  // scale_a * scale_b / scale_out of real layers
  }
  switch (kind(rng)) {
    case 0: p.output_min = p.output_zero_point; break;  // a fused ReLU
    case 1: p.output_min = -20, p.output_max = 33; break;
    default: break;
  }
  return p;
}

// nearbyint in the default rounding mode rounds half to even. The product of the int8 differences
// and the multiplier is exact in double; fp32's product rounds it, which can move it across a tie
// only when it lies within one fp32 ulp of one, so elsewhere the kernel must match exactly.
void expect_mul_formula(int a, int b, const MulParams& p, int8_t got, size_t* near_ties) {
  const double exact = double((a - p.a_zero_point) * (b - p.b_zero_point)) * double(p.multiplier);
  const double want =
      std::min<double>(std::max<double>(std::nearbyint(exact) + p.output_zero_point, p.output_min), p.output_max);
  if (got == want) return;
  const double tie_distance = std::fabs(std::fabs(exact - std::trunc(exact)) - 0.5);
  ASSERT_LE(tie_distance, std::fabs(exact) * 0x1p-23) << "a " << a << " b " << b << " got " << int{got};
  ASSERT_EQ(std::fabs(got - want), 1.0);
  ++*near_ties;
}

TEST(MulTest, ReferenceMatchesTheDoubleFormulaOnEveryInputPair) {
  std::vector<int8_t> a(65536), b(65536), out(65536);
  for (size_t i = 0; i < a.size(); ++i) a[i] = int8_t(i & 0xff), b[i] = int8_t(i >> 8);
  std::mt19937 rng(31);
  size_t near_ties = 0;
  for (int trial = 0; trial < 24; ++trial) {
    const MulParams p = random_params(rng);
    qs8_mul__ref(a.size(), p, a.data(), b.data(), out.data());
    for (size_t i = 0; i < a.size(); ++i) {
      ASSERT_NO_FATAL_FAILURE(expect_mul_formula(a[i], b[i], p, out[i], &near_ties)) << "trial " << trial;
    }
  }
  EXPECT_LT(near_ties, 100u);
}

TEST(MulTest, HandWorkedValuesRoundHalfToEvenAndClamp) {
  MulParams p;
  p.a_zero_point = 3, p.b_zero_point = -2, p.output_zero_point = 1, p.multiplier = 0.25f;
  // (10-3)*(4+2) = 42, * 0.25 = 10.5 -> 10 (even), + 1 = 11;  (6-3)*(0+2) = 6 -> 1.5 -> 2, + 1 = 3;
  // (-128-3)*(127+2) = -16899 -> -4224.75 -> clamp -128;  (3-3)*anything = 0 -> 1.
  const std::vector<int8_t> a = {10, 6, -128, 3}, b = {4, 0, 127, -100};
  std::vector<int8_t> out(4);
  qs8_mul__ref(4, p, a.data(), b.data(), out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{11, 3, -128, 1}));
  p.output_min = 2, p.output_max = 10;  // a fused clamp
  qs8_mul__ref(4, p, a.data(), b.data(), out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{10, 3, 2, 2}));
}

// The broadcast reference against an explicit NHWC index computation over the plain reference.
TEST(MulTest, BroadcastReferenceAppliesTheChannelRowOfItsBatchAtEveryPixel) {
  std::mt19937 rng(32);
  for (size_t batch : {1, 3}) {
    for (size_t spatial : {1, 7}) {
      for (size_t channels : {1, 5, 33}) {
        const MulParams p = random_params(rng);
        const auto a = random_int8(batch * spatial * channels, rng), b = random_int8(batch * channels, rng);
        std::vector<int8_t> got(a.size()), b_full(a.size()), want(a.size());
        for (size_t n = 0; n < batch; ++n)
          for (size_t s = 0; s < spatial; ++s)
            for (size_t c = 0; c < channels; ++c) b_full[(n * spatial + s) * channels + c] = b[n * channels + c];
        qs8_mul_broadcast__ref(batch, spatial, channels, p, a.data(), b.data(), got.data());
        size_t near_ties = 0;
        for (size_t i = 0; i < a.size(); ++i)
          ASSERT_NO_FATAL_FAILURE(expect_mul_formula(a[i], b_full[i], p, got[i], &near_ties));
        qs8_mul__ref(a.size(), p, a.data(), b_full.data(), want.data());
        ASSERT_EQ(got, want) << batch << "x" << spatial << "x" << channels;
      }
    }
  }
}

TEST(MulTest, PortableMatchesReference) {
  std::mt19937 rng(33);
  const testing::Pool pool2(2), pool3(3);
  for (int trial = 0; trial < 400; ++trial) {
    const size_t count = size_t(trial % 67) + (trial % 5 == 0 ? 1000 : 0) + (trial % 7 == 0 ? 8192 : 0) + 1;
    const MulParams p = random_params(rng);
    const auto a = random_int8(count, rng), b = random_int8(count, rng);
    std::vector<int8_t> want(count), got(count + 1, int8_t{77});
    qs8_mul__ref(count, p, a.data(), b.data(), want.data());
    pthreadpool_t pool = trial % 3 == 0 ? nullptr : trial % 3 == 1 ? pool2.get() : pool3.get();
    qs8_mul__portable(count, p, a.data(), b.data(), got.data(), pool);
    ASSERT_EQ(got[count], 77) << "wrote past the end";
    got.resize(count);
    ASSERT_EQ(got, want) << "trial " << trial << " count " << count;
  }
}

// Shapes around the chunk (512) and task (8192 elements) sizes, channel counts that split rows
// across chunks and chunks across rows, and 1 to 5 threads.
TEST(MulTest, BroadcastPortableMatchesReferenceForShapesAndThreads) {
  std::mt19937 rng(34);
  const testing::Pool pool2(2), pool3(3), pool5(5);
  const pthreadpool_t pools[] = {nullptr, pool2.get(), pool3.get(), pool5.get()};
  int trial = 0;
  for (size_t batch : {1, 2, 3}) {
    for (size_t spatial : {1, 2, 49, 196}) {
      for (size_t channels : {1, 3, 16, 17, 96, 511, 512, 513, 1280, 9000}) {
        if (batch * spatial * channels > (size_t{1} << 19)) continue;
        const MulParams p = random_params(rng);
        const auto a = random_int8(batch * spatial * channels, rng), b = random_int8(batch * channels, rng);
        std::vector<int8_t> want(a.size()), got(a.size() + 1, int8_t{77});
        qs8_mul_broadcast__ref(batch, spatial, channels, p, a.data(), b.data(), want.data());
        qs8_mul_broadcast__portable(batch, spatial, channels, p, a.data(), b.data(), got.data(), pools[trial++ % 4]);
        ASSERT_EQ(got[a.size()], 77) << "wrote past the end";
        got.resize(a.size());
        ASSERT_EQ(got, want) << batch << "x" << spatial << "x" << channels;
      }
    }
  }
}

TEST(MulTest, ThreadsDoNotChangeTheBits) {
  std::mt19937 rng(35);
  MulParams p;
  p.a_zero_point = 3, p.b_zero_point = -7, p.output_zero_point = 1, p.multiplier = 1.f / 128;
  for (size_t threads : {2, 3, 4}) {
    const testing::Pool pool(threads);
    for (size_t count : {size_t(8191), size_t(8192), size_t(8193), size_t(100000)}) {
      const auto a = random_int8(count, rng), b = random_int8(count, rng);
      std::vector<int8_t> one(count), many(count);
      qs8_mul__portable(count, p, a.data(), b.data(), one.data());
      qs8_mul__portable(count, p, a.data(), b.data(), many.data(), pool.get());
      ASSERT_EQ(one, many) << count;
      const size_t channels = 24, spatial = count / channels / 2;
      std::vector<int8_t> one_b(2 * spatial * channels), many_b(2 * spatial * channels);
      qs8_mul_broadcast__portable(2, spatial, channels, p, a.data(), b.data(), one_b.data());
      qs8_mul_broadcast__portable(2, spatial, channels, p, a.data(), b.data(), many_b.data(), pool.get());
      ASSERT_EQ(one_b, many_b) << count;
    }
  }
}

}  // namespace
}  // namespace nestrt::kernels

// The fast requantised add against the reference, bit for bit: lengths around the vector width,
// zero points, clamps, multipliers that make ties and multipliers that saturate; and the input
// quantisation against the scalar rule.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "nestrt/kernels/elementwise.h"
#include "nestrt/kernels/reference.h"
#include "nestrt/kernels/requantize.h"
#include "thread_pool.h"

namespace nestrt::kernels {
namespace {

TEST(AddTest, PortableMatchesReference) {
  std::mt19937 rng(21);
  std::uniform_int_distribution<int> byte(-128, 127), coin(0, 3);
  std::uniform_real_distribution<float> m(0.01f, 2.0f);
  for (int trial = 0; trial < 400; ++trial) {
    const size_t count = size_t(trial % 67) + (trial % 5 == 0 ? 1000 : 1);
    AddParams p;
    p.a_zero_point = byte(rng), p.b_zero_point = byte(rng), p.output_zero_point = byte(rng);
    switch (coin(rng)) {
      case 0: p.a_multiplier = 0.5f, p.b_multiplier = 0.25f; break;  // exact halves: ties
      case 1: p.a_multiplier = 3e5f, p.b_multiplier = -2e5f; break;  // far beyond 2^22 at times
      default: p.a_multiplier = m(rng), p.b_multiplier = m(rng);
    }
    if (coin(rng) == 0) p.output_min = p.output_zero_point;  // a fused ReLU
    std::vector<int8_t> a(count), b(count), want(count), got(count);
    for (auto& v : a) v = static_cast<int8_t>(byte(rng));
    for (auto& v : b) v = static_cast<int8_t>(byte(rng));
    qs8_add__ref(count, p, a.data(), b.data(), want.data());
    qs8_add__portable(count, p, a.data(), b.data(), got.data());
    ASSERT_EQ(got, want) << "trial " << trial << " count " << count;
  }
}

// Long tensors split among threads (tasks of 8192 elements): the same bits as one thread.
TEST(AddTest, ThreadsDoNotChangeTheBits) {
  std::mt19937 rng(22);
  std::uniform_int_distribution<int> byte(-128, 127);
  AddParams p;
  p.a_zero_point = 3, p.b_zero_point = -7, p.output_zero_point = 1, p.a_multiplier = 0.5f, p.b_multiplier = 0.75f;
  const testing::Pool pool(3);
  for (size_t count : {size_t(8191), size_t(8192), size_t(8193), size_t(100000)}) {
    std::vector<int8_t> a(count), b(count), want(count), got(count);
    for (auto& v : a) v = static_cast<int8_t>(byte(rng));
    for (auto& v : b) v = static_cast<int8_t>(byte(rng));
    qs8_add__ref(count, p, a.data(), b.data(), want.data());
    qs8_add__portable(count, p, a.data(), b.data(), got.data(), pool.get());
    ASSERT_EQ(got, want) << count;
  }
}

// Input quantisation: the scalar rule on x / scale, NaN to the zero point, infinities and huge
// values saturating, exact ties rounding to even, over lengths around the SIMD block.
TEST(QuantizeTest, PortableMatchesScalarRule) {
  std::vector<float> x;
  for (float v = -70.f; v <= 70.f; v += 0.125f) x.push_back(v);
  for (float v : {1e30f, -1e30f, 3e38f, std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN(), 0.f, -0.f}) {
    x.push_back(v);
  }
  for (float scale : {0.25f, 0.5f, 0.0078125f, 3.f}) {
    for (int32_t zp : {-128, -3, 0, 127}) {
      for (size_t n : {size_t(0), size_t(1), size_t(15), size_t(16), size_t(17), x.size()}) {
        std::vector<int8_t> got(n + 1, int8_t{77});
        qs8_quantize__portable(n, scale, zp, x.data(), got.data());
        for (size_t i = 0; i < n; ++i) {
          const int8_t want = std::isnan(x[i]) ? int8_t(zp) : requantize_float(x[i] / scale, zp, -128, 127);
          ASSERT_EQ(got[i], want) << "x " << x[i] << " scale " << scale << " zp " << zp;
        }
        ASSERT_EQ(got[n], 77) << "wrote past the end";
      }
    }
  }
}

}  // namespace
}  // namespace nestrt::kernels

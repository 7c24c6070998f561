// The fast requantised add against the reference, bit for bit: lengths around the vector width,
// zero points, clamps, multipliers that make ties and multipliers that saturate.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "nestrt/kernels/elementwise.h"
#include "nestrt/kernels/reference.h"

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

}  // namespace
}  // namespace nestrt::kernels

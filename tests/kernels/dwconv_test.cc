// The fast depthwise paths (portable, and each variant's) against the reference, bit for bit:
// channels below, at and above the 16- and 32-channel steps and the 1024-channel pass, 3x3 and
// 5x5 kernels, strides 1 and 2, dilation, asymmetric padding, zero points, fused clamps,
// saturating and tie-producing multipliers, both modes, nestings 8:6, 8:5 and 8:4 (nearest and bit-plane), 1 to 4
// threads.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gemm_microkernel_tester.h"
#include "nestrt/kernels/dwconv.h"
#include "nestrt/kernels/reference.h"
#include "thread_pool.h"

namespace nestrt::kernels {
namespace {

struct Case {
  int in_h, in_w, channels, kernel, stride, dilation, pad_top, pad_left;
};

std::string describe(const Case& c) {
  return "in " + std::to_string(c.in_h) + "x" + std::to_string(c.in_w) + "x" + std::to_string(c.channels) + " k" +
         std::to_string(c.kernel) + " s" + std::to_string(c.stride) + " d" + std::to_string(c.dilation) + " pad " +
         std::to_string(c.pad_top) + "," + std::to_string(c.pad_left);
}

// Runs one geometry in every mode and nesting on the portable kernel (variant unset) or on a
// variant's kernel; pool null: the calling thread.
void check(const Case& c, std::mt19937& rng, pthreadpool_t pool, float multiplier_scale = 1.0f,
           std::optional<Variant> variant = std::nullopt) {
  ConvGeometry g;
  g.in_h = c.in_h, g.in_w = c.in_w, g.in_c = g.out_c = g.groups = c.channels;
  g.kernel_h = g.kernel_w = c.kernel, g.stride_h = g.stride_w = c.stride, g.dilation_h = g.dilation_w = c.dilation;
  g.pad_top = c.pad_top, g.pad_left = c.pad_left;
  const int span = (c.kernel - 1) * c.dilation + 1;
  g.out_h = conv_output_size(c.in_h, span, c.stride, 1, c.pad_top, c.pad_top);
  g.out_w = conv_output_size(c.in_w, span, c.stride, 1, c.pad_left, c.pad_left + 1);
  ASSERT_GT(g.out_h, 0);
  ASSERT_GT(g.out_w, 0);
  std::uniform_int_distribution<int> byte(-128, 127), bias(-30000, 30000), coin(0, 3);
  std::vector<int8_t> input(size_t(g.in_h) * g.in_w * g.in_c);
  for (auto& v : input) v = static_cast<int8_t>(byte(rng));
  std::vector<int32_t> biases(size_t(g.out_c));
  std::vector<float> mult(size_t(g.out_c));
  for (int ch = 0; ch < g.out_c; ++ch) {
    biases[size_t(ch)] = bias(rng);
    // Powers of two times an odd count of 1/16 make exact .5 products (ties) common.
    mult[size_t(ch)] = multiplier_scale * (coin(rng) == 0 ? 0.5f : 1e-4f + float(byte(rng) + 128) * 2e-5f);
  }
  ActivationParams a{byte(rng), byte(rng), -128, 127};
  if (coin(rng) == 0) a.output_min = a.output_zero_point;  // a fused ReLU
  if (coin(rng) == 0) a.output_max = std::min(127, a.output_zero_point + 40);
  const ChannelQuant q{biases.data(), mult.data(), nullptr};
  ASSERT_TRUE(dwconv_supports(g, q));
  const size_t taps = size_t(c.kernel) * c.kernel, out = size_t(g.out_h) * g.out_w * g.out_c;
  std::vector<int8_t> scratch(qs8_dwconv2d_nested_scratch_bytes(g)), decoded(taps * size_t(g.out_c));
  for (int config = 0; config < 6; ++config) {  // 8:6, 8:5, 8:4, nearest then bit-plane
    const int high = 6 - config % 3;
    const testing::Split split = config < 3 ? testing::Split::kNearest : testing::Split::kBitplane;
    const testing::RandomNested nested(taps * size_t(g.out_c), 8, high, rng, split);
    for (NestMode mode : {NestMode::kFull, NestMode::kPart}) {
      std::vector<int8_t> want(out), got(out, 0x55);
      nest_qs8_decode__ref(nested.planes(), mode, decoded.data());
      qs8_dwconv2d__ref(g, a, input.data(), decoded.data(), q, want.data());
      if (variant) {
        qs8_dwconv2d_nested(*variant, g, a, input.data(), nested.planes(), mode, q, got.data(), scratch.data(), pool);
      } else {
        nest_qs8_dwconv2d_c16__portable(g, a, input.data(), nested.planes(), mode, q, got.data(), scratch.data(), pool);
      }
      ASSERT_EQ(got, want) << describe(c) << " 8:" << high << testing::split_name(split)
                           << (mode == NestMode::kFull ? " full" : " part");
    }
  }
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {6, 7, 1, 3, 1, 1, 1, 1},    {6, 7, 15, 3, 1, 1, 1, 1},   {6, 7, 16, 3, 1, 1, 1, 1},
      {6, 7, 17, 3, 1, 1, 1, 1},   {9, 8, 33, 3, 2, 1, 1, 1},   {9, 9, 48, 3, 2, 1, 0, 0},
      {11, 10, 24, 5, 1, 1, 2, 2}, {11, 12, 40, 5, 2, 1, 2, 1}, {8, 8, 20, 3, 1, 2, 2, 2},
      {3, 3, 64, 3, 1, 1, 1, 1},   {1, 1, 32, 3, 1, 1, 1, 1},   {14, 14, 96, 3, 2, 1, 1, 1},
      {4, 5, 1030, 3, 1, 1, 1, 1}, {3, 3, 2100, 3, 2, 1, 1, 1},  // more channels than one 1024-channel pass
  };
  return all;
}

TEST(DwconvTest, MatchesReferenceOnEveryEdgeCase) {
  std::mt19937 rng(11);
  for (const Case& c : cases()) check(c, rng, nullptr);
}

TEST(DwconvTest, SaturatingMultipliersMatchTheReference) {
  std::mt19937 rng(12);
  for (const Case& c : cases()) check(c, rng, nullptr, 1e4f);  // |acc * m| far beyond 2^22
}

TEST(DwconvTest, ThreadCountDoesNotChangeTheBits) {
  std::mt19937 rng(13);
  for (size_t threads : {2, 3, 4}) {
    const testing::Pool pool(threads);
    for (const Case& c : cases()) check(c, rng, pool.get());
  }
}

// Every variant's depthwise kernel (AVX2 on x86, NEON on arm64) on the same cases, bit for bit.
class DwconvVariantTest : public ::testing::TestWithParam<Variant> {};

TEST_P(DwconvVariantTest, MatchesReferenceOnEveryEdgeCase) {
  NESTRT_REQUIRE_VARIANT(GetParam());
  std::printf("dwconv variant %s\n", variant_name(GetParam()));
  std::mt19937 rng(14);
  for (const Case& c : cases()) check(c, rng, nullptr, 1.0f, GetParam());
  for (const Case& c : cases()) check(c, rng, nullptr, 1e4f, GetParam());
  const testing::Pool pool(3);
  for (const Case& c : cases()) check(c, rng, pool.get(), 1.0f, GetParam());
}

// The variants this build has kernels for (ref, and those of the target architecture).
std::vector<Variant> compiled_variants() {
  std::vector<Variant> out{Variant::kRef};
  for (Variant v : kAllVariants) {
    if (gemm_ukernel(v).fn) out.push_back(v);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Variants, DwconvVariantTest, ::testing::ValuesIn(compiled_variants()),
                         [](const auto& p) { return std::string(variant_name(p.param)); });

TEST(DwconvTest, SupportsOnlyMultiplierOneWithoutWeightZeroPoints) {
  ConvGeometry g;
  g.in_h = g.in_w = g.out_h = g.out_w = 4, g.in_c = 8, g.out_c = 16, g.groups = 8, g.kernel_h = g.kernel_w = 3;
  std::vector<int32_t> bias(16, 0), zero_points(16, 0);
  std::vector<float> mult(16, 1.0f);
  EXPECT_FALSE(dwconv_supports(g, {bias.data(), mult.data(), nullptr}));  // channel multiplier 2
  g.out_c = 8;
  EXPECT_TRUE(dwconv_supports(g, {bias.data(), mult.data(), zero_points.data()}));
  zero_points[3] = 1;
  EXPECT_FALSE(dwconv_supports(g, {bias.data(), mult.data(), zero_points.data()}));
  zero_points[3] = 0;
  g.kernel_h = g.kernel_w = 8;  // 64 taps: the most a pixel's tap list holds
  EXPECT_TRUE(dwconv_supports(g, {bias.data(), mult.data(), zero_points.data()}));
  g.kernel_w = 9;
  EXPECT_FALSE(dwconv_supports(g, {bias.data(), mult.data(), zero_points.data()}));
}

}  // namespace
}  // namespace nestrt::kernels

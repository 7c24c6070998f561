// Conv2D / FullyConnected problems through qs8_conv2d_nested (the executor's path) with every
// available variant against Variant::kRef, with equality: random geometries with padding, strides,
// dilation, kernel sizes, batches, both modes and nestings 8:6, 8:5, 8:4, nearest and bit-plane
// (whose part mode decodes 2 * high + 1).
#include <gtest/gtest.h>
#include <pthreadpool.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

#include "gemm_microkernel_tester.h"
#include "nestrt/kernels/dispatch.h"
#include "nestrt/kernels/gemm.h"
#include "nestrt/kernels/reference.h"
#include "thread_pool.h"

namespace nestrt::kernels {
namespace {

// A pthreadpool of n threads for the scope.
using testing::Pool;

struct Problem {
  ConvGeometry g;
  ActivationParams a;
  std::vector<int8_t> input;
  testing::RandomNested nested;
  std::vector<int32_t> bias;
  std::vector<float> mult;
};

using testing::Split;

Problem random_problem(std::mt19937& rng, int high_bits, bool fc, Split split) {
  std::uniform_int_distribution<int> pick(0, 1 << 20);
  auto in = [&](int lo, int hi) { return lo + pick(rng) % (hi - lo + 1); };
  ConvGeometry g;
  if (fc) {
    g = fully_connected_geometry(in(1, 3), in(1, 300), in(1, 70));
  } else {
    g.batch = in(1, 2);
    g.kernel_h = in(1, 5), g.kernel_w = in(1, 5);
    g.stride_h = in(1, 3), g.stride_w = in(1, 3);
    g.dilation_h = in(1, 2), g.dilation_w = in(1, 2);
    g.pad_top = in(0, 2), g.pad_left = in(0, 2);
    const int pad_bottom = in(0, 2), pad_right = in(0, 2);
    g.in_h = in(g.kernel_h * g.dilation_h, 14), g.in_w = in(g.kernel_w * g.dilation_w, 14);
    g.in_c = in(1, 40), g.out_c = in(1, 40);
    g.out_h = conv_output_size(g.in_h, g.kernel_h, g.stride_h, g.dilation_h, g.pad_top, pad_bottom);
    g.out_w = conv_output_size(g.in_w, g.kernel_w, g.stride_w, g.dilation_w, g.pad_left, pad_right);
  }
  const size_t k = size_t(g.kernel_h) * g.kernel_w * g.in_c;
  Problem p{g,  {in(-128, 127), in(-128, 127), -128, 127},
            {}, testing::RandomNested(g.out_c * k, 8, high_bits, rng, split),
            {}, {}};
  if (in(0, 3) == 0) p.a.output_min = p.a.output_zero_point;  // fused ReLU now and then
  p.input.resize(size_t(g.batch) * g.in_h * g.in_w * g.in_c);
  for (auto& v : p.input) v = static_cast<int8_t>(in(-128, 127));
  for (int c = 0; c < g.out_c; ++c) {
    p.bias.push_back(in(0, 40000) - 20000);
    p.mult.push_back(1e-4f + float(in(0, 1000)) * 4e-6f);
  }
  return p;
}

// pool: null runs on the calling thread; the reference is always single-threaded.
void run_case(Variant v, uint32_t seed, bool fc, pthreadpool_t pool = nullptr) {
  std::mt19937 rng(seed);
  for (Split split : {Split::kNearest, Split::kBitplane}) {
    for (int high : {6, 5, 4}) {
      Problem p = random_problem(rng, high, fc, split);
      const ChannelQuant q{p.bias.data(), p.mult.data(), nullptr};
      const size_t out = size_t(p.g.batch) * p.g.out_h * p.g.out_w * p.g.out_c;
      std::vector<int8_t> scratch(qs8_conv2d_nested_scratch_bytes(p.g, pool ? pthreadpool_get_threads_count(pool) : 1));
      for (NestMode mode : {NestMode::kFull, NestMode::kPart}) {
        std::vector<int8_t> want(out), got(out);
        qs8_conv2d_nested(Variant::kRef, p.g, p.a, p.input.data(), p.nested.planes(), mode, q, want.data(),
                          scratch.data());
        qs8_conv2d_nested(v, p.g, p.a, p.input.data(), p.nested.planes(), mode, q, got.data(), scratch.data(), pool);
        ASSERT_EQ(got, want) << variant_name(v) << " seed " << seed << " 8:" << high << testing::split_name(split)
                             << (mode == NestMode::kFull ? " full" : " part") << " k" << p.g.kernel_h << "x"
                             << p.g.kernel_w << " s" << p.g.stride_h << "x" << p.g.stride_w << " d" << p.g.dilation_h
                             << " in " << p.g.in_h << "x" << p.g.in_w << "x" << p.g.in_c << " out_c " << p.g.out_c;
      }
    }
  }
}

class ConvVariantTest : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    NESTRT_REQUIRE_VARIANT(GetParam());
    std::printf("[ EXERCISE ] %s\n", testing::variant_label(GetParam()).c_str());
  }
};

TEST(ConvOutputSizeTest, MatchesTheWindowCountAndNeverOverflows) {
  EXPECT_EQ(conv_output_size(5, 3, 1, 1, 1, 1), 5);
  EXPECT_EQ(conv_output_size(7, 3, 2, 1, 1, 1), 4);  // windows start at -1, 1, 3, 5
  EXPECT_EQ(conv_output_size(7, 3, 1, 2, 0, 0), 3);  // dilated extent 5
  EXPECT_EQ(conv_output_size(2, 5, 1, 1, 0, 0), 0);  // window larger than the input
  constexpr int kMax = std::numeric_limits<int>::max();
  EXPECT_EQ(conv_output_size(100, 3, 1, 1, 2130706433, 2130706433), kMax);  // saturates, no wrap
  EXPECT_EQ(conv_output_size(100, kMax, 1, kMax, 0, 0), 0);                 // extent beyond int
}

TEST_P(ConvVariantTest, RandomConv2DMatchesReference) {
  for (uint32_t seed = 1; seed <= 40; ++seed) run_case(GetParam(), seed, false);
}

TEST_P(ConvVariantTest, RandomFullyConnectedMatchesReference) {
  for (uint32_t seed = 100; seed <= 130; ++seed) run_case(GetParam(), seed, true);
}

// Threads split pixels (small weights) or panels (large weights); every output byte must still
// be the reference's, whatever the thread count.
TEST_P(ConvVariantTest, ThreadCountDoesNotChangeTheBits) {
  for (size_t threads : {2, 3, 4}) {
    const Pool pool(threads);
    ASSERT_EQ(pthreadpool_get_threads_count(pool.get()), threads);
    for (uint32_t seed = 300; seed < 310; ++seed) run_case(GetParam(), seed, false, pool.get());
    for (uint32_t seed = 400; seed < 405; ++seed) run_case(GetParam(), seed, true, pool.get());
  }
}

TEST_P(ConvVariantTest, PointwiseStride1UsesDirectRows) {
  std::mt19937 rng(7);
  for (int in_c : {4, 16, 32, 6}) {
    ConvGeometry g;
    g.in_h = g.out_h = 5, g.in_w = g.out_w = 7, g.in_c = in_c, g.out_c = 33;
    testing::RandomNested nested(size_t(g.out_c) * in_c, 8, 6, rng);
    std::vector<int8_t> input(size_t(5 * 7 * in_c));
    for (auto& v : input) v = static_cast<int8_t>(int(rng() % 256) - 128);
    std::vector<int32_t> bias(33, 1234);
    std::vector<float> mult(33, 0.003f);
    const ChannelQuant q{bias.data(), mult.data(), nullptr};
    const ActivationParams a{-17, 3, -128, 127};
    std::vector<int8_t> scratch(qs8_conv2d_nested_scratch_bytes(g)), want(5 * 7 * 33), got(5 * 7 * 33);
    qs8_conv2d_nested(Variant::kRef, g, a, input.data(), nested.planes(), NestMode::kFull, q, want.data(),
                      scratch.data());
    qs8_conv2d_nested(GetParam(), g, a, input.data(), nested.planes(), NestMode::kFull, q, got.data(), scratch.data());
    ASSERT_EQ(got, want) << "in_c " << in_c;
  }
}

// Weights over the whole-decode limit (256 KiB of panels): panels are decoded one at a time per
// block of packed rows, and the block (1 MiB of rows) is smaller than the layer's pixel count.
TEST_P(ConvVariantTest, LargeWeightsDecodePanelByPanel) {
  std::mt19937 rng(11);
  ConvGeometry g;
  g.in_h = g.in_w = g.out_h = g.out_w = 12, g.in_c = 515, g.out_c = 70, g.kernel_h = g.kernel_w = 3;
  g.pad_top = g.pad_left = 1;
  const size_t k = size_t(9) * g.in_c;
  ASSERT_GT(round_up(size_t(g.out_c), kPanelNR) * round_up(k, 4), size_t(256 * 1024));
  std::vector<int8_t> input(size_t(12 * 12 * g.in_c));
  for (auto& v : input) v = static_cast<int8_t>(int(rng() % 256) - 128);
  std::vector<int32_t> bias(size_t(g.out_c));
  std::vector<float> mult(size_t(g.out_c));
  for (int c = 0; c < g.out_c; ++c)
    bias[size_t(c)] = int(rng() % 40000) - 20000, mult[size_t(c)] = 2e-5f * float(1 + c);
  const ChannelQuant q{bias.data(), mult.data(), nullptr};
  const ActivationParams a{5, -2, -128, 127};
  const Pool pool(3);
  std::vector<int8_t> scratch(qs8_conv2d_nested_scratch_bytes(g, 3)), want(12 * 12 * 70), got(12 * 12 * 70);
  for (Split split : {Split::kNearest, Split::kBitplane}) {
    for (int high : {6, 4}) {
      testing::RandomNested nested(size_t(g.out_c) * k, 8, high, rng, split);
      for (NestMode mode : {NestMode::kFull, NestMode::kPart}) {
        qs8_conv2d_nested(Variant::kRef, g, a, input.data(), nested.planes(), mode, q, want.data(), scratch.data());
        for (pthreadpool_t threads : {static_cast<pthreadpool_t>(nullptr), pool.get()}) {
          qs8_conv2d_nested(GetParam(), g, a, input.data(), nested.planes(), mode, q, got.data(), scratch.data(),
                            threads);
          ASSERT_EQ(got, want) << "8:" << high << testing::split_name(split)
                               << (mode == NestMode::kFull ? " full" : " part")
                               << (threads ? " 3 threads" : " 1 thread");
        }
      }
    }
  }
}

// Fully connected at batch 1..4 (and 1x1 convolutions over at most 4 pixels) take the GEMV
// schedule: weight rows unpacked from the planes at any element offset, so K around the planes'
// 64-element blocks; batch 5 is the first that takes the panel schedule again. Inputs at the
// int8 extremes with extreme zero points make the largest centred products.
TEST_P(ConvVariantTest, SmallBatchFullyConnectedMatchesReference) {
  std::mt19937 rng(21);
  const Pool pool(3);
  for (int batch : {1, 2, 4, 5}) {
    for (int in_features : {1, 3, 63, 64, 65, 127, 1280}) {
      const ConvGeometry g = fully_connected_geometry(batch, in_features, in_features == 1280 ? 1000 : 37);
      for (int config = 0; config < 6; ++config) {
        const int high = 6 - config % 3;
        const Split split = config < 3 ? Split::kNearest : Split::kBitplane;
        testing::RandomNested nested(size_t(g.out_c) * size_t(in_features), 8, high, rng, split);
        std::vector<int8_t> input(size_t(batch) * size_t(in_features));
        for (auto& v : input) v = static_cast<int8_t>(rng() % 3 == 0 ? -128 : int(rng() % 256) - 128);
        std::vector<int32_t> bias(size_t(g.out_c));
        std::vector<float> mult(size_t(g.out_c));
        // Accumulators spread about 7300 * sqrt(K): multipliers that put the outputs at 20..100
        // steps of spread, so most land inside int8 and one changed product can flip a rounding.
        const float spread = 7300.0f * std::sqrt(float(in_features));
        for (int c = 0; c < g.out_c; ++c) {
          bias[size_t(c)] = int(rng() % uint32_t(2 * spread)) - int(spread);
          mult[size_t(c)] = 20.0f * float(1 + c % 5) / spread;
        }
        const ChannelQuant q{bias.data(), mult.data(), nullptr};
        const ActivationParams a{high == 5 ? 127 : -128, int(rng() % 256) - 128, -128, 127};
        const size_t out = size_t(batch) * size_t(g.out_c);
        std::vector<int8_t> scratch(qs8_conv2d_nested_scratch_bytes(g, 3)), want(out), got(out);
        for (NestMode mode : {NestMode::kFull, NestMode::kPart}) {
          qs8_conv2d_nested(Variant::kRef, g, a, input.data(), nested.planes(), mode, q, want.data(), scratch.data());
          for (pthreadpool_t threads : {static_cast<pthreadpool_t>(nullptr), pool.get()}) {
            qs8_conv2d_nested(GetParam(), g, a, input.data(), nested.planes(), mode, q, got.data(), scratch.data(),
                              threads);
            ASSERT_EQ(got, want) << "batch " << batch << " in " << in_features << " 8:" << high
                                 << testing::split_name(split) << (mode == NestMode::kFull ? " full" : " part")
                                 << (threads ? " 3 threads" : "");
          }
        }
      }
    }
  }
}

TEST_P(ConvVariantTest, PointwiseOverFourPixelsMatchesReference) {
  std::mt19937 rng(23);
  for (int side : {1, 2, 3}) {  // 1 and 4 pixels take the GEMV schedule, 9 the panels
    ConvGeometry g;
    g.in_h = g.out_h = g.in_w = g.out_w = side, g.in_c = 200, g.out_c = 40;
    testing::RandomNested nested(size_t(g.out_c) * size_t(g.in_c), 8, 6, rng);
    std::vector<int8_t> input(size_t(side * side * g.in_c));
    for (auto& v : input) v = static_cast<int8_t>(int(rng() % 256) - 128);
    std::vector<int32_t> bias(40, -999);
    std::vector<float> mult(40, 0.002f);
    const ChannelQuant q{bias.data(), mult.data(), nullptr};
    const ActivationParams a{9, -4, -4, 127};  // fused ReLU
    const size_t out = size_t(side * side * g.out_c);
    std::vector<int8_t> scratch(qs8_conv2d_nested_scratch_bytes(g)), want(out), got(out);
    for (NestMode mode : {NestMode::kFull, NestMode::kPart}) {
      qs8_conv2d_nested(Variant::kRef, g, a, input.data(), nested.planes(), mode, q, want.data(), scratch.data());
      qs8_conv2d_nested(GetParam(), g, a, input.data(), nested.planes(), mode, q, got.data(), scratch.data());
      ASSERT_EQ(got, want) << side << "x" << side << (mode == NestMode::kFull ? " full" : " part");
    }
  }
}

std::vector<Variant> fast_variants() {
  std::vector<Variant> out;
  for (Variant v : kAllVariants) {
    if (gemm_ukernel(v).fn) out.push_back(v);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Variants, ConvVariantTest, ::testing::ValuesIn(fast_variants()),
                         [](const ::testing::TestParamInfo<Variant>& param_info) {
                           return variant_name(param_info.param);
                         });

}  // namespace
}  // namespace nestrt::kernels

// Reference kernels against an independent computation of the same quantised math in double
// precision on dequantised (real) values. The two differ only by fp32 rounding of the
// requantisation product, so results may differ by one step on rare near-ties, never more.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "nestrt/format/plane_coding.h"
#include "nestrt/kernels/reference.h"
#include "nestrt/kernels/requantize.h"
#include "random_int8.h"

namespace nestrt::kernels {
namespace {

// The expected int8 for a real value: round half to even, plus zero point, clamped.
int8_t quantize_real(double real_over_scale, int zp, int lo, int hi) {
  const double r = std::nearbyint(real_over_scale);  // default rounding mode: to nearest, ties to even
  return static_cast<int8_t>(std::min<double>(std::max<double>(r + zp, lo), hi));
}

// Expected outputs from real values (already divided by the output scale). A kernel result may
// differ by one step only where the real value sits within 1e-4 of a rounding tie, which fp32's
// product can land on either side of; anywhere else it must match exactly.
struct Expected {
  std::vector<double> real;  // real / output_scale, before rounding
  int zero_point = 0, lo = -128, hi = 127;
};

void expect_matches(const std::vector<int8_t>& got, const Expected& e, const std::string& what) {
  ASSERT_EQ(got.size(), e.real.size());
  size_t ties = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const int want = quantize_real(e.real[i], e.zero_point, e.lo, e.hi);
    if (got[i] == want) continue;
    const double frac = std::fabs(e.real[i] - std::trunc(e.real[i]));
    ASSERT_EQ(std::abs(int{got[i]} - want), 1)
        << what << " element " << i << ": got " << int{got[i]} << " want " << want;
    ASSERT_LT(std::fabs(frac - 0.5), 1e-4)
        << what << " element " << i << " (real " << e.real[i] << ") differs away from a rounding tie";
    ++ties;
  }
  if (ties) std::printf("%s: %zu near-tie differences of %zu\n", what.c_str(), ties, got.size());
}

TEST(RequantizeTest, RoundsHalfToEvenAddsZeroPointAndClamps) {
  EXPECT_EQ(requantize(5, 0.5f, 0, -128, 127), 2);    // 2.5 -> 2
  EXPECT_EQ(requantize(7, 0.5f, 0, -128, 127), 4);    // 3.5 -> 4
  EXPECT_EQ(requantize(-5, 0.5f, 0, -128, 127), -2);  // -2.5 -> -2
  EXPECT_EQ(requantize(-7, 0.5f, 0, -128, 127), -4);  // -3.5 -> -4
  EXPECT_EQ(requantize(3, 0.5f, 10, -128, 127), 12);  // 1.5 -> 2, + 10
  EXPECT_EQ(requantize(1000, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(requantize(-1000, 1.0f, 0, -128, 127), -128);
  EXPECT_EQ(requantize(10, 1.0f, -128, -128, 127), -118);
  EXPECT_EQ(requantize(-10, 1.0f, -128, -128, 127), -128);     // a fused ReLU clamps at the zero point
  EXPECT_EQ(requantize(2147483647, 1.0f, 0, -128, 127), 127);  // no overflow in the conversion
  EXPECT_EQ(requantize(-2147483647 - 1, 1.0f, 0, -128, 127), -128);
}

TEST(NestDecodeTest, FullModeRestoresEveryWeightAndPartModeIsTheHighPart) {
  for (int high_bits : {4, 5, 6, 7}) {
    const int l = 8 - high_bits, step = 1 << l;
    std::vector<int8_t> q, high, low;
    for (int v = -127; v <= 127; ++v) {
      const int h = std::min(std::max(static_cast<int>(std::nearbyint(double(v) / step)), -(1 << (high_bits - 1))),
                             (1 << (high_bits - 1)) - 1);
      q.push_back(static_cast<int8_t>(v));
      high.push_back(static_cast<int8_t>(h));
      low.push_back(static_cast<int8_t>(v - h * step));
    }
    NestedPlanes planes{{high.data()}, {low.data()}, q.size(), l};  // one int8 per element (format v1)
    std::vector<int8_t> out(q.size());
    nest_qs8_decode__ref(planes, NestMode::kFull, out.data());
    EXPECT_EQ(out, q) << "8:" << high_bits;
    nest_qs8_decode__ref(planes, NestMode::kPart, out.data());
    EXPECT_EQ(out, high) << "8:" << high_bits;
  }
}

// Bit-plane nesting (high = q >> l, low = q & (2^l - 1)): full mode restores q, part mode decodes
// the bucket midpoints 2 * high + 1, for every q, from packed planes (the SWAR unpack and the
// 16-byte midpoint pass) and from any element range (unpack_part, as the GEMM/GEMV paths call it).
TEST(NestDecodeTest, BitplanePartModeDecodesTheBucketMidpoints) {
  for (int high_bits : {4, 5, 6, 7}) {
    const int l = 8 - high_bits;
    std::vector<int8_t> q, high, low, midpoint;
    for (int rep = 0; rep < 3; ++rep) {
      for (int v = -127; v <= 127; ++v) {
        const int h = static_cast<int>(std::floor(double(v) / double(1 << l)));  // not a shift: independent
        q.push_back(static_cast<int8_t>(v));
        high.push_back(static_cast<int8_t>(h));
        low.push_back(static_cast<int8_t>(v - h * (1 << l)));
        midpoint.push_back(static_cast<int8_t>(2 * h + 1));
      }
    }
    for (bool packed : {false, true}) {
      const format::PlaneCoding hc = packed ? format::narrowest_plane_coding(high) : format::PlaneCoding{};
      const format::PlaneCoding lc = packed ? format::narrowest_plane_coding(low) : format::PlaneCoding{};
      const std::vector<uint8_t> hb = format::pack_plane(high, hc), lb = format::pack_plane(low, lc);
      if (packed) {
        EXPECT_EQ(lc.width, l) << "bit-plane low parts take l bits";
      }
      const NestedPlanes planes{{hb.data(), hc.width, hc.offset}, {lb.data(), lc.width, lc.offset}, q.size(), l, true};
      std::vector<int8_t> out(q.size());
      nest_qs8_decode__ref(planes, NestMode::kFull, out.data());
      EXPECT_EQ(out, q) << "8:" << high_bits << (packed ? " packed" : "");
      nest_qs8_decode__ref(planes, NestMode::kPart, out.data());
      EXPECT_EQ(out, midpoint) << "8:" << high_bits << (packed ? " packed" : "");
      for (size_t first : {size_t{0}, size_t{1}, size_t{63}, size_t{100}}) {
        for (size_t n : {size_t{1}, size_t{15}, size_t{16}, size_t{17}, size_t{130}}) {
          std::vector<int8_t> part(n);
          unpack_part(planes, first, n, part.data());
          EXPECT_TRUE(std::equal(part.begin(), part.end(), midpoint.begin() + std::ptrdiff_t(first)))
              << "8:" << high_bits << " elements " << first << "+" << n;
        }
      }
      NestedPlanes plain = planes;  // without the flag: the high part itself, as every other method
      plain.part_midpoint = false;
      nest_qs8_decode__ref(plain, NestMode::kPart, out.data());
      EXPECT_EQ(out, high);
    }
  }
}

struct ConvCase {
  int in_h, in_w, in_c, out_c, kh, kw, stride, dilation, pad, groups;
  bool depthwise;
};

class ConvTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(ConvTest, MatchesRealArithmetic) {
  const ConvCase c = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(c.in_h * 131 + c.out_c * 7 + c.groups));
  ConvGeometry g;
  g.batch = 2, g.in_h = c.in_h, g.in_w = c.in_w, g.in_c = c.in_c, g.out_c = c.out_c;
  g.kernel_h = c.kh, g.kernel_w = c.kw, g.stride_h = g.stride_w = c.stride, g.dilation_h = g.dilation_w = c.dilation;
  g.pad_top = g.pad_left = c.pad, g.groups = c.depthwise ? c.in_c : c.groups;
  g.out_h = conv_output_size(g.in_h, g.kernel_h, c.stride, c.dilation, c.pad, c.pad);
  g.out_w = conv_output_size(g.in_w, g.kernel_w, c.stride, c.dilation, c.pad, c.pad);
  const int in_per_group = c.depthwise ? 1 : c.in_c / g.groups;
  const ActivationParams a{-7, 12, -100, 120};
  const double s_in = 0.031, s_out = 0.17;
  std::vector<double> s_w(size_t(c.out_c));
  std::vector<int32_t> bias(size_t(c.out_c)), wzp(size_t(c.out_c));
  std::vector<float> mult(size_t(c.out_c));
  std::uniform_real_distribution<double> sd(0.002, 0.02);
  std::uniform_int_distribution<int32_t> bd(-3000, 3000), zd(-3, 3);
  for (int o = 0; o < c.out_c; ++o) {
    s_w[size_t(o)] = sd(rng), bias[size_t(o)] = bd(rng), wzp[size_t(o)] = zd(rng);
    mult[size_t(o)] = static_cast<float>(s_in * s_w[size_t(o)] / s_out);
  }
  const auto input = random_int8(size_t(g.batch) * g.in_h * g.in_w * g.in_c, rng);
  const auto weights = random_int8(size_t(c.out_c) * c.kh * c.kw * in_per_group, rng, -127, 127);
  std::vector<int8_t> got(size_t(g.batch) * g.out_h * g.out_w * g.out_c);
  const ChannelQuant q{bias.data(), mult.data(), wzp.data()};
  if (c.depthwise) {
    qs8_dwconv2d__ref(g, a, input.data(), weights.data(), q, got.data());
  } else {
    qs8_conv2d__ref(g, a, input.data(), weights.data(), q, got.data());
  }

  // Real-valued convolution over dequantised tensors, written independently of the kernel.
  Expected want{std::vector<double>(got.size()), a.output_zero_point, a.output_min, a.output_max};
  const int out_per_group = c.out_c / g.groups;
  for (int n = 0; n < g.batch; ++n)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int o = 0; o < c.out_c; ++o) {
          const double sw = s_w[size_t(o)];
          double real = s_in * sw * bias[size_t(o)];
          const int first_in = (o / out_per_group) * in_per_group;
          for (int ky = 0; ky < c.kh; ++ky)
            for (int kx = 0; kx < c.kw; ++kx)
              for (int i = 0; i < in_per_group; ++i) {
                const int y = oy * c.stride - c.pad + ky * c.dilation, x = ox * c.stride - c.pad + kx * c.dilation;
                if (y < 0 || y >= c.in_h || x < 0 || x >= c.in_w) continue;
                const int ic = first_in + i;
                const double xr =
                    s_in * (input[((size_t(n) * c.in_h + y) * c.in_w + x) * c.in_c + ic] - a.input_zero_point);
                const double wr =
                    sw * (weights[((size_t(o) * c.kh + ky) * c.kw + kx) * in_per_group + i] - wzp[size_t(o)]);
                real += xr * wr;
              }
          want.real[((size_t(n) * g.out_h + oy) * g.out_w + ox) * c.out_c + o] = real / s_out;
        }
  expect_matches(got, want, "conv");
}

INSTANTIATE_TEST_SUITE_P(Shapes, ConvTest,
                         ::testing::Values(ConvCase{5, 5, 3, 4, 1, 1, 1, 1, 0, 1, false},  // 1x1 (GEMM-like)
                                           ConvCase{7, 6, 5, 8, 3, 3, 1, 1, 1, 1, false},  // 3x3 same padding
                                           ConvCase{9, 9, 4, 6, 3, 3, 2, 1, 1, 1, false},  // stride 2
                                           ConvCase{8, 8, 3, 5, 5, 5, 1, 1, 2, 1, false},  // 5x5
                                           ConvCase{9, 9, 2, 3, 3, 3, 1, 2, 2, 1, false},  // dilation 2
                                           ConvCase{6, 6, 8, 4, 3, 3, 1, 1, 1, 2, false},  // grouped
                                           ConvCase{7, 7, 6, 6, 3, 3, 1, 1, 1, 1, true},   // depthwise 3x3 s1
                                           ConvCase{8, 8, 6, 6, 3, 3, 2, 1, 1, 1, true},   // depthwise 3x3 s2
                                           ConvCase{9, 9, 4, 8, 5, 5, 1, 1, 2, 1,
                                                    true}));  // depthwise x2 multiplier 5x5

TEST(FullyConnectedTest, MatchesRealArithmetic) {
  std::mt19937 rng(3);
  const int batch = 3, in = 37, out = 11;
  const ActivationParams a{5, -20, -128, 127};
  const double s_in = 0.05, s_out = 0.3;
  std::vector<double> s_w(out);
  std::vector<int32_t> bias(out);
  std::vector<float> mult(out);
  for (int o = 0; o < out; ++o) {
    s_w[size_t(o)] = 0.003 + 0.001 * o, bias[size_t(o)] = o * 97 - 500;
    mult[size_t(o)] = static_cast<float>(s_in * s_w[size_t(o)] / s_out);
  }
  const auto x = random_int8(size_t(batch) * in, rng), w = random_int8(size_t(out) * in, rng, -127, 127);
  std::vector<int8_t> got(size_t(batch) * out);
  Expected want{std::vector<double>(got.size()), a.output_zero_point, a.output_min, a.output_max};
  qs8_fully_connected__ref(batch, in, out, a, x.data(), w.data(), {bias.data(), mult.data(), nullptr}, got.data());
  for (int n = 0; n < batch; ++n)
    for (int o = 0; o < out; ++o) {
      double real = s_in * s_w[size_t(o)] * bias[size_t(o)];
      for (int i = 0; i < in; ++i)
        real += s_in * (x[size_t(n) * in + i] - a.input_zero_point) * s_w[size_t(o)] * w[size_t(o) * in + i];
      want.real[size_t(n) * out + o] = real / s_out;
    }
  expect_matches(got, want, "fully connected");
}

TEST(AddTest, MatchesRealArithmetic) {
  std::mt19937 rng(4);
  const size_t n = 4096;
  const double sa = 0.04, sb = 0.09, so = 0.11;
  AddParams p{3, -9, 1, static_cast<float>(sa / so), static_cast<float>(sb / so), -128, 127};
  const auto a = random_int8(n, rng), b = random_int8(n, rng);
  std::vector<int8_t> got(n);
  Expected want{std::vector<double>(n), p.output_zero_point};
  qs8_add__ref(n, p, a.data(), b.data(), got.data());
  for (size_t i = 0; i < n; ++i) {
    const double real = sa * (a[i] - p.a_zero_point) + sb * (b[i] - p.b_zero_point);
    want.real[i] = real / so;
  }
  expect_matches(got, want, "add");
  p.output_min = p.output_zero_point;  // fused ReLU: nothing below real zero
  qs8_add__ref(n, p, a.data(), b.data(), got.data());
  for (int8_t v : got) EXPECT_GE(v, p.output_zero_point);
}

struct PoolCase {
  int h, w, k, stride, pad;
  bool include_pad;
};

class PoolTest : public ::testing::TestWithParam<PoolCase> {};

TEST_P(PoolTest, MaxAndAverageMatchRealArithmetic) {
  const PoolCase c = GetParam();
  std::mt19937 rng(static_cast<uint32_t>(c.h * 10 + c.k));
  PoolGeometry g;
  g.batch = 2, g.in_h = c.h, g.in_w = c.w, g.channels = 5, g.kernel_h = g.kernel_w = c.k;
  g.stride_h = g.stride_w = c.stride, g.pad_top = g.pad_left = c.pad, g.count_include_pad = c.include_pad;
  g.out_h = conv_output_size(c.h, c.k, c.stride, 1, c.pad, c.pad);
  g.out_w = conv_output_size(c.w, c.k, c.stride, 1, c.pad, c.pad);
  const auto x = random_int8(size_t(g.batch) * c.h * c.w * g.channels, rng);
  const size_t out_n = size_t(g.batch) * g.out_h * g.out_w * g.channels;
  std::vector<int8_t> got_max(out_n), want_max(out_n), got_avg(out_n);
  const ActivationParams a{-4, 6, -128, 127};
  Expected want_avg{std::vector<double>(out_n), a.output_zero_point};
  const double s_in = 0.07, s_out = 0.05;
  qs8_maxpool2d__ref(g, -128, 127, x.data(), got_max.data());
  qs8_avgpool2d__ref(g, a, static_cast<float>(s_in / s_out), x.data(), got_avg.data());
  for (int n = 0; n < g.batch; ++n)
    for (int oy = 0; oy < g.out_h; ++oy)
      for (int ox = 0; ox < g.out_w; ++ox)
        for (int ch = 0; ch < g.channels; ++ch) {
          int best = -1000, count = 0;
          double sum = 0;
          for (int ky = 0; ky < c.k; ++ky)
            for (int kx = 0; kx < c.k; ++kx) {
              const int y = oy * c.stride - c.pad + ky, xx = ox * c.stride - c.pad + kx;
              if (y < 0 || y >= c.h || xx < 0 || xx >= c.w) continue;
              const int v = x[((size_t(n) * c.h + y) * c.w + xx) * g.channels + ch];
              best = std::max(best, v), sum += s_in * (v - a.input_zero_point), ++count;
            }
          if (c.include_pad) count = c.k * c.k;
          const size_t o = ((size_t(n) * g.out_h + oy) * g.out_w + ox) * g.channels + ch;
          want_max[o] = static_cast<int8_t>(best);
          want_avg.real[o] = sum / count / s_out;
        }
  EXPECT_EQ(got_max, want_max);
  expect_matches(got_avg, want_avg, "average pool");
}

INSTANTIATE_TEST_SUITE_P(Shapes, PoolTest,
                         ::testing::Values(PoolCase{8, 8, 2, 2, 0, false}, PoolCase{7, 9, 3, 2, 1, false},
                                           PoolCase{7, 7, 3, 1, 1, true}, PoolCase{5, 6, 3, 3, 0, false},
                                           PoolCase{4, 4, 4, 1, 0, false}));  // global

}  // namespace
}  // namespace nestrt::kernels

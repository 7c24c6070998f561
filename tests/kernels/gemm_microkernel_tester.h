// GEMM microkernel tester in the manner of XNNPACK's GemmMicrokernelTester: builder-style
// parameters, random nested weights, and an equality check of a variant's microkernel against the
// reference fully connected kernel on the same decoded weights (design §4: bit-exact).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "nestrt/format/plane_coding.h"
#include "nestrt/kernels/dispatch.h"
#include "nestrt/kernels/gemm.h"
#include "nestrt/kernels/reference.h"

namespace nestrt::kernels::testing {

// How RandomNested splits q: nearest rounding (signed low, l + 1 bits), or the bit-plane split
// (high = q >> l, low = q & (2^l - 1), l bits) whose part mode decodes 2 * high + 1.
enum class Split { kNearest, kBitplane };

inline const char* split_name(Split s) {
  return s == Split::kBitplane ? " bitplane" : "";
}

// Nested planes of random int8 weights q in [-127, 127] (the converter's are symmetric), nearest
// nesting with h high bits: high = clamp(rint(q / 2^l)), low = q - high * 2^l, or the bit-plane
// split; bit-packed in the narrowest coding, as the converter writes them (8:6 nearest gives 6-bit
// high and 3-bit low planes, 8:6 bitplane 6-bit high and 2-bit low planes).
struct RandomNested {
  std::vector<int8_t> high, low;
  std::vector<uint8_t> high_bytes, low_bytes;
  format::PlaneCoding high_coding, low_coding;
  int low_bits = 2;
  Split split = Split::kNearest;
  RandomNested(size_t count, int total_bits, int high_bits, std::mt19937& rng, Split how = Split::kNearest)
      : low_bits(total_bits - high_bits), split(how) {
    std::uniform_int_distribution<int> d(-127, 127);
    const int step = 1 << low_bits, hmax = (1 << (high_bits - 1)) - 1, hmin = -(1 << (high_bits - 1));
    high.resize(count), low.resize(count);
    for (size_t i = 0; i < count; ++i) {
      const int q = d(rng);
      const int h = how == Split::kBitplane
                        ? q >> low_bits
                        : std::clamp(static_cast<int>(std::nearbyint(double(q) / step)), hmin, hmax);
      high[i] = static_cast<int8_t>(h);
      low[i] = static_cast<int8_t>(q - h * step);
    }
    high_coding = format::narrowest_plane_coding(high), low_coding = format::narrowest_plane_coding(low);
    high_bytes = format::pack_plane(high, high_coding), low_bytes = format::pack_plane(low, low_coding);
  }
  NestedPlanes planes() const {
    return {{high_bytes.data(), high_coding.width, high_coding.offset},
            {low_bytes.data(), low_coding.width, low_coding.offset},
            high.size(),
            low_bits,
            split == Split::kBitplane};
  }
};

inline std::string variant_label(Variant v) {
  const GemmUkernel uk = gemm_ukernel(v);
  if (!uk.fn) return variant_name(v);
  return std::string(variant_name(v)) + " (" + uk.name + (uk.fn_no_min ? std::string(", ") + uk.name_no_min : "") + ")";
}

// Skips (with the reason) only when the CPU cannot run the variant; prints what ran otherwise.
#define NESTRT_REQUIRE_VARIANT(v)                                                       \
  do {                                                                                  \
    if (!::nestrt::kernels::variant_available(v)) {                                     \
      std::printf("[ NOT RUN  ] variant %s: %s\n", ::nestrt::kernels::variant_name(v),  \
                  ::nestrt::kernels::variant_unavailable_reason(v).c_str());            \
      GTEST_SKIP() << "variant " << ::nestrt::kernels::variant_name(v)                  \
                   << " not run: " << ::nestrt::kernels::variant_unavailable_reason(v); \
    }                                                                                   \
  } while (0)

class GemmMicrokernelTester {
 public:
  GemmMicrokernelTester& m(size_t v) { return m_ = v, *this; }
  GemmMicrokernelTester& n(size_t v) { return n_ = v, *this; }
  GemmMicrokernelTester& k(size_t v) { return k_ = v, *this; }
  // Extra elements between packed input rows, and extra bytes between output rows.
  GemmMicrokernelTester& a_pad(size_t v) { return a_pad_ = v, *this; }
  GemmMicrokernelTester& c_pad(size_t v) { return c_pad_ = v, *this; }
  GemmMicrokernelTester& input_zero_point(int32_t v) { return zi_ = v, *this; }
  GemmMicrokernelTester& output_zero_point(int32_t v) { return zo_ = v, *this; }
  GemmMicrokernelTester& qmin(int32_t v) { return qmin_ = v, *this; }
  GemmMicrokernelTester& qmax(int32_t v) { return qmax_ = v, *this; }
  GemmMicrokernelTester& mode(NestMode v) { return mode_ = v, *this; }
  GemmMicrokernelTester& nesting(int total, int high) { return total_ = total, high_ = high, *this; }
  GemmMicrokernelTester& split(Split v) { return split_ = v, *this; }
  GemmMicrokernelTester& seed(uint32_t v) { return seed_ = v, *this; }
  GemmMicrokernelTester& iterations(int v) { return iterations_ = v, *this; }
  // Requantisation multipliers drawn log-uniformly from [lo, hi] (the loader admits (0, 2^24]).
  GemmMicrokernelTester& multipliers(float lo, float hi) { return mult_lo_ = lo, mult_hi_ = hi, *this; }

  // Calls the variant's microkernel directly, tile by tile, over an m x n x k problem.
  void Test(Variant v) const {
    const GemmUkernel uk = gemm_ukernel(v);
    ASSERT_NE(uk.fn, nullptr) << "no GEMM microkernel for " << variant_name(v);
    std::mt19937 rng(seed_);
    for (int it = 0; it < iterations_; ++it) {
      const size_t group = size_t(uk.k_group), kc = round_up(k_, group), ocp = round_up(n_, kPanelNR);
      RandomNested nested(n_ * k_, total_, high_, rng, split_);
      std::uniform_int_distribution<int> d8(-128, 127), dbias(-20000, 20000);
      std::uniform_real_distribution<float> dlogmult(std::log(mult_lo_), std::log(mult_hi_));
      std::vector<int8_t> x(m_ * k_);
      for (auto& e : x) e = static_cast<int8_t>(d8(rng));
      std::vector<int32_t> bias(n_);
      std::vector<float> mult(n_);
      for (auto& b : bias) b = dbias(rng);
      for (auto& f : mult) f = std::clamp(std::exp(dlogmult(rng)), mult_lo_, mult_hi_);
      const ChannelQuant q{bias.data(), mult.data(), nullptr};
      const ActivationParams act{zi_, zo_, qmin_, qmax_};

      // Reference: decode OHWI, reference fully connected.
      std::vector<int8_t> w(n_ * k_), want(m_ * n_);
      nest_qs8_decode__ref(nested.planes(), mode_, w.data());
      qs8_fully_connected__ref(int(m_), int(k_), int(n_), act, x.data(), w.data(), q, want.data());

      // Variant: canonical panels, packed rows, init with the zero-point fold, microkernel tiles.
      std::vector<int8_t> panels(ocp * kc), tmp(kPanelNR * kc);
      std::vector<int32_t> ksum(ocp), init(ocp, 0);
      std::vector<float> vmult(ocp, 0.f);
      std::unique_ptr<bool[]> has_min(new bool[ocp / kPanelNR]);
      nest_qs8_decode_panels(nested.planes(), mode_, int(n_), int(k_), panels.data(), ksum.data(), tmp.data(),
                             uk.k_group, has_min.get());
      const int32_t x_offset = uk.input == GemmInput::kInt8 ? zi_ : uk.input == GemmInput::kUint8Offset ? zi_ + 128 : 0;
      for (size_t c = 0; c < n_; ++c) init[c] = bias[c] - x_offset * ksum[c], vmult[c] = mult[c];
      const size_t elem = uk.input == GemmInput::kInt16Centred ? 2 : 1;
      const size_t a_stride = (kc + a_pad_) * elem;
      std::vector<uint8_t> a(m_ * a_stride + 64, 0xA5);  // stride padding holds garbage
      for (size_t r = 0; r < m_; ++r) {
        for (size_t i = 0; i < kc; ++i) {
          const int8_t xv = i < k_ ? x[r * k_ + i] : static_cast<int8_t>(zi_);
          uint8_t* dst = a.data() + r * a_stride + i * elem;
          if (uk.input == GemmInput::kInt16Centred) {
            const int16_t s = static_cast<int16_t>(xv - zi_);
            std::memcpy(dst, &s, 2);
          } else if (uk.input == GemmInput::kUint8Offset) {
            *dst = static_cast<uint8_t>(static_cast<uint8_t>(xv) ^ 0x80u);
          } else {
            *dst = static_cast<uint8_t>(xv);
          }
        }
      }
      const size_t c_stride = n_ + c_pad_;
      const GemmRequant req{zo_, qmin_, qmax_};
      // The general kernel on every panel; the no-min kernel (if any) on the panels it is exact for.
      for (const bool no_min : {false, true}) {
        if (no_min && uk.fn_no_min == nullptr) break;
        const char* name = no_min ? uk.name_no_min : uk.name;
        std::vector<int8_t> got(m_ * c_stride, int8_t{0x5a});
        std::vector<bool> computed(n_, false);
        for (size_t p = 0; p < ocp / kPanelNR; ++p) {
          if (no_min && has_min[p]) continue;
          const GemmUkernelFn fn = no_min ? uk.fn_no_min : uk.fn;
          for (size_t h = 0; h < size_t(kPanelNR / uk.nr); ++h) {
            const size_t c0 = p * kPanelNR + h * size_t(uk.nr);
            if (c0 >= n_) break;
            const size_t nc = std::min<size_t>(size_t(uk.nr), n_ - c0);
            for (size_t c = c0; c < c0 + nc; ++c) computed[c] = true;
            for (size_t r0 = 0; r0 < m_; r0 += size_t(uk.mr)) {
              fn(std::min<size_t>(size_t(uk.mr), m_ - r0), nc, kc, a.data() + r0 * a_stride, a_stride,
                 panels.data() + p * kPanelNR * kc + h * size_t(uk.nr) * group, init.data() + c0, vmult.data() + c0,
                 got.data() + r0 * c_stride + c0, c_stride, req);
            }
          }
        }
        for (size_t r = 0; r < m_; ++r) {
          for (size_t c = 0; c < n_; ++c) {
            if (!computed[c]) continue;
            ASSERT_EQ(int{got[r * c_stride + c]}, int{want[r * n_ + c]})
                << name << split_name(split_) << " m=" << m_ << " n=" << n_ << " k=" << k_ << " row " << r
                << " channel " << c;
          }
          for (size_t c = n_; c < c_stride; ++c) {
            ASSERT_EQ(got[r * c_stride + c], int8_t{0x5a}) << name << " wrote past n in row " << r;
          }
        }
      }
    }
  }

 private:
  size_t m_ = 1, n_ = 1, k_ = 1, a_pad_ = 0, c_pad_ = 0;
  int32_t zi_ = 0, zo_ = 0, qmin_ = -128, qmax_ = 127;
  NestMode mode_ = NestMode::kFull;
  int total_ = 8, high_ = 6;
  Split split_ = Split::kNearest;
  uint32_t seed_ = 1;
  int iterations_ = 1;
  float mult_lo_ = 1e-4f, mult_hi_ = 4e-3f;
};

}  // namespace nestrt::kernels::testing

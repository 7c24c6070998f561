// NEON depthwise kernel (ARMv8.0 baseline: every arm64 variant runs it): 16 channels per step,
// their int32 sums held in four registers over all taps of the pixel. Inputs are widened to int16
// (x - zp, exact in [-255, 255]) and multiplied into the sums with SMLAL/SMLAL2. A channel tail
// below 16 runs the same step on zero-padded copies. Bit-exact with qs8_dwconv2d__ref.
#include <arm_neon.h>

#include <cstring>

#include "../dwconv/dwconv_driver.h"
#include "../ukernels.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {
namespace {

using dwconv::Problem;

struct Sums {
  int32x4_t v[4];
};

inline void multiply_accumulate(const int8_t* x, const int16_t* w, int16x8_t zp, Sums& s) {
  const int8x16_t vx = vld1q_s8(x);
  const int16x8_t x_lo = vsubq_s16(vmovl_s8(vget_low_s8(vx)), zp);
  const int16x8_t x_hi = vsubq_s16(vmovl_high_s8(vx), zp);
  const int16x8_t w_lo = vld1q_s16(w), w_hi = vld1q_s16(w + 8);
  s.v[0] = vmlal_s16(s.v[0], vget_low_s16(x_lo), vget_low_s16(w_lo));
  s.v[1] = vmlal_high_s16(s.v[1], x_lo, w_lo);
  s.v[2] = vmlal_s16(s.v[2], vget_low_s16(x_hi), vget_low_s16(w_hi));
  s.v[3] = vmlal_high_s16(s.v[3], x_hi, w_hi);
}

// bias + sums of 16 channels, requantised by requantize()'s rule: float multiply, clamp to
// +-2^24, round half to even (FCVTNS), + zp, clamp (saturating narrowings are monotonic).
inline int8x16_t requantize16(const Sums& s, const int32_t* bias, const float* mult, const ActivationParams& a) {
  const float32x4_t bound = vdupq_n_f32(kRequantizeBound), nbound = vdupq_n_f32(-kRequantizeBound);
  const int32x4_t zp = vdupq_n_s32(a.output_zero_point);
  int16x4_t y[4];
  for (int i = 0; i < 4; ++i) {
    const int32x4_t acc = vaddq_s32(s.v[i], vld1q_s32(bias + 4 * i));
    float32x4_t f = vmulq_f32(vcvtq_f32_s32(acc), vld1q_f32(mult + 4 * i));
    f = vminq_f32(vmaxq_f32(f, nbound), bound);
    y[i] = vqmovn_s32(vaddq_s32(vcvtnq_s32_f32(f), zp));
  }
  const int16x8_t lo = vdupq_n_s16(int16_t(a.output_min)), hi = vdupq_n_s16(int16_t(a.output_max));
  const int16x8_t y01 = vminq_s16(vmaxq_s16(vcombine_s16(y[0], y[1]), lo), hi);
  const int16x8_t y23 = vminq_s16(vmaxq_s16(vcombine_s16(y[2], y[3]), lo), hi);
  return vcombine_s8(vqmovn_s16(y01), vqmovn_s16(y23));
}

struct PixelNeon {
  void operator()(const Problem& p, int oy, int ox) const {
    const size_t channels = size_t(p.g.in_c);
    const dwconv::PixelTaps taps(p, oy, ox);
    const int16x8_t zp = vdupq_n_s16(int16_t(p.a.input_zero_point));
    int8_t* out = p.output_at(oy, ox);
    const Sums zero{{vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)}};
    size_t c0 = 0;
    for (; c0 + 32 <= channels; c0 += 32) {  // two blocks per pass: half the tap-loop overhead
      Sums a = zero, b = zero;
      for (size_t t = 0; t < taps.count; ++t) {
        const int8_t* x = taps.input[t] + c0;
        const int16_t* w = taps.weights[t] + c0;
        multiply_accumulate(x, w, zp, a);
        multiply_accumulate(x + 16, w + 16, zp, b);
      }
      vst1q_s8(out + c0, requantize16(a, p.q.bias + c0, p.q.multiplier + c0, p.a));
      vst1q_s8(out + c0 + 16, requantize16(b, p.q.bias + c0 + 16, p.q.multiplier + c0 + 16, p.a));
    }
    for (; c0 + 16 <= channels; c0 += 16) {
      Sums s = zero;
      for (size_t t = 0; t < taps.count; ++t) multiply_accumulate(taps.input[t] + c0, taps.weights[t] + c0, zp, s);
      vst1q_s8(out + c0, requantize16(s, p.q.bias + c0, p.q.multiplier + c0, p.a));
    }
    if (c0 == channels) return;
    // The tail: the same step on copies padded with zero weights (their products are zero).
    const size_t n = channels - c0;
    int8_t x_pad[16] = {};
    int16_t w_pad[16] = {};
    int32_t bias[16] = {};
    float mult[16] = {};
    std::memcpy(bias, p.q.bias + c0, n * sizeof(int32_t));
    std::memcpy(mult, p.q.multiplier + c0, n * sizeof(float));
    Sums s = zero;
    for (size_t t = 0; t < taps.count; ++t) {
      std::memcpy(x_pad, taps.input[t] + c0, n);
      std::memcpy(w_pad, taps.weights[t] + c0, n * sizeof(int16_t));
      multiply_accumulate(x_pad, w_pad, zp, s);
    }
    int8_t y[16];
    vst1q_s8(y, requantize16(s, bias, mult, p.a));
    std::memcpy(out + c0, y, n);
  }
};

}  // namespace

void nest_qs8_dwconv2d_c16__neon(const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                                 const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output,
                                 void* scratch, pthreadpool_t pool) {
  dwconv::run(g, a, input, planes, mode, q, output, scratch, pool, PixelNeon{});
}

}  // namespace nestrt::kernels

// Requantisation and store of one 16-channel row of int32 accumulators, shared by the NEON
// microkernels (neon.cc, neondot.cc, i8mm.cc). The functions are static so that each translation
// unit compiles its own copy under its own target options (no ODR mixing of ISA variants).
//
// The bits of requantize.h (fp32 multiply, round half to even, clamp to +-2^24, + zero point,
// clamp to [min, max]) in fewer instructions, as XNNPACK's fp32 requantisation does:
//  - FCVTNS saturates, and any value past +-2^24 ends at the same bound of [min, max] after the
//    zero point is added, so the float clamp is dropped;
//  - the int32 results are narrowed with saturation (SQXTN) to int16, the zero point is added
//    with saturation (SQADD), then narrowed to int8: saturation never moves a value across
//    [min, max] (a subset of int8), so clamping the int8 bytes at the end gives the same bytes;
//  - the kernels start their accumulators at `init` (wrapping int32 addition is associative).
#pragma once

#include <arm_neon.h>

#include <cstring>

#include "../ukernels.h"

namespace nestrt::kernels::neon {

// The per-tile constants of one 16-channel panel, loaded once and kept in registers over the rows.
struct Requant16 {
  float32x4_t m0, m1, m2, m3;
  int16x8_t zp;
  int8x16_t lo, hi;
};

static inline Requant16 requant16(const float* mult, const GemmRequant& p) {
  return {vld1q_f32(mult),
          vld1q_f32(mult + 4),
          vld1q_f32(mult + 8),
          vld1q_f32(mult + 12),
          vdupq_n_s16(int16_t(p.output_zero_point)),
          vdupq_n_s8(int8_t(p.output_min)),
          vdupq_n_s8(int8_t(p.output_max))};
}

// a0..a3: channels 0-3, 4-7, 8-11, 12-15 of one output row (init already added); stores the first
// nc of them. By value: a pointer into the kernels' accumulator arrays makes GCC keep them in
// memory, storing all of them to the stack on every k step.
static inline void store16(int32x4_t a0, int32x4_t a1, int32x4_t a2, int32x4_t a3, const Requant16& q, int8_t* c,
                           size_t nc) {
  const int32x4_t y0 = vcvtnq_s32_f32(vmulq_f32(vcvtq_f32_s32(a0), q.m0));
  const int32x4_t y1 = vcvtnq_s32_f32(vmulq_f32(vcvtq_f32_s32(a1), q.m1));
  const int32x4_t y2 = vcvtnq_s32_f32(vmulq_f32(vcvtq_f32_s32(a2), q.m2));
  const int32x4_t y3 = vcvtnq_s32_f32(vmulq_f32(vcvtq_f32_s32(a3), q.m3));
  const int16x8_t lo = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(y0), y1), q.zp);
  const int16x8_t hi = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(y2), y3), q.zp);
  const int8x16_t y = vminq_s8(vmaxq_s8(vqmovn_high_s16(vqmovn_s16(lo), hi), q.lo), q.hi);
  if (nc == 16) {
    vst1q_s8(c, y);
  } else {
    int8_t tmp[16];
    vst1q_s8(tmp, y);
    std::memcpy(c, tmp, nc);
  }
}

// The same for a 4-channel quarter of a panel (the c16 kernels), two rows per narrowing.
struct Requant4 {
  float32x4_t m;
  int16x8_t zp;
  int8x8_t lo, hi;
};

static inline Requant4 requant4_params(const float* mult, const GemmRequant& p) {
  return {vld1q_f32(mult), vdupq_n_s16(int16_t(p.output_zero_point)), vdup_n_s8(int8_t(p.output_min)),
          vdup_n_s8(int8_t(p.output_max))};
}

// r0, r1: channels 0-3 of two output rows (init already added); stores the first nc to c0 and,
// if second, to c1.
static inline void store4x2(int32x4_t r0, int32x4_t r1, const Requant4& q, int8_t* c0, int8_t* c1, bool second,
                            size_t nc) {
  const int32x4_t y0 = vcvtnq_s32_f32(vmulq_f32(vcvtq_f32_s32(r0), q.m));
  const int32x4_t y1 = vcvtnq_s32_f32(vmulq_f32(vcvtq_f32_s32(r1), q.m));
  const int16x8_t y = vqaddq_s16(vqmovn_high_s32(vqmovn_s32(y0), y1), q.zp);
  const uint32x2_t b = vreinterpret_u32_s8(vmin_s8(vmax_s8(vqmovn_s16(y), q.lo), q.hi));
  const uint32_t v0 = vget_lane_u32(b, 0), v1 = vget_lane_u32(b, 1);
  if (nc == 4) {  // a constant size: one 32-bit store each
    std::memcpy(c0, &v0, 4);
    if (second) std::memcpy(c1, &v1, 4);
  } else {
    std::memcpy(c0, &v0, nc);
    if (second) std::memcpy(c1, &v1, nc);
  }
}

}  // namespace nestrt::kernels::neon

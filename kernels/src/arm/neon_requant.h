// Requantisation and store of one 16-channel row of int32 accumulators, shared by the NEON
// microkernels (neon.cc, neondot.cc, i8mm.cc). The functions are static so that each translation
// unit compiles its own copy under its own target options (no ODR mixing of ISA variants).
// Same arithmetic as requantize.h: fp32 multiply, round half to even, zero point, clamp.
#pragma once

#include <arm_neon.h>

#include <cstring>

#include "../ukernels.h"

namespace nestrt::kernels::neon {

static inline int32x4_t requant4(int32x4_t acc, const int32_t* init, const float* mult, const GemmRequant& p) {
  float32x4_t f = vmulq_f32(vcvtq_f32_s32(vaddq_s32(acc, vld1q_s32(init))), vld1q_f32(mult));
  f = vminq_f32(vmaxq_f32(f, vdupq_n_f32(-16777216.0f)), vdupq_n_f32(16777216.0f));
  int32x4_t y = vaddq_s32(vcvtnq_s32_f32(f), vdupq_n_s32(p.output_zero_point));
  y = vmaxq_s32(y, vdupq_n_s32(p.output_min));
  return vminq_s32(y, vdupq_n_s32(p.output_max));
}

// a0..a3: channels 0-3, 4-7, 8-11, 12-15 of one output row; stores the first nc of them. By value:
// a pointer into the kernels' accumulator arrays makes GCC keep them in memory, storing all of
// them to the stack on every k step.
static inline void store16(int32x4_t a0, int32x4_t a1, int32x4_t a2, int32x4_t a3, const int32_t* init,
                           const float* mult, const GemmRequant& p, int8_t* c, size_t nc) {
  const int16x8_t lo =
      vcombine_s16(vmovn_s32(requant4(a0, init, mult, p)), vmovn_s32(requant4(a1, init + 4, mult + 4, p)));
  const int16x8_t hi =
      vcombine_s16(vmovn_s32(requant4(a2, init + 8, mult + 8, p)), vmovn_s32(requant4(a3, init + 12, mult + 12, p)));
  const int8x16_t y = vcombine_s8(vmovn_s16(lo), vmovn_s16(hi));
  if (nc == 16) {
    vst1q_s8(c, y);
  } else {
    int8_t tmp[16];
    vst1q_s8(tmp, y);
    std::memcpy(c, tmp, nc);
  }
}

}  // namespace nestrt::kernels::neon

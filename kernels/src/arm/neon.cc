// ARMv8.0 NEON GEMM microkernel (Cortex-A53/A72: Pi 4). Input rows are int16 (x - zp); the c4
// panel is de-interleaved by VLD4 into one vector per k, widened to int16, and accumulated with
// SMLAL/SMLAL2 by lane: exact for any int8 weights (no int16 intermediate sums).
#include <arm_neon.h>

#include <cstring>

#include "neon_requant.h"

namespace nestrt::kernels {
using neon::store16;

void nest_qs8_gemm_4x16c4__neon_mlal_lane(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride,
                                          const int8_t* w, const int32_t* init, const float* mult, int8_t* c,
                                          size_t c_stride, const GemmRequant& p) {
  constexpr int MR = 4;
  const int16_t* rows[MR];
  rows[0] = static_cast<const int16_t*>(a);
  for (int r = 1; r < MR; ++r) {
    rows[r] = size_t(r) < mr
                  ? reinterpret_cast<const int16_t*>(reinterpret_cast<const uint8_t*>(rows[r - 1]) + a_stride)
                  : rows[r - 1];
  }
  // Sixteen named accumulators, not an array: GCC 12 keeps an array of them in memory and
  // writes all 16 back to the stack on every k step (8 STPs per 64 SMLALs).
  int32x4_t a00 = vld1q_s32(init), a01 = vld1q_s32(init + 4), a02 = vld1q_s32(init + 8), a03 = vld1q_s32(init + 12);
  int32x4_t a10 = a00, a11 = a01, a12 = a02, a13 = a03, a20 = a00, a21 = a01, a22 = a02, a23 = a03, a30 = a00,
            a31 = a01, a32 = a02, a33 = a03;
  const int16_t *x0p = rows[0], *x1p = rows[1], *x2p = rows[2], *x3p = rows[3];
  for (size_t k = 0; k < kc; k += 4) {
    const int8x16x4_t wk = vld4q_s8(w);  // wk.val[j]: channels 0..15 at k + j
    w += kPanelNR * 4;
    const int16x4_t x0 = vld1_s16(x0p + k), x1 = vld1_s16(x1p + k), x2 = vld1_s16(x2p + k), x3 = vld1_s16(x3p + k);
#define NESTRT_MLAL_ROW(R, J)                                   \
  a##R##0 = vmlal_lane_s16(a##R##0, vget_low_s16(wl), x##R, J); \
  a##R##1 = vmlal_high_lane_s16(a##R##1, wl, x##R, J);          \
  a##R##2 = vmlal_lane_s16(a##R##2, vget_low_s16(wh), x##R, J); \
  a##R##3 = vmlal_high_lane_s16(a##R##3, wh, x##R, J);
#define NESTRT_MLAL(J)                                                                    \
  {                                                                                       \
    const int16x8_t wl = vmovl_s8(vget_low_s8(wk.val[J])), wh = vmovl_high_s8(wk.val[J]); \
    NESTRT_MLAL_ROW(0, J)                                                                 \
    NESTRT_MLAL_ROW(1, J)                                                                 \
    NESTRT_MLAL_ROW(2, J)                                                                 \
    NESTRT_MLAL_ROW(3, J)                                                                 \
  }
    NESTRT_MLAL(0)
    NESTRT_MLAL(1)
    NESTRT_MLAL(2)
    NESTRT_MLAL(3)
#undef NESTRT_MLAL
#undef NESTRT_MLAL_ROW
  }
  const neon::Requant16 q = neon::requant16(mult, p);
  store16(a00, a01, a02, a03, q, c, nc);
  if (mr > 1) store16(a10, a11, a12, a13, q, c + c_stride, nc);
  if (mr > 2) store16(a20, a21, a22, a23, q, c + 2 * c_stride, nc);
  if (mr > 3) store16(a30, a31, a32, a33, q, c + 3 * c_stride, nc);
}

}  // namespace nestrt::kernels

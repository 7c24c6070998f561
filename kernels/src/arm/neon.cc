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
  int32x4_t acc[MR][4];
  for (auto& row : acc) {
    for (auto& v : row) v = vdupq_n_s32(0);
  }
  for (size_t k = 0; k < kc; k += 4) {
    const int8x16x4_t wk = vld4q_s8(w);  // wk.val[j]: channels 0..15 at k + j
    w += kPanelNR * 4;
    int16x8_t wl[4], wh[4];
    for (int j = 0; j < 4; ++j) {
      wl[j] = vmovl_s8(vget_low_s8(wk.val[j]));
      wh[j] = vmovl_high_s8(wk.val[j]);
    }
    for (int r = 0; r < MR; ++r) {
      const int16x4_t x = vld1_s16(rows[r] + k);
#define NESTRT_MLAL(J)                                              \
  acc[r][0] = vmlal_lane_s16(acc[r][0], vget_low_s16(wl[J]), x, J); \
  acc[r][1] = vmlal_high_lane_s16(acc[r][1], wl[J], x, J);          \
  acc[r][2] = vmlal_lane_s16(acc[r][2], vget_low_s16(wh[J]), x, J); \
  acc[r][3] = vmlal_high_lane_s16(acc[r][3], wh[J], x, J);
      NESTRT_MLAL(0)
      NESTRT_MLAL(1)
      NESTRT_MLAL(2)
      NESTRT_MLAL(3)
#undef NESTRT_MLAL
    }
  }
  for (int r = 0; r < MR; ++r) {
    if (size_t(r) >= mr) break;
    store16(acc[r], init, mult, p, c + size_t(r) * c_stride, nc);
  }
}

}  // namespace nestrt::kernels

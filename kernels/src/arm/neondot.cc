// ARMv8.2 dot-product GEMM microkernel (Cortex-A76/A78: Pi 5, Orin). The target pragma, not a
// per-file -march, enables SDOT: a -march here would conflict with the board toolchains' -mcpu.
#pragma GCC target("arch=armv8.2-a+dotprod")
#include <arm_neon.h>

#include <cstring>

#include "neon_requant.h"

namespace nestrt::kernels {
using neon::store16;

void nest_qs8_gemm_4x16c4__neondot(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                                   const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                                   const GemmRequant& p) {
  constexpr int MR = 4;
  const int8_t* rows[MR];
  rows[0] = static_cast<const int8_t*>(a);
  for (int r = 1; r < MR; ++r) rows[r] = size_t(r) < mr ? rows[r - 1] + a_stride : rows[r - 1];
  int32x4_t acc[MR][4];
  for (auto& row : acc) {
    for (auto& v : row) v = vdupq_n_s32(0);
  }
  size_t k = 0;
  for (; k + 16 <= kc; k += 16) {  // four c4 blocks per 16-byte row load, SDOT by lane
    int8x16_t x[MR];
    for (int r = 0; r < MR; ++r) x[r] = vld1q_s8(rows[r] + k);
#define NESTRT_SDOT_BLOCK(L)                                                                               \
  {                                                                                                        \
    const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48); \
    w += kPanelNR * 4;                                                                                     \
    for (int r = 0; r < MR; ++r) {                                                                         \
      acc[r][0] = vdotq_laneq_s32(acc[r][0], w0, x[r], L);                                                 \
      acc[r][1] = vdotq_laneq_s32(acc[r][1], w1, x[r], L);                                                 \
      acc[r][2] = vdotq_laneq_s32(acc[r][2], w2, x[r], L);                                                 \
      acc[r][3] = vdotq_laneq_s32(acc[r][3], w3, x[r], L);                                                 \
    }                                                                                                      \
  }
    NESTRT_SDOT_BLOCK(0)
    NESTRT_SDOT_BLOCK(1)
    NESTRT_SDOT_BLOCK(2)
    NESTRT_SDOT_BLOCK(3)
#undef NESTRT_SDOT_BLOCK
  }
  for (; k < kc; k += 4) {
    const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48);
    w += kPanelNR * 4;
    for (int r = 0; r < MR; ++r) {
      int32_t v;
      std::memcpy(&v, rows[r] + k, 4);
      const int8x16_t x = vreinterpretq_s8_s32(vdupq_n_s32(v));
      acc[r][0] = vdotq_s32(acc[r][0], w0, x);
      acc[r][1] = vdotq_s32(acc[r][1], w1, x);
      acc[r][2] = vdotq_s32(acc[r][2], w2, x);
      acc[r][3] = vdotq_s32(acc[r][3], w3, x);
    }
  }
  for (int r = 0; r < MR; ++r) {
    if (size_t(r) >= mr) break;
    store16(acc[r], init, mult, p, c + size_t(r) * c_stride, nc);
  }
}

}  // namespace nestrt::kernels

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
  // Sixteen named accumulators, not an array: GCC 12 keeps an array of them partly in memory and
  // spills inside the k loop.
  int32x4_t a00 = vld1q_s32(init), a01 = vld1q_s32(init + 4), a02 = vld1q_s32(init + 8), a03 = vld1q_s32(init + 12);
  int32x4_t a10 = a00, a11 = a01, a12 = a02, a13 = a03, a20 = a00, a21 = a01, a22 = a02, a23 = a03, a30 = a00,
            a31 = a01, a32 = a02, a33 = a03;
#define NESTRT_SDOT_ROW(R, X, DOT)  \
  a##R##0 = DOT(a##R##0, w0, X##R); \
  a##R##1 = DOT(a##R##1, w1, X##R); \
  a##R##2 = DOT(a##R##2, w2, X##R); \
  a##R##3 = DOT(a##R##3, w3, X##R);
  size_t k = 0;
  for (; k + 16 <= kc; k += 16) {  // four c4 blocks per 16-byte row load, SDOT by lane
    const int8x16_t x0 = vld1q_s8(rows[0] + k), x1 = vld1q_s8(rows[1] + k), x2 = vld1q_s8(rows[2] + k),
                    x3 = vld1q_s8(rows[3] + k);
#define NESTRT_LANE(A, W, X) vdotq_laneq_s32(A, W, X, L)
#define NESTRT_SDOT_BLOCK(LANE)                                                                            \
  {                                                                                                        \
    constexpr int L = LANE;                                                                                \
    const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48); \
    w += kPanelNR * 4;                                                                                     \
    NESTRT_SDOT_ROW(0, x, NESTRT_LANE)                                                                     \
    NESTRT_SDOT_ROW(1, x, NESTRT_LANE)                                                                     \
    NESTRT_SDOT_ROW(2, x, NESTRT_LANE)                                                                     \
    NESTRT_SDOT_ROW(3, x, NESTRT_LANE)                                                                     \
  }
    NESTRT_SDOT_BLOCK(0)
    NESTRT_SDOT_BLOCK(1)
    NESTRT_SDOT_BLOCK(2)
    NESTRT_SDOT_BLOCK(3)
#undef NESTRT_SDOT_BLOCK
#undef NESTRT_LANE
  }
  for (; k < kc; k += 4) {
    const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48);
    w += kPanelNR * 4;
    int8x16_t b[MR];
    for (int r = 0; r < MR; ++r) {
      int32_t v;
      std::memcpy(&v, rows[r] + k, 4);
      b[r] = vreinterpretq_s8_s32(vdupq_n_s32(v));
    }
    const int8x16_t b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
    NESTRT_SDOT_ROW(0, b, vdotq_s32)
    NESTRT_SDOT_ROW(1, b, vdotq_s32)
    NESTRT_SDOT_ROW(2, b, vdotq_s32)
    NESTRT_SDOT_ROW(3, b, vdotq_s32)
  }
#undef NESTRT_SDOT_ROW
  const neon::Requant16 q = neon::requant16(mult, p);
  store16(a00, a01, a02, a03, q, c, nc);
  if (mr > 1) store16(a10, a11, a12, a13, q, c + c_stride, nc);
  if (mr > 2) store16(a20, a21, a22, a23, q, c + 2 * c_stride, nc);
  if (mr > 3) store16(a30, a31, a32, a33, q, c + 3 * c_stride, nc);
}

}  // namespace nestrt::kernels

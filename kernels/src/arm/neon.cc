// ARMv8.0 NEON GEMM microkernels (Cortex-A53/A72: Pi 4) on c16 panels: each channel's 16
// consecutive k are one 16-byte vector, multiplied with 16 int8 input bytes by SMULL (k..k+7)
// and SMULL2 (k+8..k+15) and added pairwise into int32 lanes by SADALP.
//
// The `mlal` kernel folds the second product into the first with SMLAL2 before SADALP, as
// XNNPACK's c8 kernels do: 3 instructions per 16 MACs instead of 4. Two int8 products fit int16
// only while no weight is -128 ((-128)(-128) * 2 = 32768), so the driver runs it on panels
// without -128 (every full-mode panel of a symmetric converter) and the `mull` kernel elsewhere.
#include <arm_neon.h>

#include <cstring>

#include "neon_requant.h"

namespace nestrt::kernels {
namespace {

// 4 rows x 4 channels; w points at the panel's quarter (channel 4q), blocks 256 bytes apart.
template <bool kPairInInt16>
void gemm_4x4c16(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w, const int32_t* init,
                 const float* mult, int8_t* c, size_t c_stride, const GemmRequant& p) {
  constexpr int MR = 4;
  const int8_t* rows[MR];
  rows[0] = static_cast<const int8_t*>(a);
  for (int r = 1; r < MR; ++r) rows[r] = size_t(r) < mr ? rows[r - 1] + a_stride : rows[r - 1];
  // Sixteen named accumulators (row, channel), four partial sums each.
  int32x4_t a00 = vdupq_n_s32(0), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00,
            a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00, a32 = a00, a33 = a00;
  for (size_t k = 0; k < kc; k += 16) {
    const int8x16_t x0 = vld1q_s8(rows[0] + k), x1 = vld1q_s8(rows[1] + k), x2 = vld1q_s8(rows[2] + k),
                    x3 = vld1q_s8(rows[3] + k);
    const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48);
    w += kPanelNR * 16;
#define NESTRT_MAC(A, W, X)                                                            \
  if constexpr (kPairInInt16) {                                                        \
    A = vpadalq_s16(A, vmlal_high_s8(vmull_s8(vget_low_s8(W), vget_low_s8(X)), W, X)); \
  } else {                                                                             \
    A = vpadalq_s16(A, vmull_s8(vget_low_s8(W), vget_low_s8(X)));                      \
    A = vpadalq_s16(A, vmull_high_s8(W, X));                                           \
  }
#define NESTRT_MAC_ROW(R)       \
  NESTRT_MAC(a##R##0, w0, x##R) \
  NESTRT_MAC(a##R##1, w1, x##R) \
  NESTRT_MAC(a##R##2, w2, x##R) \
  NESTRT_MAC(a##R##3, w3, x##R)
    NESTRT_MAC_ROW(0)
    NESTRT_MAC_ROW(1)
    NESTRT_MAC_ROW(2)
    NESTRT_MAC_ROW(3)
#undef NESTRT_MAC_ROW
#undef NESTRT_MAC
  }
  const int32x4_t vinit = vld1q_s32(init);
  const neon::Requant4 q = neon::requant4_params(mult, p);
  // Pairwise adds reduce each accumulator to one lane: lanes = channels 0..3 of the row.
  auto row = [&](int32x4_t s0, int32x4_t s1, int32x4_t s2, int32x4_t s3) {
    return vaddq_s32(vpaddq_s32(vpaddq_s32(s0, s1), vpaddq_s32(s2, s3)), vinit);
  };
  neon::store4x2(row(a00, a01, a02, a03), row(a10, a11, a12, a13), q, c, c + c_stride, mr > 1, nc);
  if (mr > 2)
    neon::store4x2(row(a20, a21, a22, a23), row(a30, a31, a32, a33), q, c + 2 * c_stride, c + 3 * c_stride, mr > 3, nc);
}

}  // namespace

void nest_qs8_gemm_4x4c16__neon_mull(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                                     const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                                     const GemmRequant& p) {
  gemm_4x4c16<false>(mr, nc, kc, a, a_stride, w, init, mult, c, c_stride, p);
}

void nest_qs8_gemm_4x4c16__neon_mlal(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                                     const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                                     const GemmRequant& p) {
  gemm_4x4c16<true>(mr, nc, kc, a, a_stride, w, init, mult, c, c_stride, p);
}

}  // namespace nestrt::kernels

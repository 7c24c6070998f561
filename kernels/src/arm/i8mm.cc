// ARMv8.6 int8 matrix-multiply GEMM microkernel (SMMLA). SMMLA multiplies a 2x8 int8 block of
// input rows by a 2x8 block of weight channels into a 2x2 int32 tile. The canonical c4 panel is
// consumed as stored: zipping the 32-bit words of two consecutive c4 blocks gives each channel's
// 8 consecutive k, two channels per register, which is SMMLA's right operand. Like neondot.cc,
// the target pragma (not a per-file -march) enables the extension, so board -mcpu flags never
// clash with it.
#pragma GCC target("arch=armv8.2-a+i8mm")
#include <arm_neon.h>

#include <cstring>

#include "neon_requant.h"

namespace nestrt::kernels {
using neon::store16;

namespace {

// b[j] = channels (2j, 2j+1), k0..k7 each, from c4 blocks lo (k0..3) and hi (k4..7).
inline void zip_channels(const int8_t* lo, const int8_t* hi, int8x16_t* b) {
  for (int q = 0; q < 4; ++q) {
    const int32x4_t l = vreinterpretq_s32_s8(vld1q_s8(lo + 16 * q));
    const int32x4_t h = vreinterpretq_s32_s8(vld1q_s8(hi + 16 * q));
    b[2 * q] = vreinterpretq_s8_s32(vzip1q_s32(l, h));
    b[2 * q + 1] = vreinterpretq_s8_s32(vzip2q_s32(l, h));
  }
}

}  // namespace

void nest_qs8_gemm_4x16c8__i8mm(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                                const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                                const GemmRequant& p) {
  constexpr int MR = 4;
  const int8_t* rows[MR];
  rows[0] = static_cast<const int8_t*>(a);
  for (int r = 1; r < MR; ++r) rows[r] = size_t(r) < mr ? rows[r - 1] + a_stride : rows[r - 1];
  // acc[pair][j]: rows (2 pair, 2 pair + 1) x channels (2j, 2j+1).
  int32x4_t acc[MR / 2][8];
  for (auto& pair : acc) {
    for (auto& v : pair) v = vdupq_n_s32(0);
  }
  size_t k = 0;
  for (; k + 8 <= kc; k += 8) {
    int8x16_t b[8];
    zip_channels(w, w + kPanelNR * 4, b);
    w += 2 * kPanelNR * 4;
    for (int pr = 0; pr < MR / 2; ++pr) {
      const int8x16_t x = vcombine_s8(vld1_s8(rows[2 * pr] + k), vld1_s8(rows[2 * pr + 1] + k));
      for (int j = 0; j < 8; ++j) acc[pr][j] = vmmlaq_s32(acc[pr][j], x, b[j]);
    }
  }
  if (k < kc) {  // one c4 block left: its upper 4 k are zero on both sides
    static const int8_t kZeros[kPanelNR * 4] = {};
    int8x16_t b[8];
    zip_channels(w, kZeros, b);
    for (int pr = 0; pr < MR / 2; ++pr) {
      int32_t x0, x1;
      std::memcpy(&x0, rows[2 * pr] + k, 4);
      std::memcpy(&x1, rows[2 * pr + 1] + k, 4);
      const int8x16_t x =
          vreinterpretq_s8_s64(vcombine_s64(vcreate_s64(uint64_t(uint32_t(x0))), vcreate_s64(uint64_t(uint32_t(x1)))));
      for (int j = 0; j < 8; ++j) acc[pr][j] = vmmlaq_s32(acc[pr][j], x, b[j]);
    }
  }
  const neon::Requant16 rq = neon::requant16(mult, p);
  for (int pr = 0; pr < MR / 2; ++pr) {
    // Tile (2j, 2j+1) holds [r c2j, r c2j+1, r+1 c2j, r+1 c2j+1]: 64-bit zips regroup it by row.
    int32x4_t top[4], bottom[4];
    for (int q = 0; q < 4; ++q) {
      const int64x2_t t0 = vreinterpretq_s64_s32(acc[pr][2 * q]), t1 = vreinterpretq_s64_s32(acc[pr][2 * q + 1]);
      top[q] = vreinterpretq_s32_s64(vzip1q_s64(t0, t1));
      bottom[q] = vreinterpretq_s32_s64(vzip2q_s64(t0, t1));
    }
    for (int q = 0; q < 4; ++q) {
      const int32x4_t i = vld1q_s32(init + 4 * q);
      top[q] = vaddq_s32(top[q], i), bottom[q] = vaddq_s32(bottom[q], i);
    }
    const size_t r = size_t(2 * pr);
    if (r < mr) store16(top[0], top[1], top[2], top[3], rq, c + r * c_stride, nc);
    if (r + 1 < mr) store16(bottom[0], bottom[1], bottom[2], bottom[3], rq, c + (r + 1) * c_stride, nc);
  }
}

}  // namespace nestrt::kernels

// The baseline unpackers: 2 x 64-bit vectors (SSE2 on x86-64, NEON on arm64), and the reductions
// with the same baseline SIMD (scalar elsewhere).
#include "swar_blocks.h"

#if defined(__SSE2__)
#include "../x86/hsum.h"
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace nestrt::kernels {
namespace {

// SSE2: PSADBW adds 8 unsigned bytes per instruction, so the bytes are biased by 128 (x ^ 0x80)
// and 128 per byte is taken off again; NEON: pairwise widening adds.
int32_t sum_baseline(const int8_t* v, size_t n) {
  int32_t s = 0;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i bias = _mm_set1_epi8(char(0x80)), zero = _mm_setzero_si128();
  __m128i acc = zero;
  for (; i + 16 <= n; i += 16) {
    const __m128i x = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v + i)), bias);
    acc = _mm_add_epi64(acc, _mm_sad_epu8(x, zero));
  }
  s = int32_t(_mm_cvtsi128_si32(acc) + _mm_cvtsi128_si32(_mm_unpackhi_epi64(acc, acc))) - int32_t(128 * i);
#elif defined(__aarch64__)
  int32x4_t acc = vdupq_n_s32(0);
  for (; i + 16 <= n; i += 16) acc = vpadalq_s16(acc, vpaddlq_s8(vld1q_s8(v + i)));
  s = vaddvq_s32(acc);
#endif
  for (; i < n; ++i) s += v[i];
  return s;
}

// SSE2 PMADDWD / NEON SMLAL on the weights widened to int16.
int32_t dot_centred_baseline(const int8_t* w, const int16_t* x, size_t n) {
  size_t i = 0;
  uint32_t s = 0;
#if defined(__SSE2__)
  __m128i acc0 = _mm_setzero_si128(), acc1 = _mm_setzero_si128();
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i));
    const __m128i w0 = _mm_srai_epi16(_mm_unpacklo_epi8(v, v), 8);  // sign-extended to int16
    const __m128i w1 = _mm_srai_epi16(_mm_unpackhi_epi8(v, v), 8);
    acc0 = _mm_add_epi32(acc0, _mm_madd_epi16(w0, _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i))));
    acc1 = _mm_add_epi32(acc1, _mm_madd_epi16(w1, _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i + 8))));
  }
  s = hsum_epi32(_mm_add_epi32(acc0, acc1));
#elif defined(__aarch64__)
  int32x4_t acc0 = vdupq_n_s32(0), acc1 = vdupq_n_s32(0);
  for (; i + 16 <= n; i += 16) {
    const int8x16_t v = vld1q_s8(w + i);
    const int16x8_t w0 = vmovl_s8(vget_low_s8(v)), w1 = vmovl_high_s8(v);
    const int16x8_t x0 = vld1q_s16(x + i), x1 = vld1q_s16(x + i + 8);
    acc0 = vmlal_s16(acc0, vget_low_s16(w0), vget_low_s16(x0));
    acc1 = vmlal_high_s16(acc1, w0, x0);
    acc0 = vmlal_s16(acc0, vget_low_s16(w1), vget_low_s16(x1));
    acc1 = vmlal_high_s16(acc1, w1, x1);
  }
  s = uint32_t(vaddvq_s32(vaddq_s32(acc0, acc1)));
#endif
  for (; i < n; ++i) s += uint32_t(int32_t(w[i]) * int32_t(x[i]));
  return int32_t(s);
}

}  // namespace

const UnpackTable& unpack_table__baseline() {
  static constexpr UnpackTable kTable = Swar<2>::table("baseline", sum_baseline, dot_centred_baseline);
  return kTable;
}

}  // namespace nestrt::kernels

// requantize.h's rule over a block of values already scaled in float, with the baseline SIMD of
// each architecture (SSE2, NEON) and a scalar tail (internal). Compilers keep the scalar rule's
// float clamps as branches without -ffinite-math-only, so they never vectorise it; the explicit
// clamps here (minps/maxps, vminq/vmaxq) give the same bits for every finite input.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {

// out[j] = clamp(round_half_even(scaled[j]) + zero_point, lo, hi), lo and hi within int8.
// Saturating the int32 results to int16 before the int8 clamp changes nothing: both are monotonic.
inline void requantize_floats(const float* scaled, size_t n, int32_t zero_point, int32_t lo, int32_t hi, int8_t* out) {
  size_t j = 0;
#if defined(__SSE2__)
  const __m128 bound = _mm_set1_ps(kRequantizeBound), nbound = _mm_set1_ps(-kRequantizeBound);
  const __m128i zp = _mm_set1_epi32(zero_point);
  const __m128i vlo = _mm_set1_epi16(int16_t(lo)), vhi = _mm_set1_epi16(int16_t(hi));
  const auto rounded = [&](size_t at) {  // cvtps2dq rounds half to even (default MXCSR), as lrintf
    const __m128 f = _mm_min_ps(_mm_max_ps(_mm_loadu_ps(scaled + at), nbound), bound);
    return _mm_add_epi32(_mm_cvtps_epi32(f), zp);
  };
  for (; j + 16 <= n; j += 16) {
    __m128i lo16 = _mm_packs_epi32(rounded(j), rounded(j + 4));
    __m128i hi16 = _mm_packs_epi32(rounded(j + 8), rounded(j + 12));
    lo16 = _mm_min_epi16(_mm_max_epi16(lo16, vlo), vhi);
    hi16 = _mm_min_epi16(_mm_max_epi16(hi16, vlo), vhi);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + j), _mm_packs_epi16(lo16, hi16));
  }
#elif defined(__aarch64__)
  const float32x4_t bound = vdupq_n_f32(kRequantizeBound), nbound = vdupq_n_f32(-kRequantizeBound);
  const int32x4_t zp = vdupq_n_s32(zero_point);
  const int16x8_t vlo = vdupq_n_s16(int16_t(lo)), vhi = vdupq_n_s16(int16_t(hi));
  const auto rounded = [&](size_t at) {  // vcvtnq: round half to even, as lrintf
    const float32x4_t f = vminq_f32(vmaxq_f32(vld1q_f32(scaled + at), nbound), bound);
    return vaddq_s32(vcvtnq_s32_f32(f), zp);
  };
  for (; j + 16 <= n; j += 16) {
    int16x8_t lo16 = vcombine_s16(vqmovn_s32(rounded(j)), vqmovn_s32(rounded(j + 4)));
    int16x8_t hi16 = vcombine_s16(vqmovn_s32(rounded(j + 8)), vqmovn_s32(rounded(j + 12)));
    lo16 = vminq_s16(vmaxq_s16(lo16, vlo), vhi);
    hi16 = vminq_s16(vmaxq_s16(hi16, vlo), vhi);
    vst1q_s8(out + j, vcombine_s8(vqmovn_s16(lo16), vqmovn_s16(hi16)));
  }
#endif
  for (; j < n; ++j) out[j] = requantize_float(scaled[j], zero_point, lo, hi);
}

}  // namespace nestrt::kernels

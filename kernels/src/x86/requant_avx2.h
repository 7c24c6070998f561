// requantize()'s rule on 8 int32 lanes with AVX2, for the AVX2 translation units only. Internal
// linkage on purpose: an inline function with external linkage compiled with -mavx2 could be the
// copy the linker keeps for baseline code too, and fault on CPUs without AVX2.
#pragma once

#include <immintrin.h>

#include "nestrt/kernels/gemm.h"

namespace nestrt::kernels {
namespace {

// float(acc) * m, clamped like requantize(), rounded to nearest-even (cvtps2dq under the
// default MXCSR), + zp, clamped: the exact bits of requantize().
inline __m256i requant8(__m256i acc, const float* mult, const GemmRequant& p) {
  const __m256 bound = _mm256_set1_ps(16777216.0f);
  __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(mult));
  f = _mm256_min_ps(_mm256_max_ps(f, _mm256_sub_ps(_mm256_setzero_ps(), bound)), bound);
  __m256i y = _mm256_add_epi32(_mm256_cvtps_epi32(f), _mm256_set1_epi32(p.output_zero_point));
  y = _mm256_max_epi32(y, _mm256_set1_epi32(p.output_min));
  return _mm256_min_epi32(y, _mm256_set1_epi32(p.output_max));
}

}  // namespace
}  // namespace nestrt::kernels

// Horizontal sums of int32 lanes for the x86 translation units (internal linkage on purpose: each
// unit compiles its own copy with its own flags; see requant_avx2.h). Wrapping, as VPADDD is.
#pragma once

#include <immintrin.h>

#include <cstdint>

namespace nestrt::kernels {
namespace {

inline uint32_t hsum_epi32(__m128i a) {
  a = _mm_add_epi32(a, _mm_shuffle_epi32(a, _MM_SHUFFLE(1, 0, 3, 2)));
  a = _mm_add_epi32(a, _mm_shuffle_epi32(a, _MM_SHUFFLE(2, 3, 0, 1)));
  return uint32_t(_mm_cvtsi128_si32(a));
}

#if defined(__AVX2__)
inline uint32_t hsum_epi32(__m256i a) {
  return hsum_epi32(_mm_add_epi32(_mm256_castsi256_si128(a), _mm256_extracti128_si256(a, 1)));
}
#endif

#if defined(__AVX512F__)
inline uint32_t hsum_epi32(__m512i a) {
  return hsum_epi32(_mm256_add_epi32(_mm512_castsi512_si256(a), _mm512_extracti64x4_epi64(a, 1)));
}
#endif

}  // namespace
}  // namespace nestrt::kernels

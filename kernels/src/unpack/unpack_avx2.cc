// The AVX2 unpackers: 4 x 64-bit vectors, and the reductions on 32 bytes at a time (compiled with
// -mavx2; see kernels/CMakeLists.txt).
#include <immintrin.h>

#include "../x86/hsum.h"
#include "swar_blocks.h"

namespace nestrt::kernels {
namespace {

// VPSADBW on x ^ 0x80 (= x + 128 as unsigned), 128 per byte taken off again.
int32_t sum_avx2(const int8_t* v, size_t n) {
  const __m256i bias = _mm256_set1_epi8(char(0x80)), zero = _mm256_setzero_si256();
  __m256i acc = zero;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i x = _mm256_xor_si256(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + i)), bias);
    acc = _mm256_add_epi64(acc, _mm256_sad_epu8(x, zero));
  }
  const __m128i a = _mm_add_epi64(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
  int32_t s = int32_t(_mm_cvtsi128_si32(a) + _mm_cvtsi128_si32(_mm_unpackhi_epi64(a, a))) - int32_t(128 * i);
  for (; i < n; ++i) s += v[i];
  return s;
}

// VPMOVSXBW + VPMADDWD, 16 weights per step.
int32_t dot_centred_avx2(const int8_t* w, const int16_t* x, size_t n) {
  __m256i acc = _mm256_setzero_si256();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256i wv = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
    acc = _mm256_add_epi32(acc, _mm256_madd_epi16(wv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + i))));
  }
  uint32_t s = hsum_epi32(acc);
  for (; i < n; ++i) s += uint32_t(int32_t(w[i]) * int32_t(x[i]));
  return int32_t(s);
}

}  // namespace

const UnpackTable& unpack_table__avx2() {
  static constexpr UnpackTable kTable = Swar<4>::table("avx2", sum_avx2, dot_centred_avx2);
  return kTable;
}

}  // namespace nestrt::kernels

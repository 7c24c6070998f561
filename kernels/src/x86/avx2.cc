// AVX2 GEMM microkernel (compiled with -mavx2 -mfma; see kernels/CMakeLists.txt). Input rows are
// int16 (x - zp); the c4 weight panel is widened to int16 and multiplied with VPMADDWD, which is
// exact (unlike VPMADDUBSW, which saturates), then pairs are reduced with VPHADDD.
#include <immintrin.h>

#include <cstring>

#include "../ukernels.h"
#include "requant_avx2.h"

namespace nestrt::kernels {
namespace {

inline void store8(__m256i y, int8_t* c, size_t nc) {
  const __m128i w16 = _mm_packs_epi32(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
  const __m128i b8 = _mm_packs_epi16(w16, w16);
  if (nc == 8) {
    _mm_storel_epi64(reinterpret_cast<__m128i*>(c), b8);
  } else {
    alignas(16) int8_t tmp[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(tmp), b8);
    std::memcpy(c, tmp, nc);
  }
}

}  // namespace

void nest_qs8_gemm_4x8c4__avx2(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                               const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                               const GemmRequant& p) {
  const auto* a0 = static_cast<const uint8_t*>(a);
  const uint8_t* a1 = mr > 1 ? a0 + a_stride : a0;
  const uint8_t* a2 = mr > 2 ? a0 + 2 * a_stride : a1;
  const uint8_t* a3 = mr > 3 ? a0 + 3 * a_stride : a2;
  __m256i acc00 = _mm256_setzero_si256(), acc01 = _mm256_setzero_si256();
  __m256i acc10 = _mm256_setzero_si256(), acc11 = _mm256_setzero_si256();
  __m256i acc20 = _mm256_setzero_si256(), acc21 = _mm256_setzero_si256();
  __m256i acc30 = _mm256_setzero_si256(), acc31 = _mm256_setzero_si256();
  for (size_t k = 0; k < kc; k += 4) {
    // Channels 0-3 and 4-7 of this half-panel, k..k+3 each, as int16.
    const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w)));
    const __m256i w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 16)));
    w += kPanelNR * 4;
    long long x;
    std::memcpy(&x, a0 + k * 2, 8);
    __m256i va = _mm256_set1_epi64x(x);
    acc00 = _mm256_add_epi32(acc00, _mm256_madd_epi16(w0, va));
    acc01 = _mm256_add_epi32(acc01, _mm256_madd_epi16(w1, va));
    std::memcpy(&x, a1 + k * 2, 8);
    va = _mm256_set1_epi64x(x);
    acc10 = _mm256_add_epi32(acc10, _mm256_madd_epi16(w0, va));
    acc11 = _mm256_add_epi32(acc11, _mm256_madd_epi16(w1, va));
    std::memcpy(&x, a2 + k * 2, 8);
    va = _mm256_set1_epi64x(x);
    acc20 = _mm256_add_epi32(acc20, _mm256_madd_epi16(w0, va));
    acc21 = _mm256_add_epi32(acc21, _mm256_madd_epi16(w1, va));
    std::memcpy(&x, a3 + k * 2, 8);
    va = _mm256_set1_epi64x(x);
    acc30 = _mm256_add_epi32(acc30, _mm256_madd_epi16(w0, va));
    acc31 = _mm256_add_epi32(acc31, _mm256_madd_epi16(w1, va));
  }
  // hadd: [c0 c1 c4 c5 | c2 c3 c6 c7] -> permute 64-bit chunks 0,2,1,3 -> c0..c7.
  const __m256i vinit = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(init));
  auto reduce = [&](__m256i lo, __m256i hi) {
    return _mm256_add_epi32(_mm256_permute4x64_epi64(_mm256_hadd_epi32(lo, hi), 0xD8), vinit);
  };
  store8(requant8(reduce(acc00, acc01), mult, p), c, nc);
  if (mr > 1) store8(requant8(reduce(acc10, acc11), mult, p), c + c_stride, nc);
  if (mr > 2) store8(requant8(reduce(acc20, acc21), mult, p), c + 2 * c_stride, nc);
  if (mr > 3) store8(requant8(reduce(acc30, acc31), mult, p), c + 3 * c_stride, nc);
}

}  // namespace nestrt::kernels

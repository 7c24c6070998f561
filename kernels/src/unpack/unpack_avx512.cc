// The AVX-512 unpackers: 8 x 64-bit vectors, and the reductions on 64 bytes at a time (compiled
// with -mavx512f -mavx512bw; see kernels/CMakeLists.txt).
#include "../x86/avx512_intrinsics.h"  // first: its pragmas cover every intrinsic below

#include "../x86/hsum.h"
#include "swar_blocks.h"

namespace nestrt::kernels {
namespace {

// VPSADBW on x ^ 0x80 (= x + 128 as unsigned), 128 per byte taken off again.
int32_t sum_avx512(const int8_t* v, size_t n) {
  const __m512i bias = _mm512_set1_epi8(char(0x80)), zero = _mm512_setzero_si512();
  __m512i acc = zero;
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    const __m512i x = _mm512_xor_si512(_mm512_loadu_si512(v + i), bias);
    acc = _mm512_add_epi64(acc, _mm512_sad_epu8(x, zero));
  }
  int32_t s = int32_t(_mm512_reduce_add_epi64(acc)) - int32_t(128 * i);
  for (; i < n; ++i) s += v[i];
  return s;
}

// VPMOVSXBW + VPMADDWD, 32 weights per step.
int32_t dot_centred_avx512(const int8_t* w, const int16_t* x, size_t n) {
  __m512i acc = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512i wv = _mm512_cvtepi8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i)));
    acc = _mm512_add_epi32(acc, _mm512_madd_epi16(wv, _mm512_loadu_si512(x + i)));
  }
  // Lanes folded with VPADDD (wrapping), not _mm512_reduce_add_epi32 (signed vector addition).
  uint32_t s = hsum_epi32(acc);
  for (; i < n; ++i) s += uint32_t(int32_t(w[i]) * int32_t(x[i]));
  return int32_t(s);
}

}  // namespace

const UnpackTable& unpack_table__avx512() {
  static constexpr UnpackTable kTable = Swar<8>::table("avx512", sum_avx512, dot_centred_avx512);
  return kTable;
}

}  // namespace nestrt::kernels

// AVX512-VNNI GEMM microkernel (compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni; see
// kernels/CMakeLists.txt). VPDPBUSD multiplies u8 x s8: input rows arrive as x ^ 0x80 = x + 128,
// and the driver folds (zp + 128) * sum(w) into init. One zmm holds a whole c4 block of the
// 16-channel panel, so the canonical panel is consumed as stored.
#include "avx512_intrinsics.h"  // first: its pragmas cover every intrinsic below

#include <cstring>

#include "../ukernels.h"

namespace nestrt::kernels {

namespace {

// R rows (1..8): a partial tile computes only its own rows, so M = 1 (fully connected) costs one
// row's work, not eight.
template <int R>
void gemm_rows(size_t nc, size_t kc, const uint8_t* a, size_t a_stride, const int8_t* w, const int32_t* init,
               const float* mult, int8_t* c, size_t c_stride, const GemmRequant& p) {
  __m512i acc[R];
  for (int r = 0; r < R; ++r) acc[r] = _mm512_setzero_si512();
  for (size_t k = 0; k < kc; k += 4) {
    const __m512i vw = _mm512_loadu_si512(w);
    w += kPanelNR * 4;
    for (int r = 0; r < R; ++r) {
      int32_t x;
      std::memcpy(&x, a + size_t(r) * a_stride + k, 4);
      acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_set1_epi32(x), vw);
    }
  }
  const __m512i vinit = _mm512_loadu_si512(init);
  const __m512 vmult = _mm512_loadu_ps(mult);
  const __m512 bound = _mm512_set1_ps(16777216.0f);
  const __m512 nbound = _mm512_set1_ps(-16777216.0f);
  const __m512i zp = _mm512_set1_epi32(p.output_zero_point);
  const __m512i lo = _mm512_set1_epi32(p.output_min), hi = _mm512_set1_epi32(p.output_max);
  const __mmask16 mask = static_cast<__mmask16>((1u << nc) - 1u);
  for (int r = 0; r < R; ++r) {
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(acc[r], vinit)), vmult);
    f = _mm512_min_ps(_mm512_max_ps(f, nbound), bound);
    __m512i y = _mm512_add_epi32(_mm512_cvtps_epi32(f), zp);
    y = _mm512_min_epi32(_mm512_max_epi32(y, lo), hi);
    _mm_mask_storeu_epi8(c + size_t(r) * c_stride, mask, _mm512_cvtepi32_epi8(y));
  }
}

}  // namespace

void nest_qs8_gemm_8x16c4__avx512vnni(size_t mr, size_t nc, size_t kc, const void* a, size_t a_stride, const int8_t* w,
                                      const int32_t* init, const float* mult, int8_t* c, size_t c_stride,
                                      const GemmRequant& p) {
  const auto* rows = static_cast<const uint8_t*>(a);
  switch (mr) {
    case 1: return gemm_rows<1>(nc, kc, rows, a_stride, w, init, mult, c, c_stride, p);
    case 2: return gemm_rows<2>(nc, kc, rows, a_stride, w, init, mult, c, c_stride, p);
    case 3: return gemm_rows<3>(nc, kc, rows, a_stride, w, init, mult, c, c_stride, p);
    case 4: return gemm_rows<4>(nc, kc, rows, a_stride, w, init, mult, c, c_stride, p);
    case 5: return gemm_rows<5>(nc, kc, rows, a_stride, w, init, mult, c, c_stride, p);
    case 6: return gemm_rows<6>(nc, kc, rows, a_stride, w, init, mult, c, c_stride, p);
    case 7: return gemm_rows<7>(nc, kc, rows, a_stride, w, init, mult, c, c_stride, p);
    default: return gemm_rows<8>(nc, kc, rows, a_stride, w, init, mult, c, c_stride, p);
  }
}

}  // namespace nestrt::kernels

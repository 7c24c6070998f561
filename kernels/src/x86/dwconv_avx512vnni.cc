// AVX512-VNNI depthwise kernel (compiled with the avx512vnni unit's flags; see
// kernels/CMakeLists.txt): the AVX2 kernel's scheme at twice the width, 32 channels per step, and
// VPDPWSSD multiplying two taps' int16 pairs and adding them to the int32 sums in one instruction
// (exact: no saturation, |x * w| <= 2^14). The zero point is folded into the bias, padding taps
// read a row of zero points, and a channel tail below 32 uses masked loads and stores.
// Bit-exact with qs8_dwconv2d__ref.
#include "avx512_intrinsics.h"  // first: its pragmas cover every intrinsic below

#include <cstring>

#include "../dwconv/dwconv_driver.h"
#include "../ukernels.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {
namespace {

using dwconv::Problem;

constexpr size_t kMaxTaps = 64;  // dwconv_supports()

using Prepared = dwconv::PairedWeights;
constexpr size_t kBlock = 32;

Prepared prepare(const Problem& p) {
  const ConvGeometry& g = p.g;
  const size_t taps = size_t(g.kernel_h) * size_t(g.kernel_w), channels = size_t(g.out_c);
  const Prepared at = dwconv::paired_weights(p, kBlock);
  int16_t* pairs = at.pairs;
  // One tap's weights for channels [c0, c0 + 32), zero past the last channel or the last tap.
  const auto tap_weights = [&](size_t t, size_t c0) {
    const size_t n = channels - c0 < 32 ? channels - c0 : 32;  // no std::min: nothing shared with baseline code
    const __mmask32 mask = n == 32 ? ~__mmask32{0} : __mmask32((1u << n) - 1u);
    return t < taps ? _mm512_maskz_loadu_epi16(mask, p.weights + t * channels + c0) : _mm512_setzero_si512();
  };
  for (size_t j = 0; j < (taps + 1) / 2; ++j) {
    for (size_t b = 0; b < at.blocks; ++b) {
      const __m512i w0 = tap_weights(2 * j, 32 * b), w1 = tap_weights(2 * j + 1, 32 * b);
      int16_t* dst = pairs + (j * at.blocks + b) * 64;
      _mm512_storeu_si512(dst, _mm512_unpacklo_epi16(w0, w1));
      _mm512_storeu_si512(dst + 32, _mm512_unpackhi_epi16(w0, w1));
    }
  }
  dwconv::fold_zero_point(p, at, kBlock);
  return at;
}

// Two taps of 32 channels (int8, loaded under mask): acc0 gets channels 8L..8L+3 of each 128-bit
// lane L, acc1 channels 8L+4..8L+7 (VPUNPCK works within lanes); requantize32 reorders them.
inline void pair_accumulate(__m256i x0, __m256i x1, const int16_t* w, __m512i& acc0, __m512i& acc1) {
  const __m512i v0 = _mm512_cvtepi8_epi16(x0), v1 = _mm512_cvtepi8_epi16(x1);
  acc0 = _mm512_dpwssd_epi32(acc0, _mm512_unpacklo_epi16(v0, v1), _mm512_loadu_si512(w));
  acc1 = _mm512_dpwssd_epi32(acc1, _mm512_unpackhi_epi16(v0, v1), _mm512_loadu_si512(w + 32));
}

// requantize()'s rule on 16 lanes: float multiply, clamp to +-2^24, round half to even
// (cvtps2dq, default MXCSR), + zp, clamp, narrowed to bytes.
inline __m128i requant16(__m512i acc, const int32_t* bias, const float* mult, __mmask16 mask,
                         const ActivationParams& a) {
  const __m512 bound = _mm512_set1_ps(kRequantizeBound), nbound = _mm512_set1_ps(-kRequantizeBound);
  const __m512i sum = _mm512_add_epi32(acc, _mm512_loadu_si512(bias));
  __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(sum), _mm512_maskz_loadu_ps(mask, mult));
  f = _mm512_min_ps(_mm512_max_ps(f, nbound), bound);
  __m512i y = _mm512_add_epi32(_mm512_cvtps_epi32(f), _mm512_set1_epi32(a.output_zero_point));
  y = _mm512_min_epi32(_mm512_max_epi32(y, _mm512_set1_epi32(a.output_min)), _mm512_set1_epi32(a.output_max));
  return _mm512_cvtepi32_epi8(y);
}

inline void requantize32(__m512i acc0, __m512i acc1, const int32_t* bias, const float* mult, size_t n,
                         const ActivationParams& a, int8_t* out) {
  const __m512i first = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
  const __m512i second = _mm512_setr_epi32(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31);
  const __mmask16 m0 = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1u);
  const __mmask16 m1 = n >= 32 ? __mmask16(0xffff) : n <= 16 ? __mmask16(0) : __mmask16((1u << (n - 16)) - 1u);
  _mm_mask_storeu_epi8(out, m0, requant16(_mm512_permutex2var_epi32(acc0, first, acc1), bias, mult, m0, a));
  if (m1) {
    _mm_mask_storeu_epi8(out + 16, m1,
                         requant16(_mm512_permutex2var_epi32(acc0, second, acc1), bias + 16, mult + 16, m1, a));
  }
}

struct PixelAvx512 {
  void operator()(const Problem& p, const Prepared& at, int oy, int ox) const {
    const ConvGeometry& g = p.g;
    const size_t channels = size_t(g.in_c), taps = size_t(g.kernel_h) * size_t(g.kernel_w);
    // Every tap's input pixel (the zero-point row in the padding), plus one for an odd count.
    const int8_t* x[kMaxTaps + 1];
    dwconv::tap_pointers(p, oy, ox, at.zp_row, x);
    x[taps] = at.zp_row;
    const size_t pairs = (taps + 1) / 2;
    int8_t* out = p.output_at(oy, ox);
    for (size_t c0 = 0; c0 < channels; c0 += 32) {
      const size_t n = channels - c0 < 32 ? channels - c0 : 32;
      const __mmask32 mask = n == 32 ? ~__mmask32{0} : __mmask32((1u << n) - 1u);  // reads stay in the row
      __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
      const int16_t* w = at.pairs + (c0 / 32) * 64;
      for (size_t j = 0; j < pairs; ++j, w += at.blocks * 64) {
        pair_accumulate(_mm256_maskz_loadu_epi8(mask, x[2 * j] + c0), _mm256_maskz_loadu_epi8(mask, x[2 * j + 1] + c0),
                        w, acc0, acc1);
      }
      requantize32(acc0, acc1, at.bias + c0, p.q.multiplier + c0, n, p.a, out + c0);
    }
  }
};

}  // namespace

void nest_qs8_dwconv2d_c32__avx512vnni(const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                                       const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output,
                                       void* scratch, pthreadpool_t pool) {
  dwconv::run(g, a, input, planes, mode, q, output, scratch, pool, PixelAvx512{}, prepare);
}

}  // namespace nestrt::kernels

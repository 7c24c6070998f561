// AVX2 depthwise kernel (compiled with -mavx2 -mfma; see kernels/CMakeLists.txt): 16 channels per
// step, their int32 sums held in two registers over all taps of the pixel. Inputs are widened to
// int16 (x - zp, exact in [-255, 255]) and multiplied by the int16 weights with VPMULLW/VPMULHW,
// whose halves interleave into exact 32-bit products. A channel tail below 16 runs the same
// step on zero-padded copies. Bit-exact with qs8_dwconv2d__ref.
#include <immintrin.h>

#include <cstring>

#include "../dwconv/dwconv_driver.h"
#include "../ukernels.h"
#include "requant_avx2.h"

namespace nestrt::kernels {
namespace {

using dwconv::Problem;

// acc0 holds channels 0-3 and 8-11 of the block, acc1 channels 4-7 and 12-15 (VPUNPCK works
// within 128-bit lanes); the requantisation puts them back in order.
inline void multiply_accumulate(const int8_t* x, const int16_t* w, __m256i zp, __m256i& acc0, __m256i& acc1) {
  const __m256i vx = _mm256_sub_epi16(_mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x))), zp);
  const __m256i vw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
  const __m256i lo = _mm256_mullo_epi16(vx, vw), hi = _mm256_mulhi_epi16(vx, vw);
  acc0 = _mm256_add_epi32(acc0, _mm256_unpacklo_epi16(lo, hi));
  acc1 = _mm256_add_epi32(acc1, _mm256_unpackhi_epi16(lo, hi));
}

// bias + sums of 16 channels, requantised, as 16 bytes in channel order.
inline __m128i requantize16(__m256i acc0, __m256i acc1, const int32_t* bias, const float* mult, const GemmRequant& r) {
  const __m256i a_lo = _mm256_permute2x128_si256(acc0, acc1, 0x20);  // channels 0-7
  const __m256i a_hi = _mm256_permute2x128_si256(acc0, acc1, 0x31);  // channels 8-15
  const __m256i y_lo = requant8(_mm256_add_epi32(a_lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias))),
                                mult, r);
  const __m256i y_hi = requant8(
      _mm256_add_epi32(a_hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + 8))), mult + 8, r);
  // packs works per 128-bit lane: [0-3, 8-11 | 4-7, 12-15]; the permute restores 0..15.
  const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(y_lo, y_hi), 0xD8);
  return _mm_packs_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
}

struct PixelAvx2 {
  void operator()(const Problem& p, int oy, int ox) const {
    const ConvGeometry& g = p.g;
    const size_t channels = size_t(g.in_c);
    const dwconv::PixelTaps taps(p, oy, ox);
    const __m256i zp = _mm256_set1_epi16(int16_t(p.a.input_zero_point));
    const GemmRequant r{p.a.output_zero_point, p.a.output_min, p.a.output_max};
    int8_t* out = p.output_at(oy, ox);
    size_t c0 = 0;
    for (; c0 + 32 <= channels; c0 += 32) {  // two blocks per pass: half the tap-loop overhead
      __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
      __m256i b0 = _mm256_setzero_si256(), b1 = _mm256_setzero_si256();
      for (size_t t = 0; t < taps.count; ++t) {
        const int8_t* x = taps.input[t] + c0;
        const int16_t* w = taps.weights[t] + c0;
        multiply_accumulate(x, w, zp, a0, a1);
        multiply_accumulate(x + 16, w + 16, zp, b0, b1);
      }
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c0),
                       requantize16(a0, a1, p.q.bias + c0, p.q.multiplier + c0, r));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c0 + 16),
                       requantize16(b0, b1, p.q.bias + c0 + 16, p.q.multiplier + c0 + 16, r));
    }
    for (; c0 + 16 <= channels; c0 += 16) {
      __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
      for (size_t t = 0; t < taps.count; ++t) multiply_accumulate(taps.input[t] + c0, taps.weights[t] + c0, zp, acc0, acc1);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c0),
                       requantize16(acc0, acc1, p.q.bias + c0, p.q.multiplier + c0, r));
    }
    if (c0 == channels) return;
    // The tail: the same step on copies padded with zero weights (their products are zero).
    const size_t n = channels - c0;
    alignas(32) int8_t x_pad[16] = {};
    alignas(32) int16_t w_pad[16] = {};
    alignas(32) int32_t bias[16] = {};
    alignas(32) float mult[16] = {};
    std::memcpy(bias, p.q.bias + c0, n * sizeof(int32_t));
    std::memcpy(mult, p.q.multiplier + c0, n * sizeof(float));
    __m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
    for (size_t t = 0; t < taps.count; ++t) {
      std::memcpy(x_pad, taps.input[t] + c0, n);
      std::memcpy(w_pad, taps.weights[t] + c0, n * sizeof(int16_t));
      multiply_accumulate(x_pad, w_pad, zp, acc0, acc1);
    }
    alignas(16) int8_t y[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(y), requantize16(acc0, acc1, bias, mult, r));
    std::memcpy(out + c0, y, n);
  }
};

}  // namespace

void nest_qs8_dwconv2d_c16__avx2(const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                                 const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output,
                                 void* scratch, pthreadpool_t pool) {
  dwconv::run(g, a, input, planes, mode, q, output, scratch, pool, PixelAvx2{});
}

}  // namespace nestrt::kernels

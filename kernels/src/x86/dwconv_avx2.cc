// AVX2 depthwise kernel (compiled with -mavx2 -mfma; see kernels/CMakeLists.txt). Taps are taken
// in pairs: the inputs of two taps, widened to int16 and interleaved, meet their interleaved
// weights in one VPMADDWD (exact: |x * w| <= 2^14, two products per lane), so 16 channels x 2 taps
// cost eight instructions. The input zero point is folded into the bias once per run
// (bias - zp * sum(w)), and taps in the padding read a row of zero points, which that fold
// cancels exactly; an odd last tap pairs with zero weights. A channel tail below 16 runs the same
// step on zero-padded copies. Bit-exact with qs8_dwconv2d__ref.
#include <immintrin.h>

#include <cstring>

#include "../dwconv/dwconv_driver.h"
#include "../ukernels.h"
#include "requant_avx2.h"

namespace nestrt::kernels {
namespace {

using dwconv::Problem;

constexpr size_t kMaxTaps = 64;  // dwconv_supports()

using Prepared = dwconv::PairedWeights;
constexpr size_t kBlock = 16;

Prepared prepare(const Problem& p) {
  const ConvGeometry& g = p.g;
  const size_t taps = size_t(g.kernel_h) * size_t(g.kernel_w), channels = size_t(g.out_c);
  const Prepared at = dwconv::paired_weights(p, kBlock);
  int16_t* pairs = at.pairs;
  // One tap's weights for channels [c0, c0 + 16), zero past the last channel or the last tap.
  const auto tap_weights = [&](size_t t, size_t c0) {
    alignas(32) int16_t w[16] = {};
    const size_t n = channels - c0 < 16 ? channels - c0 : 16;  // no std::min: nothing shared with baseline code
    if (t < taps) std::memcpy(w, p.weights + t * channels + c0, n * sizeof(int16_t));
    return _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
  };
  for (size_t j = 0; j < (taps + 1) / 2; ++j) {
    for (size_t b = 0; b < at.blocks; ++b) {
      const __m256i w0 = tap_weights(2 * j, 16 * b), w1 = tap_weights(2 * j + 1, 16 * b);
      int16_t* dst = pairs + (j * at.blocks + b) * 32;
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst), _mm256_unpacklo_epi16(w0, w1));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + 16), _mm256_unpackhi_epi16(w0, w1));
    }
  }
  dwconv::fold_zero_point(p, at, kBlock);
  return at;
}

// Two taps of 16 channels: acc0 gets channels 0-3 and 8-11, acc1 channels 4-7 and 12-15 (VPUNPCK
// works within 128-bit lanes); requantize16 puts them back in order.
inline void pair_accumulate(const int8_t* x0, const int8_t* x1, const int16_t* w, __m256i& acc0, __m256i& acc1) {
  const __m256i v0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x0)));
  const __m256i v1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x1)));
  const __m256i wl = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w));
  const __m256i wh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 16));
  acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(_mm256_unpacklo_epi16(v0, v1), wl));
  acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(_mm256_unpackhi_epi16(v0, v1), wh));
}

// bias + sums of 16 channels, requantised, as 16 bytes in channel order.
inline __m128i requantize16(__m256i acc0, __m256i acc1, const int32_t* bias, const float* mult, const GemmRequant& r) {
  const __m256i a_lo = _mm256_permute2x128_si256(acc0, acc1, 0x20);  // channels 0-7
  const __m256i a_hi = _mm256_permute2x128_si256(acc0, acc1, 0x31);  // channels 8-15
  const __m256i y_lo =
      requant8(_mm256_add_epi32(a_lo, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias))), mult, r);
  const __m256i y_hi =
      requant8(_mm256_add_epi32(a_hi, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(bias + 8))), mult + 8, r);
  // packs works per 128-bit lane: [0-3, 8-11 | 4-7, 12-15]; the permute restores 0..15.
  const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(y_lo, y_hi), 0xD8);
  return _mm_packs_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
}

struct PixelAvx2 {
  void operator()(const Problem& p, const Prepared& at, int oy, int ox) const {
    const ConvGeometry& g = p.g;
    const size_t channels = size_t(g.in_c), taps = size_t(g.kernel_h) * size_t(g.kernel_w);
    // Every tap's input pixel (the zero-point row in the padding), plus one for an odd count.
    const int8_t* x[kMaxTaps + 1];
    dwconv::tap_pointers(p, oy, ox, at.zp_row, x);
    x[taps] = at.zp_row;
    const size_t pairs = (taps + 1) / 2;
    const GemmRequant r{p.a.output_zero_point, p.a.output_min, p.a.output_max};
    int8_t* out = p.output_at(oy, ox);
    size_t c0 = 0;
    for (; c0 + 32 <= channels; c0 += 32) {  // two blocks per pass: half the tap-loop overhead
      __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
      __m256i b0 = _mm256_setzero_si256(), b1 = _mm256_setzero_si256();
      const int16_t* w = at.pairs + (c0 / 16) * 32;
      for (size_t j = 0; j < pairs; ++j, w += at.blocks * 32) {
        pair_accumulate(x[2 * j] + c0, x[2 * j + 1] + c0, w, a0, a1);
        pair_accumulate(x[2 * j] + c0 + 16, x[2 * j + 1] + c0 + 16, w + 32, b0, b1);
      }
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c0),
                       requantize16(a0, a1, at.bias + c0, p.q.multiplier + c0, r));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c0 + 16),
                       requantize16(b0, b1, at.bias + c0 + 16, p.q.multiplier + c0 + 16, r));
    }
    for (; c0 + 16 <= channels; c0 += 16) {
      __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
      const int16_t* w = at.pairs + (c0 / 16) * 32;
      for (size_t j = 0; j < pairs; ++j, w += at.blocks * 32)
        pair_accumulate(x[2 * j] + c0, x[2 * j + 1] + c0, w, a0, a1);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c0),
                       requantize16(a0, a1, at.bias + c0, p.q.multiplier + c0, r));
    }
    if (c0 == channels) return;
    // The tail: inputs copied into padded rows (the weights past the last channel are zero).
    const size_t n = channels - c0;
    alignas(32) int8_t x0[16] = {}, x1[16] = {};
    alignas(32) float mult[16] = {};
    std::memcpy(mult, p.q.multiplier + c0, n * sizeof(float));
    __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
    const int16_t* w = at.pairs + (c0 / 16) * 32;
    for (size_t j = 0; j < pairs; ++j, w += at.blocks * 32) {
      std::memcpy(x0, x[2 * j] + c0, n);
      std::memcpy(x1, x[2 * j + 1] + c0, n);
      pair_accumulate(x0, x1, w, a0, a1);
    }
    alignas(16) int8_t y[16];
    _mm_store_si128(reinterpret_cast<__m128i*>(y), requantize16(a0, a1, at.bias + c0, mult, r));
    std::memcpy(out + c0, y, n);
  }
};

}  // namespace

void nest_qs8_dwconv2d_c16__avx2(const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                                 const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output,
                                 void* scratch, pthreadpool_t pool) {
  dwconv::run(g, a, input, planes, mode, q, output, scratch, pool, PixelAvx2{}, prepare);
}

}  // namespace nestrt::kernels

#include "nestrt/kernels/dwconv.h"

#include <algorithm>
#include <cstdint>

#include "../parallel_for.h"
#include "../requantize_block.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {
namespace {

// Channels accumulated per pass: 4 KiB of int32 on the stack, resident in L1. The loops run over
// a run-time channel count on purpose: a fixed 16-wide block was fully unrolled by GCC before its
// vectoriser ran and stayed scalar (0.5 GMAC/s on MobileNetV2), while these loops vectorise.
constexpr size_t kChunk = 1024;
constexpr size_t kAlign = 64;

struct Problem {
  const ConvGeometry& g;
  const ActivationParams& a;
  const int8_t* input;
  const int16_t* weights;  // [tap][channel]
  const ChannelQuant& q;
  int8_t* output;
};

void accumulate(const int8_t* __restrict x, const int16_t* __restrict w, int16_t zp, size_t n,
                int32_t* __restrict acc) {
  for (size_t j = 0; j < n; ++j) acc[j] += int32_t(int16_t(x[j] - zp)) * int32_t(w[j]);
}

void requantize_row(const int32_t* __restrict acc, const float* __restrict multiplier, const ActivationParams& a,
                    size_t n, int8_t* __restrict out) {
  alignas(kAlign) float scaled[kChunk];
  for (size_t j = 0; j < n; ++j) scaled[j] = static_cast<float>(acc[j]) * multiplier[j];
  requantize_floats(scaled, n, a.output_zero_point, a.output_min, a.output_max, out);
}

// Channels [c0, c0 + n) of one output pixel, n <= kChunk.
void pixel_chunk(const Problem& p, int oy, int ox, size_t c0, size_t n) {
  const ConvGeometry& g = p.g;
  const size_t channels = size_t(g.in_c);
  alignas(kAlign) int32_t acc[kChunk];
  std::copy_n(p.q.bias + c0, n, acc);
  const auto zp = static_cast<int16_t>(p.a.input_zero_point);
  for (int ky = 0; ky < g.kernel_h; ++ky) {
    const int iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
    if (iy < 0 || iy >= g.in_h) continue;  // padding is real zero: contributes nothing
    for (int kx = 0; kx < g.kernel_w; ++kx) {
      const int ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
      if (ix < 0 || ix >= g.in_w) continue;
      const int8_t* x = p.input + (size_t(iy) * size_t(g.in_w) + size_t(ix)) * channels + c0;
      accumulate(x, p.weights + size_t(ky * g.kernel_w + kx) * channels + c0, zp, n, acc);
    }
  }
  requantize_row(acc, p.q.multiplier + c0, p.a, n,
                 p.output + (size_t(oy) * size_t(g.out_w) + size_t(ox)) * channels + c0);
}

void output_row(const Problem& p, int oy) {
  const size_t channels = size_t(p.g.in_c);
  for (int ox = 0; ox < p.g.out_w; ++ox) {
    for (size_t c0 = 0; c0 < channels; c0 += kChunk) pixel_chunk(p, oy, ox, c0, std::min(kChunk, channels - c0));
  }
}

size_t aligned(size_t bytes) {
  return (bytes + kAlign - 1) / kAlign * kAlign;
}

}  // namespace

bool dwconv_supports(const ConvGeometry& g, const ChannelQuant& q) {
  if (g.groups != g.in_c || g.out_c != g.in_c || g.batch != 1) return false;
  if (q.weight_zero_point) {
    for (int c = 0; c < g.out_c; ++c) {
      if (q.weight_zero_point[c] != 0) return false;
    }
  }
  return true;
}

size_t qs8_dwconv2d_nested_scratch_bytes(const ConvGeometry& g) {
  const size_t taps = size_t(g.kernel_h) * size_t(g.kernel_w), channels = size_t(g.out_c);
  return aligned(taps * channels) + aligned(taps * channels * sizeof(int16_t)) + kAlign;
}

void nest_qs8_dwconv2d_c16__portable(const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                                     const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output,
                                     void* scratch, pthreadpool_t pool) {
  const size_t taps = size_t(g.kernel_h) * size_t(g.kernel_w), channels = size_t(g.out_c);
  auto base = reinterpret_cast<uintptr_t>(scratch);
  base = (base + kAlign - 1) / kAlign * kAlign;
  auto* decoded = reinterpret_cast<int8_t*>(base);  // OHWI: [channel][tap]
  auto* weights = reinterpret_cast<int16_t*>(base + aligned(taps * channels));
  nest_qs8_decode__ref(planes, mode, decoded);
  for (size_t c = 0; c < channels; ++c) {
    for (size_t t = 0; t < taps; ++t) weights[t * channels + c] = decoded[c * taps + t];
  }
  const Problem p{g, a, input, weights, q, output};
  parallel_for(pool, size_t(g.out_h), [&](size_t oy) { output_row(p, int(oy)); });
}

}  // namespace nestrt::kernels

#include "nestrt/kernels/dwconv.h"

#include <algorithm>
#include <cstdint>

#include "../parallel_for.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {
namespace {

constexpr size_t kBlock = 16;  // channels accumulated together: 64 bytes of int32, a few registers
constexpr size_t kAlign = 64;

struct Problem {
  const ConvGeometry& g;
  const ActivationParams& a;
  const int8_t* input;
  const int16_t* weights;  // [tap][channel]
  const ChannelQuant& q;
  int8_t* output;
};

// Channels [c0, c0 + n) of one output pixel; N is kBlock for whole blocks (fixed trip counts) or
// 0 for the tail, whose count is n.
template <size_t N>
void pixel_block(const Problem& p, int oy, int ox, size_t c0, size_t n) {
  const ConvGeometry& g = p.g;
  const size_t count = N ? N : n, channels = size_t(g.in_c);
  int32_t acc[kBlock];
  for (size_t j = 0; j < count; ++j) acc[j] = p.q.bias[c0 + j];
  const auto zp = static_cast<int16_t>(p.a.input_zero_point);
  for (int ky = 0; ky < g.kernel_h; ++ky) {
    const int iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
    if (iy < 0 || iy >= g.in_h) continue;  // padding is real zero: contributes nothing
    for (int kx = 0; kx < g.kernel_w; ++kx) {
      const int ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
      if (ix < 0 || ix >= g.in_w) continue;
      const int8_t* x = p.input + (size_t(iy) * size_t(g.in_w) + size_t(ix)) * channels + c0;
      const int16_t* w = p.weights + size_t(ky * g.kernel_w + kx) * channels + c0;
      for (size_t j = 0; j < count; ++j) acc[j] += int32_t(int16_t(x[j] - zp)) * int32_t(w[j]);
    }
  }
  int8_t* out = p.output + (size_t(oy) * size_t(g.out_w) + size_t(ox)) * channels + c0;
  for (size_t j = 0; j < count; ++j) {
    out[j] = requantize_float_vectorisable(static_cast<float>(acc[j]) * p.q.multiplier[c0 + j], p.a.output_zero_point,
                                           p.a.output_min, p.a.output_max);
  }
}

void output_row(const Problem& p, int oy) {
  const size_t channels = size_t(p.g.in_c), whole = channels / kBlock * kBlock;
  for (int ox = 0; ox < p.g.out_w; ++ox) {
    for (size_t c0 = 0; c0 < whole; c0 += kBlock) pixel_block<kBlock>(p, oy, ox, c0, kBlock);
    if (whole < channels) pixel_block<0>(p, oy, ox, whole, channels - whole);
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

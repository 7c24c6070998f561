// What every depthwise kernel shares (internal): the problem, the weights decoded once per run and
// transposed to [tap][channel] int16 so each tap's weights are contiguous over channels, and the
// split of output rows among threads. Each ISA's translation unit supplies the per-pixel work.
// Everything here has internal linkage: the ISA units are compiled with their own flags, and a
// shared inline copy built with -mavx2 must never be the one baseline code links to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "../parallel_for.h"
#include "nestrt/kernels/dwconv.h"

namespace nestrt::kernels::dwconv {
namespace {

inline constexpr size_t kAlign = 64;

struct Problem {
  const ConvGeometry& g;
  const ActivationParams& a;
  const int8_t* input;
  const int16_t* weights;  // [tap][channel]
  const ChannelQuant& q;
  int8_t* output;
  uint8_t* extra;  // extra_bytes(g) bytes (64-byte aligned) a kernel may fill once per run (prepare)

  // Input pixel (iy, ix), or null when it lies in the padding (real zero: contributes nothing).
  const int8_t* input_at(int iy, int ix) const {
    if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) return nullptr;
    return input + (size_t(iy) * size_t(g.in_w) + size_t(ix)) * size_t(g.in_c);
  }
  int8_t* output_at(int oy, int ox) const {
    return output + (size_t(oy) * size_t(g.out_w) + size_t(ox)) * size_t(g.out_c);
  }
};

// The kernel taps [first, last) whose input lies inside [0, extent) along one axis, for an output
// position whose first tap reads `origin` (= out * stride - pad). Taps outside read padding.
struct TapRange {
  int first, last;
};
inline TapRange tap_range(int origin, int extent, int kernel, int dilation) {
  int first = 0, last = kernel;
  while (first < kernel && origin + first * dilation < 0) ++first;
  while (last > first && origin + (last - 1) * dilation >= extent) --last;
  return {first, last};
}

// The taps of one output pixel that read inside the input: their input pixels and weight rows
// (channel 0), gathered once so the channel loop runs without bounds checks.
struct PixelTaps {
  static constexpr size_t kMax = 64;  // dwconv_supports() admits kernels of at most 64 taps
  const int8_t* input[kMax];
  const int16_t* weights[kMax];
  size_t count = 0;

  PixelTaps(const Problem& p, int oy, int ox) {
    const ConvGeometry& g = p.g;
    const int iy0 = oy * g.stride_h - g.pad_top, ix0 = ox * g.stride_w - g.pad_left;
    const TapRange ys = tap_range(iy0, g.in_h, g.kernel_h, g.dilation_h);
    const TapRange xs = tap_range(ix0, g.in_w, g.kernel_w, g.dilation_w);
    for (int ky = ys.first; ky < ys.last; ++ky) {
      for (int kx = xs.first; kx < xs.last; ++kx, ++count) {
        input[count] = p.input_at(iy0 + ky * g.dilation_h, ix0 + kx * g.dilation_w);
        weights[count] = p.weights + size_t(ky * g.kernel_w + kx) * size_t(g.out_c);
      }
    }
  }
};

inline size_t aligned(size_t bytes) {
  return (bytes + kAlign - 1) / kAlign * kAlign;
}

// Channels rounded up to a whole number of the widest kernel's blocks (32, AVX512).
inline size_t padded_channels(size_t n) {
  return (n + 31) / 32 * 32;
}

// Per-run data a kernel may derive from the weights (the x86 kernels' tap-pair layout, adjusted
// biases and a row of input zero points); reserved for every variant, so one scratch size fits all.
inline size_t extra_bytes(const ConvGeometry& g) {
  const size_t pairs = (size_t(g.kernel_h) * size_t(g.kernel_w) + 1) / 2, cp = padded_channels(size_t(g.out_c));
  return aligned(pairs * cp * 2 * sizeof(int16_t)) + aligned(cp * sizeof(int32_t)) + aligned(cp + 64);
}

inline size_t scratch_bytes(const ConvGeometry& g) {
  const size_t taps = size_t(g.kernel_h) * size_t(g.kernel_w), channels = size_t(g.out_c);
  return aligned(taps * channels) + aligned(taps * channels * sizeof(int16_t)) + extra_bytes(g) + kAlign;
}

// Every tap's input pixel for output pixel (oy, ox), in tap order, with `padding` (a row of input
// zero points) for taps outside the input; returns the tap count. Windows wholly inside the input,
// most of them, take the branch-free path.
inline size_t tap_pointers(const Problem& p, int oy, int ox, const int8_t* padding, const int8_t** x) {
  const ConvGeometry& g = p.g;
  const int iy0 = oy * g.stride_h - g.pad_top, ix0 = ox * g.stride_w - g.pad_left;
  const size_t channels = size_t(g.in_c);
  size_t t = 0;
  if (iy0 >= 0 && ix0 >= 0 && iy0 + (g.kernel_h - 1) * g.dilation_h < g.in_h &&
      ix0 + (g.kernel_w - 1) * g.dilation_w < g.in_w) {
    const size_t row_step = size_t(g.dilation_h) * size_t(g.in_w) * channels,
                 col_step = size_t(g.dilation_w) * channels;
    const int8_t* row = p.input + (size_t(iy0) * size_t(g.in_w) + size_t(ix0)) * channels;
    for (int ky = 0; ky < g.kernel_h; ++ky, row += row_step) {
      for (int kx = 0; kx < g.kernel_w; ++kx) x[t++] = row + size_t(kx) * col_step;
    }
    return t;
  }
  for (int ky = 0; ky < g.kernel_h; ++ky) {
    for (int kx = 0; kx < g.kernel_w; ++kx) {
      const int8_t* in = p.input_at(iy0 + ky * g.dilation_h, ix0 + kx * g.dilation_w);
      x[t++] = in ? in : padding;
    }
  }
  return t;
}

// The x86 kernels' per-run data in Problem::extra: tap pairs of weights in the order their
// VPUNPCK interleaving needs, the bias with the input zero point folded in, and a row of zero
// points for padding taps (which the fold cancels exactly).
struct PairedWeights {
  int16_t* pairs;  // [pair][block of `block` channels][lo | hi]: filled by the kernel
  int32_t* bias;   // bias - zp * sum of the channel's weights; 0 past the last channel
  int8_t* zp_row;  // the input zero point, once per channel of the padded blocks (+ one block)
  size_t blocks;   // channel blocks of `block`
};

inline PairedWeights paired_weights(const Problem& p, size_t block) {
  const ConvGeometry& g = p.g;
  const size_t pairs = (size_t(g.kernel_h) * size_t(g.kernel_w) + 1) / 2, cp = padded_channels(size_t(g.out_c));
  const size_t pair_bytes = aligned(pairs * cp * 2 * sizeof(int16_t));
  return {reinterpret_cast<int16_t*>(p.extra), reinterpret_cast<int32_t*>(p.extra + pair_bytes),
          reinterpret_cast<int8_t*>(p.extra + pair_bytes + aligned(cp * sizeof(int32_t))),
          (size_t(g.out_c) + block - 1) / block};
}

// Fills the folded biases and the zero-point row (wrapping int32 sums, as the kernels' lanes).
inline void fold_zero_point(const Problem& p, const PairedWeights& at, size_t block) {
  const size_t taps = size_t(p.g.kernel_h) * size_t(p.g.kernel_w), channels = size_t(p.g.out_c);
  const auto zp = uint32_t(p.a.input_zero_point);
  for (size_t c = 0; c < block * at.blocks; ++c) {
    uint32_t sum = 0;
    for (size_t t = 0; c < channels && t < taps; ++t) sum += uint32_t(int32_t(p.weights[t * channels + c]));
    at.bias[c] = c < channels ? int32_t(uint32_t(p.q.bias[c]) - zp * sum) : 0;
  }
  std::memset(at.zp_row, int8_t(p.a.input_zero_point), block * at.blocks + block);
}

// Decodes and transposes the weights into scratch, lets the kernel prepare its per-run data
// (ctx = prepare(problem)), then calls pixel(problem, ctx, oy, ox) for every output pixel, rows of
// pixels shared among the pool's threads.
template <typename PixelFn, typename PrepareFn>
void run(const ConvGeometry& g, const ActivationParams& a, const int8_t* input, const NestedPlanes& planes,
         NestMode mode, const ChannelQuant& q, int8_t* output, void* scratch, pthreadpool_t pool, PixelFn pixel,
         PrepareFn prepare) {
  const size_t taps = size_t(g.kernel_h) * size_t(g.kernel_w), channels = size_t(g.out_c);
  auto base = reinterpret_cast<uintptr_t>(scratch);
  base = (base + kAlign - 1) / kAlign * kAlign;
  auto* decoded = reinterpret_cast<int8_t*>(base);  // OHWI: [channel][tap]
  auto* weights = reinterpret_cast<int16_t*>(base + aligned(taps * channels));
  auto* extra = reinterpret_cast<uint8_t*>(base + aligned(taps * channels) + aligned(taps * channels * 2));
  nest_qs8_decode__ref(planes, mode, decoded);
  for (size_t c = 0; c < channels; ++c) {
    for (size_t t = 0; t < taps; ++t) weights[t * channels + c] = decoded[c * taps + t];
  }
  const Problem p{g, a, input, weights, q, output, extra};
  const auto ctx = prepare(p);
  parallel_for(pool, size_t(g.out_h), [&](size_t oy) {
    for (int ox = 0; ox < g.out_w; ++ox) pixel(p, ctx, int(oy), ox);
  });
}

template <typename PixelFn>
void run(const ConvGeometry& g, const ActivationParams& a, const int8_t* input, const NestedPlanes& planes,
         NestMode mode, const ChannelQuant& q, int8_t* output, void* scratch, pthreadpool_t pool, PixelFn pixel) {
  run(
      g, a, input, planes, mode, q, output, scratch, pool,
      [&](const Problem& p, int, int oy, int ox) { pixel(p, oy, ox); }, [](const Problem&) { return 0; });
}

}  // namespace
}  // namespace nestrt::kernels::dwconv

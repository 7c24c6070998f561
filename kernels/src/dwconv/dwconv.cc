// The portable depthwise kernel (every architecture's baseline) and the per-variant dispatch.
#include "nestrt/kernels/dwconv.h"

#include <algorithm>
#include <cstdint>

#include "../requantize_block.h"
#include "../ukernels.h"
#include "dwconv_driver.h"

namespace nestrt::kernels {
namespace {

using dwconv::Problem;

// Channels accumulated per pass: 4 KiB of int32 on the stack, resident in L1. The loops run over
// a run-time channel count on purpose: a fixed 16-wide block was fully unrolled by GCC before its
// vectoriser ran and stayed scalar (0.5 GMAC/s on MobileNetV2), while these loops vectorise.
constexpr size_t kChunk = 1024;

void accumulate(const int8_t* __restrict x, const int16_t* __restrict w, int16_t zp, size_t n,
                int32_t* __restrict acc) {
  for (size_t j = 0; j < n; ++j) acc[j] += int32_t(int16_t(x[j] - zp)) * int32_t(w[j]);
}

// Channels [c0, c0 + n) of one output pixel, n <= kChunk.
void pixel_chunk(const Problem& p, int oy, int ox, size_t c0, size_t n) {
  const ConvGeometry& g = p.g;
  const size_t channels = size_t(g.in_c);
  alignas(dwconv::kAlign) int32_t acc[kChunk];
  std::copy_n(p.q.bias + c0, n, acc);
  const auto zp = static_cast<int16_t>(p.a.input_zero_point);
  for (int ky = 0; ky < g.kernel_h; ++ky) {
    for (int kx = 0; kx < g.kernel_w; ++kx) {
      const int8_t* x =
          p.input_at(oy * g.stride_h - g.pad_top + ky * g.dilation_h, ox * g.stride_w - g.pad_left + kx * g.dilation_w);
      if (x != nullptr) accumulate(x + c0, p.weights + size_t(ky * g.kernel_w + kx) * channels + c0, zp, n, acc);
    }
  }
  alignas(dwconv::kAlign) float scaled[kChunk];
  for (size_t j = 0; j < n; ++j) scaled[j] = static_cast<float>(acc[j]) * p.q.multiplier[c0 + j];
  requantize_floats(scaled, n, p.a.output_zero_point, p.a.output_min, p.a.output_max, p.output_at(oy, ox) + c0);
}

void pixel_portable(const Problem& p, int oy, int ox) {
  const size_t channels = size_t(p.g.in_c);
  for (size_t c0 = 0; c0 < channels; c0 += kChunk) pixel_chunk(p, oy, ox, c0, std::min(kChunk, channels - c0));
}

}  // namespace

bool dwconv_supports(const ConvGeometry& g, const ChannelQuant& q) {
  if (g.groups != g.in_c || g.out_c != g.in_c || g.batch != 1) return false;
  if (size_t(g.kernel_h) * size_t(g.kernel_w) > dwconv::PixelTaps::kMax) return false;
  if (q.weight_zero_point) {
    for (int c = 0; c < g.out_c; ++c) {
      if (q.weight_zero_point[c] != 0) return false;
    }
  }
  return true;
}

size_t qs8_dwconv2d_nested_scratch_bytes(const ConvGeometry& g) {
  return dwconv::scratch_bytes(g);
}

void nest_qs8_dwconv2d_c16__portable(const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                                     const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output,
                                     void* scratch, pthreadpool_t pool) {
  dwconv::run(g, a, input, planes, mode, q, output, scratch, pool, pixel_portable);
}

void qs8_dwconv2d_nested(Variant v, const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                         const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output,
                         void* scratch, pthreadpool_t pool) {
  switch (v) {
    case Variant::kRef: {
      auto* w = static_cast<int8_t*>(scratch);
      nest_qs8_decode__ref(planes, mode, w);
      return qs8_dwconv2d__ref(g, a, input, w, q, output);
    }
#if defined(NESTRT_KERNELS_X86)
    case Variant::kAvx2: return nest_qs8_dwconv2d_c16__avx2(g, a, input, planes, mode, q, output, scratch, pool);
    case Variant::kAvx512Vnni:
      return nest_qs8_dwconv2d_c32__avx512vnni(g, a, input, planes, mode, q, output, scratch, pool);
#endif
#if defined(NESTRT_KERNELS_ARM64)
    case Variant::kNeon:
    case Variant::kNeonDot:
    case Variant::kI8mm: return nest_qs8_dwconv2d_c16__neon(g, a, input, planes, mode, q, output, scratch, pool);
#endif
    default: return nest_qs8_dwconv2d_c16__portable(g, a, input, planes, mode, q, output, scratch, pool);
  }
}

}  // namespace nestrt::kernels

// The fast qs8 depthwise convolution path (channel multiplier 1, NHWC; MobileNet-style layers).
// The layer's planes are decoded once per run and transposed to [tap][channel] int16, so the
// innermost loop runs over up to 1024 contiguous channels: plain C++ that compilers vectorise on
// every target (SSE2, NEON), with int32 accumulation, then the shared requantisation rule with
// each architecture's baseline SIMD (requantize_block.h). Bit-exact with qs8_dwconv2d__ref.
#pragma once

#include <cstddef>

#include "nestrt/kernels/dispatch.h"
#include "nestrt/kernels/reference.h"

// pthreadpool's handle (pthreadpool.h), declared here so users need not see that header.
typedef struct pthreadpool* pthreadpool_t;

namespace nestrt::kernels {

// True when the fast path computes this problem: groups == in_c == out_c (multiplier 1), at most
// 64 taps (8x8) and all weight zero points zero.
bool dwconv_supports(const ConvGeometry& g, const ChannelQuant& q);

// Scratch bytes nest_qs8_dwconv2d_c16__portable needs.
size_t qs8_dwconv2d_nested_scratch_bytes(const ConvGeometry& g);

// Depthwise convolution from nested planes in one mode; callers check dwconv_supports(). pool:
// null runs on the calling thread; rows of output pixels are split among the pool's threads. The
// output bits do not depend on the thread count.
void nest_qs8_dwconv2d_c16__portable(const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                                     const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output,
                                     void* scratch, pthreadpool_t pool = nullptr);

// The same on variant v's kernel, bit-identical on every one: avx2 runs the AVX2 kernel (16 or 32
// channels per step in registers), avx512vnni the AVX512-VNNI kernel (32), neon, neondot and i8mm
// the NEON kernel, ref the reference (decoding into scratch). Callers check dwconv_supports() except for ref.
void qs8_dwconv2d_nested(Variant v, const ConvGeometry& g, const ActivationParams& a, const int8_t* input,
                         const NestedPlanes& planes, NestMode mode, const ChannelQuant& q, int8_t* output,
                         void* scratch, pthreadpool_t pool = nullptr);

}  // namespace nestrt::kernels

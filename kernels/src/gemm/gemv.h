// The GEMV schedule of the qs8 GEMM path (internal): layers whose every weight is used by at most
// kGemvMaxRows output pixels (fully connected at batch 1..4) gain nothing from decoding panels,
// so their weights are unpacked row by row into L1 and dotted with the input directly.
#pragma once

#include <cstddef>

#include "nestrt/kernels/gemm.h"

namespace nestrt::kernels {

inline constexpr size_t kGemvMaxRows = 4;

// True when each output pixel reads one contiguous input row of K = in_c values (1x1 kernel,
// stride 1, no padding, one group) and there are at most kGemvMaxRows output pixels.
bool gemv_applies(const ConvGeometry& g);

// Scratch bytes run_gemv needs on up to `threads` threads.
size_t gemv_scratch_bytes(const ConvGeometry& g, size_t threads);

// Same output bits as the reference: acc = bias + sum_k w * (x - zp_in) in int32, then
// requantize(). Weight zero points must be zero (gemm_supports).
void run_gemv(const ConvGeometry& g, const ActivationParams& a, const int8_t* input, const NestedPlanes& planes,
              NestMode mode, const ChannelQuant& q, int8_t* output, void* scratch, pthreadpool_t pool);

}  // namespace nestrt::kernels

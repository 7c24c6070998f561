// Fast int8 pooling (NHWC): the window's taps in the outer loops and contiguous channels in the
// inner one, plain C++ that compilers vectorise on every target. Bit-exact with the reference
// kernels (same sums, same float operations, the rounding rule with SSE2/NEON).
#pragma once

#include <cstdint>

#include "nestrt/kernels/reference.h"

// pthreadpool's handle (pthreadpool.h), declared here so users need not see that header.
typedef struct pthreadpool* pthreadpool_t;

namespace nestrt::kernels {

// pool: null runs on the calling thread; rows of output pixels are shared among the pool's threads
// (the output does not depend on the thread count).
void qs8_maxpool2d__portable(const PoolGeometry& g, int32_t output_min, int32_t output_max, const int8_t* input,
                             int8_t* output, pthreadpool_t pool = nullptr);
void qs8_avgpool2d__portable(const PoolGeometry& g, const ActivationParams& a, float multiplier, const int8_t* input,
                             int8_t* output, pthreadpool_t pool = nullptr);

}  // namespace nestrt::kernels

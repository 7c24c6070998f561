// Fast int8 pooling (NHWC): the window's taps in the outer loops and contiguous channels in the
// inner one, plain C++ that compilers vectorise on every target. Bit-exact with the reference
// kernels (same sums, same float operations, the vectorisable form of the rounding rule).
#pragma once

#include <cstdint>

#include "nestrt/kernels/reference.h"

namespace nestrt::kernels {

void qs8_maxpool2d__portable(const PoolGeometry& g, int32_t output_min, int32_t output_max, const int8_t* input,
                             int8_t* output);
void qs8_avgpool2d__portable(const PoolGeometry& g, const ActivationParams& a, float multiplier, const int8_t* input,
                             int8_t* output);

}  // namespace nestrt::kernels

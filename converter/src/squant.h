// SQuant-style adaptive rounding of the high part (method squant, after Guo et al., "SQuant:
// On-the-fly data-free quantization via diagonal Hessian approximation", ICLR 2022), data-free.
#pragma once

#include <cstdint>
#include <span>

#include "nestrt/converter/nest.h"

namespace nestrt::converter {

// Starting from round-to-nearest highs, flips the rounding direction of single weights so that,
// with residuals r = q - high * 2^l, |sum r| <= 2^l / 2 first over each kernel (the KH*KW weights
// of one output/input channel pair) and then over each output channel. Each flip picks the weight
// with the largest residual of the sum's sign (lowest index on ties, never leaving the h-bit
// range), so the result is deterministic. Residuals stay in [-2^l, 2^l): l + 1 bits.
void squant_flip(std::span<const int8_t> q, std::span<const int32_t> ohwi_shape, const NestConfig& config,
                 std::span<int8_t> high);

}  // namespace nestrt::converter

// Fast elementwise int8 operators: plain C++ that compilers vectorise on every target, then the
// shared requantisation rule with the baseline SIMD of each architecture. Bit-exact with the
// reference kernels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nestrt/kernels/reference.h"

namespace nestrt::kernels {

// y = clamp(round_half_even(float(a - za) * ma + float(b - zb) * mb) + zo): qs8_add__ref's rule.
void qs8_add__portable(size_t count, const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output);

}  // namespace nestrt::kernels

#include "nestrt/kernels/elementwise.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {

void qs8_add__portable(size_t count, const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  // The reference's float operations in the reference's order (-ffp-contract=off: no FMA).
  for (size_t i = 0; i < count; ++i) {
    const float sa = static_cast<float>(int32_t{a[i]} - p.a_zero_point) * p.a_multiplier;
    const float sb = static_cast<float>(int32_t{b[i]} - p.b_zero_point) * p.b_multiplier;
    output[i] = requantize_float_vectorisable(sa + sb, p.output_zero_point, p.output_min, p.output_max);
  }
}

}  // namespace nestrt::kernels

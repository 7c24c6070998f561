#include <algorithm>

#include "nestrt/kernels/reference.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {

// In place (output == input) is fine: y_i is written after everything it depends on was read.
void qs8_softmax__ref(size_t rows, size_t channels, const SoftmaxParams& p, const int8_t* input, int8_t* output) {
  for (size_t r = 0; r < rows; ++r) {
    const int8_t* x = input + r * channels;
    int8_t* y = output + r * channels;
    int32_t m = -128;
    for (size_t i = 0; i < channels; ++i) m = std::max(m, int32_t{x[i]});
    float s = 0.f;  // in index order: no reassociation (no -ffast-math), so every build sums alike
    for (size_t i = 0; i < channels; ++i) s += p.exp_table[m - x[i]];
    const float recip = 1.f / (s * p.output_scale);
    for (size_t i = 0; i < channels; ++i) {
      y[i] = requantize_float(p.exp_table[m - x[i]] * recip, p.output_zero_point, p.output_min, p.output_max);
    }
  }
}

}  // namespace nestrt::kernels

#include "nestrt/kernels/reference.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {

// float(x - z_in) * multiplier then requantize_float: Add's and Mul's rounding rule.
void qs8_concat__ref(size_t rows, size_t channels, size_t output_channels, size_t channel_offset, const ConcatParams& p,
                     const int8_t* input, int8_t* output) {
  for (size_t r = 0; r < rows; ++r) {
    const int8_t* x = input + r * channels;
    int8_t* y = output + r * output_channels + channel_offset;
    for (size_t c = 0; c < channels; ++c) {
      const float scaled = static_cast<float>(int32_t{x[c]} - p.input_zero_point) * p.multiplier;
      y[c] = requantize_float(scaled, p.output_zero_point, p.output_min, p.output_max);
    }
  }
}

}  // namespace nestrt::kernels

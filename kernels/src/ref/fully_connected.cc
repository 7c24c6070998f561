#include "nestrt/kernels/reference.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {

void qs8_fully_connected__ref(int batch, int in_features, int out_features, const ActivationParams& a,
                              const int8_t* input, const int8_t* weights, const ChannelQuant& q, int8_t* output) {
  for (int n = 0; n < batch; ++n) {
    const int8_t* in = input + static_cast<size_t>(n) * in_features;
    for (int o = 0; o < out_features; ++o) {
      const int8_t* w = weights + static_cast<size_t>(o) * in_features;
      const int32_t wzp = q.weight_zero_point ? q.weight_zero_point[o] : 0;
      int32_t acc = q.bias[o];
      for (int i = 0; i < in_features; ++i) acc += (int32_t{in[i]} - a.input_zero_point) * (int32_t{w[i]} - wzp);
      output[static_cast<size_t>(n) * out_features + o] =
          requantize(acc, q.multiplier[o], a.output_zero_point, a.output_min, a.output_max);
    }
  }
}

}  // namespace nestrt::kernels

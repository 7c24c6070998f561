#include <algorithm>
#include <cstdint>
#include <limits>

#include "nestrt/kernels/reference.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {

int conv_output_size(int in, int kernel, int stride, int dilation, int pad_before, int pad_after) {
  // 64-bit: a model file may carry any int32 kernel, dilation and pads; the planner then rejects the shape.
  const int64_t effective = (int64_t{kernel} - 1) * dilation + 1;
  const int64_t span = int64_t{in} + pad_before + pad_after - effective;
  if (span < 0) return 0;
  return static_cast<int>(std::min<int64_t>(span / stride + 1, std::numeric_limits<int>::max()));
}

void qs8_conv2d__ref(const ConvGeometry& g, const ActivationParams& a, const int8_t* input, const int8_t* weights,
                     const ChannelQuant& q, int8_t* output) {
  const int in_per_group = g.in_c / g.groups;
  const int out_per_group = g.out_c / g.groups;
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox) {
        int8_t* out = output + ((static_cast<size_t>(n) * g.out_h + oy) * g.out_w + ox) * g.out_c;
        for (int oc = 0; oc < g.out_c; ++oc) {
          const int group = oc / out_per_group;
          const int32_t wzp = q.weight_zero_point ? q.weight_zero_point[oc] : 0;
          int32_t acc = q.bias[oc];
          for (int ky = 0; ky < g.kernel_h; ++ky) {
            const int iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
            if (iy < 0 || iy >= g.in_h) continue;  // padding is real zero: contributes nothing
            for (int kx = 0; kx < g.kernel_w; ++kx) {
              const int ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
              if (ix < 0 || ix >= g.in_w) continue;
              const int8_t* in = input + ((static_cast<size_t>(n) * g.in_h + iy) * g.in_w + ix) * g.in_c +
                                 static_cast<size_t>(group) * in_per_group;
              const int8_t* w =
                  weights + ((static_cast<size_t>(oc) * g.kernel_h + ky) * g.kernel_w + kx) * in_per_group;
              for (int ic = 0; ic < in_per_group; ++ic) {
                acc += (int32_t{in[ic]} - a.input_zero_point) * (int32_t{w[ic]} - wzp);
              }
            }
          }
          out[oc] = requantize(acc, q.multiplier[oc], a.output_zero_point, a.output_min, a.output_max);
        }
      }
    }
  }
}

void qs8_dwconv2d__ref(const ConvGeometry& g, const ActivationParams& a, const int8_t* input, const int8_t* weights,
                       const ChannelQuant& q, int8_t* output) {
  const int multiplier = g.out_c / g.in_c;
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox) {
        int8_t* out = output + ((static_cast<size_t>(n) * g.out_h + oy) * g.out_w + ox) * g.out_c;
        for (int oc = 0; oc < g.out_c; ++oc) {
          const int ic = oc / multiplier;
          const int32_t wzp = q.weight_zero_point ? q.weight_zero_point[oc] : 0;
          int32_t acc = q.bias[oc];
          for (int ky = 0; ky < g.kernel_h; ++ky) {
            const int iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
            if (iy < 0 || iy >= g.in_h) continue;
            for (int kx = 0; kx < g.kernel_w; ++kx) {
              const int ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
              if (ix < 0 || ix >= g.in_w) continue;
              const int32_t x = input[((static_cast<size_t>(n) * g.in_h + iy) * g.in_w + ix) * g.in_c + ic];
              const int32_t w = weights[(static_cast<size_t>(oc) * g.kernel_h + ky) * g.kernel_w + kx];
              acc += (x - a.input_zero_point) * (w - wzp);
            }
          }
          out[oc] = requantize(acc, q.multiplier[oc], a.output_zero_point, a.output_min, a.output_max);
        }
      }
    }
  }
}

}  // namespace nestrt::kernels

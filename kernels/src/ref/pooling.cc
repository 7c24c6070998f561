#include <algorithm>

#include "../pool_window.h"
#include "nestrt/kernels/reference.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {
namespace {

const int8_t* pixel(const PoolGeometry& g, const int8_t* input, int n, int y, int x) {
  return input + ((static_cast<size_t>(n) * g.in_h + y) * g.in_w + x) * g.channels;
}

}  // namespace

void qs8_maxpool2d__ref(const PoolGeometry& g, int32_t output_min, int32_t output_max, const int8_t* input,
                        int8_t* output) {
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox) {
        const PoolWindow w = clipped_window(g, oy, ox);
        int8_t* out = output + ((static_cast<size_t>(n) * g.out_h + oy) * g.out_w + ox) * g.channels;
        for (int c = 0; c < g.channels; ++c) {
          int32_t best = -128;
          for (int y = w.y0; y < w.y1; ++y) {
            for (int x = w.x0; x < w.x1; ++x) best = std::max(best, int32_t{pixel(g, input, n, y, x)[c]});
          }
          out[c] = static_cast<int8_t>(std::min(std::max(best, output_min), output_max));
        }
      }
    }
  }
}

void qs8_avgpool2d__ref(const PoolGeometry& g, const ActivationParams& a, float multiplier, const int8_t* input,
                        int8_t* output) {
  for (int n = 0; n < g.batch; ++n) {
    for (int oy = 0; oy < g.out_h; ++oy) {
      for (int ox = 0; ox < g.out_w; ++ox) {
        const PoolWindow w = clipped_window(g, oy, ox);
        const int count = g.count_include_pad ? g.kernel_h * g.kernel_w : (w.y1 - w.y0) * (w.x1 - w.x0);
        const float scale = count > 0 ? multiplier / static_cast<float>(count) : 0.f;
        int8_t* out = output + ((static_cast<size_t>(n) * g.out_h + oy) * g.out_w + ox) * g.channels;
        for (int c = 0; c < g.channels; ++c) {
          int32_t sum = 0;
          for (int y = w.y0; y < w.y1; ++y) {
            for (int x = w.x0; x < w.x1; ++x) sum += int32_t{pixel(g, input, n, y, x)[c]} - a.input_zero_point;
          }
          out[c] = requantize_float(static_cast<float>(sum) * scale, a.output_zero_point, a.output_min, a.output_max);
        }
      }
    }
  }
}

}  // namespace nestrt::kernels

#include "nestrt/kernels/reference.h"

namespace nestrt::kernels {

void qs8_resize_nearest__ref(const ResizeGeometry& g, const int8_t* input, int8_t* output) {
  const size_t out_h = g.in_h * g.scale_h, out_w = g.in_w * g.scale_w;
  for (size_t n = 0; n < g.batch; ++n)
    for (size_t oy = 0; oy < out_h; ++oy)
      for (size_t ox = 0; ox < out_w; ++ox)
        for (size_t c = 0; c < g.channels; ++c) {
          const size_t from = ((n * g.in_h + oy / g.scale_h) * g.in_w + ox / g.scale_w) * g.channels + c;
          output[((n * out_h + oy) * out_w + ox) * g.channels + c] = input[from];
        }
}

}  // namespace nestrt::kernels

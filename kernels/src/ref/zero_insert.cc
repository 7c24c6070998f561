#include <cstring>

#include "nestrt/kernels/reference.h"

namespace nestrt::kernels {

void qs8_zero_insert__ref(const ZeroInsertGeometry& g, int8_t zero_point, const int8_t* input, int8_t* output) {
  const size_t out_h = g.out_h(), out_w = g.out_w();
  for (size_t n = 0; n < g.batch; ++n)
    for (size_t oy = 0; oy < out_h; ++oy)
      for (size_t ox = 0; ox < out_w; ++ox)
        for (size_t c = 0; c < g.channels; ++c) {
          const bool on_grid = oy % g.stride_h == 0 && ox % g.stride_w == 0;
          const size_t from = ((n * g.in_h + oy / g.stride_h) * g.in_w + ox / g.stride_w) * g.channels + c;
          output[((n * out_h + oy) * out_w + ox) * g.channels + c] = on_grid ? input[from] : zero_point;
        }
}

}  // namespace nestrt::kernels

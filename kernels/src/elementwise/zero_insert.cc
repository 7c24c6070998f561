#include <algorithm>
#include <cstring>

#include "../parallel_for.h"
#include "nestrt/kernels/elementwise.h"

namespace nestrt::kernels {

// Tasks of whole output rows: a row between input rows is the zero point throughout; a row on
// an input row is that row's pixels (memcpy of the channels) stride_w apart, the zero point between
// them (one memcpy of the whole row when stride_w is 1).
void qs8_zero_insert__portable(const ZeroInsertGeometry& g, int8_t zero_point, const int8_t* input, int8_t* output,
                               pthreadpool_t pool) {
  const size_t out_h = g.out_h(), out_w = g.out_w(), c = g.channels;
  const size_t rows = g.batch * out_h, row_bytes = out_w * c;
  parallel_for_row_tasks(pool, rows, row_bytes, [&](size_t begin, size_t end) {
    for (size_t row = begin; row < end; ++row) {
      const size_t n = row / out_h, oy = row % out_h;
      int8_t* y = output + row * row_bytes;
      if (oy % g.stride_h != 0) {
        std::memset(y, zero_point, row_bytes);
        continue;
      }
      const int8_t* x = input + (n * g.in_h + oy / g.stride_h) * g.in_w * c;
      if (g.stride_w == 1) {
        std::memcpy(y, x, row_bytes);
        continue;
      }
      for (size_t ix = 0; ix < g.in_w; ++ix) {
        int8_t* pixel = y + ix * g.stride_w * c;
        std::memcpy(pixel, x + ix * c, c);
        if (ix + 1 < g.in_w) std::memset(pixel + c, zero_point, (g.stride_w - 1) * c);
      }
    }
  });
}

}  // namespace nestrt::kernels

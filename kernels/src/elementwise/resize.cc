#include <algorithm>
#include <cstring>

#include "../parallel_for.h"
#include "nestrt/kernels/elementwise.h"

namespace nestrt::kernels {

// Tasks of whole output rows: each is built from its input row, pixel by pixel (memcpy of the
// channels), or copied from the output row above it when both read the same input row.
void qs8_resize_nearest__portable(const ResizeGeometry& g, const int8_t* input, int8_t* output, pthreadpool_t pool) {
  const size_t out_h = g.in_h * g.scale_h, out_w = g.in_w * g.scale_w, c = g.channels;
  const size_t rows = g.batch * out_h, row_bytes = out_w * c;
  parallel_for_row_tasks(pool, rows, row_bytes, [&](size_t begin, size_t end) {
    for (size_t row = begin; row < end; ++row) {
      const size_t n = row / out_h, oy = row % out_h;
      int8_t* y = output + row * row_bytes;
      if (row > begin && oy % g.scale_h != 0) {  // same input row as the row above (same batch)
        std::memcpy(y, y - row_bytes, row_bytes);
        continue;
      }
      const int8_t* x = input + (n * g.in_h + oy / g.scale_h) * g.in_w * c;
      for (size_t ix = 0; ix < g.in_w; ++ix)
        for (size_t s = 0; s < g.scale_w; ++s) std::memcpy(y + (ix * g.scale_w + s) * c, x + ix * c, c);
    }
  });
}

}  // namespace nestrt::kernels

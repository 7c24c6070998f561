// The window of a pooling output pixel clipped to the input (internal; shared by the reference and
// the portable pooling kernels).
#pragma once

#include <algorithm>

#include "nestrt/kernels/reference.h"

namespace nestrt::kernels {

// [y0, y1) x [x0, x1): the in-bounds input rows and columns of output (oy, ox).
struct PoolWindow {
  int y0, y1, x0, x1;
};

inline PoolWindow clipped_window(const PoolGeometry& g, int oy, int ox) {
  const int y = oy * g.stride_h - g.pad_top;
  const int x = ox * g.stride_w - g.pad_left;
  return {std::max(y, 0), std::min(y + g.kernel_h, g.in_h), std::max(x, 0), std::min(x + g.kernel_w, g.in_w)};
}

}  // namespace nestrt::kernels

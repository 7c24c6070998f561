#include <algorithm>

#include "nestrt/kernels/reference.h"

namespace nestrt::kernels {

void nest_qs8_decode__ref(const NestedPlanes& planes, NestMode mode, int8_t* out) {
  unpack_plane(planes.high, 0, planes.count, out);
  if (mode == NestMode::kPart) return;
  // Multiply rather than shift: left-shifting a negative value is not portable before C++20 idioms settle.
  const int32_t step = int32_t{1} << planes.low_bits;
  int8_t low[256];
  for (size_t i = 0; i < planes.count; i += sizeof low) {
    const size_t n = std::min(sizeof low, planes.count - i);
    unpack_plane(planes.low, i, n, low);
    for (size_t j = 0; j < n; ++j) out[i + j] = static_cast<int8_t>(int32_t{out[i + j]} * step + int32_t{low[j]});
  }
}

}  // namespace nestrt::kernels

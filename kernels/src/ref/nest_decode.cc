#include <algorithm>
#include <cstring>

#include "nestrt/kernels/reference.h"

namespace nestrt::kernels {
namespace {

// v -> 2v + 1 in place, in modular byte arithmetic (exact: the loader keeps |v| <= 64), 16 bytes
// per step (one PADDB/ADD.16B pair), the tail one byte at a time.
void midpoint_in_place(int8_t* v, size_t n) {
  typedef uint8_t u8x16 __attribute__((vector_size(16)));
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    u8x16 x;
    std::memcpy(&x, v + i, 16);
    x = x + x + 1;
    std::memcpy(v + i, &x, 16);
  }
  for (; i < n; ++i) v[i] = static_cast<int8_t>(2 * int32_t{v[i]} + 1);
}

}  // namespace

void unpack_part(const NestedPlanes& planes, size_t first, size_t n, int8_t* out) {
  unpack_plane(planes.high, first, n, out);
  if (planes.part_midpoint) midpoint_in_place(out, n);
}

void nest_qs8_decode__ref(const NestedPlanes& planes, NestMode mode, int8_t* out) {
  if (mode == NestMode::kPart) {
    unpack_part(planes, 0, planes.count, out);
    return;
  }
  unpack_plane(planes.high, 0, planes.count, out);
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

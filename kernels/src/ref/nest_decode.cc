#include "nestrt/kernels/reference.h"

namespace nestrt::kernels {

void nest_qs8_decode__ref(const NestedPlanes& planes, NestMode mode, int8_t* out) {
  if (mode == NestMode::kPart) {
    for (size_t i = 0; i < planes.count; ++i) out[i] = planes.high[i];
    return;
  }
  // Multiply rather than shift: left-shifting a negative value is not portable before C++20 idioms settle.
  const int32_t step = int32_t{1} << planes.low_bits;
  for (size_t i = 0; i < planes.count; ++i) {
    out[i] = static_cast<int8_t>(int32_t{planes.high[i]} * step + int32_t{planes.low[i]});
  }
}

}  // namespace nestrt::kernels

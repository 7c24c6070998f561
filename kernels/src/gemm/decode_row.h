// Forms int8 weights from their high and low parts (internal). The panel and GEMV schedules now
// form them with the fused unpack_nested; this plain loop stays as the definition its tests
// compare against (unpack_plane of both planes, then decode_row).
#pragma once

#include <cstddef>
#include <cstdint>

namespace nestrt::kernels {

// The shift is a template constant so the compiler vectorises the loop (x86 has no byte shift by
// a variable count). Modular byte arithmetic: high * 2^l + low is exactly the int8 weight.
template <unsigned LB>
inline void decode_row(const int8_t* hi, const int8_t* lo, size_t n, int8_t* out) {
  for (size_t i = 0; i < n; ++i) out[i] = int8_t(uint8_t(uint8_t(hi[i]) << LB) + uint8_t(lo[i]));
}

inline void decode_row(unsigned lb, const int8_t* hi, const int8_t* lo, size_t n, int8_t* out) {
  switch (lb) {
    case 0: return decode_row<0>(hi, lo, n, out);
    case 1: return decode_row<1>(hi, lo, n, out);
    case 2: return decode_row<2>(hi, lo, n, out);
    case 3: return decode_row<3>(hi, lo, n, out);
    case 4: return decode_row<4>(hi, lo, n, out);
    case 5: return decode_row<5>(hi, lo, n, out);
    case 6: return decode_row<6>(hi, lo, n, out);
    default: return decode_row<7>(hi, lo, n, out);
  }
}

}  // namespace nestrt::kernels

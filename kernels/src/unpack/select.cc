// Which unpack table this CPU runs: the widest its ISA and OS support (cpuinfo checks both).
// Every table forms the same bytes, so the choice changes speed only, never an output bit.
#include <cpuinfo.h>

#include <array>

#include "unpack_table.h"

namespace nestrt::kernels {

std::span<const UnpackTable* const> unpack_tables_available() {
  // A fixed array, not a vector: the first call may come from a run, which must not allocate.
  struct Tables {
    std::array<const UnpackTable*, 3> t{};
    size_t n = 0;
  };
  static const Tables tables = [] {
    Tables s;
    s.t[s.n++] = &unpack_table__baseline();
#if defined(__x86_64__)
    if (cpuinfo_initialize()) {
      if (cpuinfo_has_x86_avx2()) s.t[s.n++] = &unpack_table__avx2();
      if (cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512bw()) s.t[s.n++] = &unpack_table__avx512();
    }
#endif
    return s;
  }();
  return {tables.t.data(), tables.n};
}

const UnpackTable& unpack_table() {
  static const UnpackTable& t = *unpack_tables_available().back();
  return t;
}

}  // namespace nestrt::kernels

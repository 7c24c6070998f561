// Which unpack table this CPU runs: the widest its ISA and OS support (cpuinfo checks both).
// Every table forms the same bytes, so the choice changes speed only, never an output bit.
#include <cpuinfo.h>

#include "unpack_table.h"

namespace nestrt::kernels {

const std::vector<const UnpackTable*>& unpack_tables_available() {
  static const std::vector<const UnpackTable*> tables = [] {
    std::vector<const UnpackTable*> t = {&unpack_table__baseline()};
#if defined(__x86_64__)
    if (cpuinfo_initialize()) {
      if (cpuinfo_has_x86_avx2()) t.push_back(&unpack_table__avx2());
      if (cpuinfo_has_x86_avx512f() && cpuinfo_has_x86_avx512bw()) t.push_back(&unpack_table__avx512());
    }
#endif
    return t;
  }();
  return tables;
}

}  // namespace nestrt::kernels

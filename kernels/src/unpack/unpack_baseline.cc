// The baseline unpackers: 2 x 64-bit vectors (SSE2 on x86-64, NEON on arm64).
#include "swar_blocks.h"

namespace nestrt::kernels {

const UnpackTable& unpack_table__baseline() {
  static constexpr UnpackTable kTable = Swar<2>::table("baseline");
  return kTable;
}

}  // namespace nestrt::kernels

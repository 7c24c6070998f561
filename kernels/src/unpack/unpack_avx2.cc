// The AVX2 unpackers: 4 x 64-bit vectors (compiled with -mavx2; see kernels/CMakeLists.txt).
#include "swar_blocks.h"

namespace nestrt::kernels {

const UnpackTable& unpack_table__avx2() {
  static constexpr UnpackTable kTable = Swar<4>::table("avx2");
  return kTable;
}

}  // namespace nestrt::kernels

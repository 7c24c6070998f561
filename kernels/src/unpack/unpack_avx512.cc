// The AVX-512 unpackers: 8 x 64-bit vectors (compiled with -mavx512f -mavx512bw; see kernels/CMakeLists.txt).
#include "swar_blocks.h"

namespace nestrt::kernels {

const UnpackTable& unpack_table__avx512() {
  static constexpr UnpackTable kTable = Swar<8>::table("avx512");
  return kTable;
}

}  // namespace nestrt::kernels

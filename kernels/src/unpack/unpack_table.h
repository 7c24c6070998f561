// The block unpackers of one ISA (internal): unpack_plane and unpack_nested split a slice into
// partial and whole 64-element blocks and hand the blocks to the best table this CPU runs. The
// table also holds the two reductions the GEMM and GEMV schedules run over freshly unpacked rows
// (still in L1), so they get the same vector width.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace nestrt::kernels {

struct UnpackTable {
  // `blocks` whole blocks of a width-W plane (W = 1..7; 0 and 8 need no unpacking).
  using BlocksFn = void (*)(const uint8_t* src, size_t blocks, int offset, int8_t* out);
  // `blocks` whole blocks of int8(uint8(high << lb) + uint8(low)), the planes' sign/offset steps
  // folded into `add`.
  using NestedFn = void (*)(const uint8_t* high, const uint8_t* low, size_t blocks, unsigned lb, uint8_t add,
                            int8_t* out);
  // Sum of n int8 values (exact: n * 128 stays far inside int32).
  using SumFn = int32_t (*)(const int8_t* v, size_t n);
  // sum_i w[i] * x[i] in wrapping int32 arithmetic (as the SIMD lanes wrap).
  using DotFn = int32_t (*)(const int8_t* w, const int16_t* x, size_t n);
  const char* name;
  std::array<BlocksFn, 8> blocks;                 // by width, [0] unused
  std::array<std::array<NestedFn, 9>, 9> nested;  // [high width][low width], widths 0..8
  SumFn sum;
  DotFn dot_centred;
};

// The table unpack_plane and unpack_nested use: the last of unpack_tables_available().
const UnpackTable& unpack_table();

// Vectors of 2 x 64 bits: SSE2 on x86-64, NEON on arm64, generic elsewhere. Every CPU runs it.
const UnpackTable& unpack_table__baseline();
#if defined(__x86_64__)
const UnpackTable& unpack_table__avx2();    // 4 x 64 bits
const UnpackTable& unpack_table__avx512();  // 8 x 64 bits (AVX512F + AVX512BW)
#endif

// Every table this CPU can run, baseline first; the last is the one unpack_plane/unpack_nested use.
std::span<const UnpackTable* const> unpack_tables_available();

// unpack_plane / unpack_nested through a given table (tests cross-check every table with these).
struct PackedPlane;
void unpack_plane_with(const UnpackTable& t, const PackedPlane& plane, size_t first, size_t n, int8_t* out);
void unpack_nested_with(const UnpackTable& t, const PackedPlane& high, const PackedPlane& low, unsigned low_bits,
                        size_t first, size_t n, int8_t* out);

}  // namespace nestrt::kernels

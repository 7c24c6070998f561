// The packed coding of a weight plane (format v2, docs/format.md "Weight planes"). Element i's
// value is a `width`-bit two's-complement field plus `offset`. Width 8: one int8 per element
// (format v1's planes). Width 1..7: blocks of 64 elements, 8*width bytes each; the field is split
// into parts of 4, 2 and 1 bits (plane_part_bits), least significant first, and a p-bit part of
// the block takes 8p bytes, byte b holding element b + 8p*j at bits [p*j, p*(j+1)). Every part
// then unpacks with the same shift and mask across a whole SIMD vector. Width 0 stores nothing.
// The writer side and the loader's checks live here; the kernels decode
// (nestrt/kernels/packed_plane.h).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace nestrt::format {

inline constexpr uint64_t kPlaneBlock = 64;  // elements per block of a packed (width 1..7) plane

struct PlaneCoding {
  int width = 8;   // 0..8 bits per element
  int offset = 0;  // value = sign_extend(field) + offset
};

// Bytes of a plane of `count` elements: count for width 8, else ceil(count / 64) * 8 * width.
uint64_t packed_plane_bytes(uint64_t count, int width);

// Bits of part `part` (0 = least significant) of a width-bit (1..7) field: 7 = 4+2+1, 6 = 4+2,
// 5 = 4+1, 4, 3 = 2+1, 2, 1; 0 past the last part.
int plane_part_bits(int width, int part);

// True when width is 0..8 and every field value plus offset lies in int8.
bool plane_coding_valid(PlaneCoding coding);

// The narrowest valid coding that represents every value exactly (width 0 for a constant plane).
PlaneCoding narrowest_plane_coding(std::span<const int8_t> values);

// The plane's bytes in that coding. Throws std::invalid_argument if a value does not fit.
std::vector<uint8_t> pack_plane(std::span<const int8_t> values, PlaneCoding coding);

}  // namespace nestrt::format

// The bit-packed coding of a weight plane (format v2, docs/format.md "Weight planes"): element i
// is the two's-complement `width`-bit field at bits [i*width, (i+1)*width) of a little-endian bit
// stream, plus `offset`. The writer side and the loader's checks live here; the kernels decode
// (nestrt/kernels/packed_plane.h). Width 8, offset 0 is format v1's one int8 per element.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace nestrt::format {

struct PlaneCoding {
  int width = 8;   // 0..8 bits per element
  int offset = 0;  // value = sign_extend(field) + offset
};

// Bytes of a plane of `count` elements: ceil(count * width / 8).
uint64_t packed_plane_bytes(uint64_t count, int width);

// True when width is 0..8 and every field value plus offset lies in int8.
bool plane_coding_valid(PlaneCoding coding);

// The narrowest valid coding that represents every value exactly (width 0 for a constant plane).
PlaneCoding narrowest_plane_coding(std::span<const int8_t> values);

// The plane's bytes in that coding. Throws std::invalid_argument if a value does not fit.
std::vector<uint8_t> pack_plane(std::span<const int8_t> values, PlaneCoding coding);

}  // namespace nestrt::format

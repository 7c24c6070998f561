// How a weight plane is stored in a .nest file (format v2, docs/format.md "Weight planes";
// nestrt/format/plane_coding.h has the writer): element i is a `width`-bit two's-complement field
// plus `offset`. Width 8 is one int8 per element (format v1); widths 1..7 come in blocks of 64
// elements split into 4-, 2- and 1-bit parts laid out so that each part unpacks with one shift
// and mask over a whole vector; width 0 stores no bytes (every element equals offset). The
// converter picks each plane's narrowest coding, so part mode is resident at about h/n.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nestrt::kernels {

struct PackedPlane {
  const void* data = nullptr;
  int width = 8;   // 0..8 bits per element
  int offset = 0;  // added to each sign-extended field; the loader keeps every value inside int8
};

// Writes elements [first, first + n) of the plane as int8. Reads only the blocks that hold them.
void unpack_plane(const PackedPlane& plane, size_t first, size_t n, int8_t* out);

// Writes elements [first, first + n) of the nested weights int8(uint8(high << low_bits) + uint8(low))
// (modular byte arithmetic, exactly as unpack_plane of both planes and decode_row form them) in one
// pass: each 64-element block of both planes is unpacked and combined in registers and stored once.
void unpack_nested(const PackedPlane& high, const PackedPlane& low, unsigned low_bits, size_t first, size_t n,
                   int8_t* out);

}  // namespace nestrt::kernels

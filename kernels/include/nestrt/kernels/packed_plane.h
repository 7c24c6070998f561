// How a weight plane is stored in a .nest file (format v2, docs/format.md "Weight planes"):
// element i is the two's-complement `width`-bit field at bits [i*width, (i+1)*width) of the
// plane's little-endian bit stream, plus `offset`. Width 8 with offset 0 is one int8 per element
// (format v1); width 0 stores no bytes (every element equals offset). The converter picks each
// plane's narrowest coding (nestrt/format/plane_coding.h), so part mode is resident at about h/n.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nestrt::kernels {

struct PackedPlane {
  const void* data = nullptr;
  int width = 8;   // 0..8 bits per element
  int offset = 0;  // added to each sign-extended field; the loader keeps every value inside int8
};

// Writes elements [first, first + n) of the plane as int8. Reads only the plane's bytes
// (ceil(count * width / 8) of them for a plane of count elements).
void unpack_plane(const PackedPlane& plane, size_t first, size_t n, int8_t* out);

}  // namespace nestrt::kernels

#include <bit>
#include <cstring>

#include "nestrt/kernels/packed_plane.h"

namespace nestrt::kernels {
namespace {

static_assert(std::endian::native == std::endian::little, "planes are little-endian bit streams");

// One element anywhere in the stream: its field spans at most two bytes (width <= 8).
int8_t element(const uint8_t* src, size_t i, int width, int offset) {
  const size_t bit = i * size_t(width);
  const unsigned shift = unsigned(bit & 7);
  unsigned v = unsigned(src[bit >> 3]) >> shift;
  if (shift + unsigned(width) > 8) v |= unsigned(src[(bit >> 3) + 1]) << (8 - shift);
  const unsigned sign = 1u << (width - 1);
  const int field = int((v & ((sign << 1) - 1)) ^ sign) - int(sign);
  return int8_t(field + offset);
}

// Eight elements start on a byte boundary and fill exactly W bytes: one load, constant shifts.
template <int W>
void unpack_groups(const uint8_t* src, size_t groups, int offset, int8_t* out) {
  for (size_t g = 0; g < groups; ++g, src += W, out += 8) {
    uint64_t word = 0;
    std::memcpy(&word, src, W);
    for (int j = 0; j < 8; ++j) {
      // Shift the field to the top, then arithmetic-shift it back down: sign extension.
      const int64_t field = int64_t(word << (64 - W * (j + 1))) >> (64 - W);
      out[j] = int8_t(field + offset);
    }
  }
}

void unpack_groups(int width, const uint8_t* src, size_t groups, int offset, int8_t* out) {
  switch (width) {
    case 1: return unpack_groups<1>(src, groups, offset, out);
    case 2: return unpack_groups<2>(src, groups, offset, out);
    case 3: return unpack_groups<3>(src, groups, offset, out);
    case 4: return unpack_groups<4>(src, groups, offset, out);
    case 5: return unpack_groups<5>(src, groups, offset, out);
    case 6: return unpack_groups<6>(src, groups, offset, out);
    case 7: return unpack_groups<7>(src, groups, offset, out);
    default: break;
  }
  if (offset == 0) {
    std::memcpy(out, src, groups * 8);  // plain int8 (format v1 planes)
    return;
  }
  for (size_t i = 0; i < groups * 8; ++i) out[i] = int8_t(int(int8_t(src[i])) + offset);
}

}  // namespace

void unpack_plane(const PackedPlane& plane, size_t first, size_t n, int8_t* out) {
  const int width = plane.width;
  if (width == 0) {
    std::memset(out, int8_t(plane.offset), n);
    return;
  }
  const auto* src = static_cast<const uint8_t*>(plane.data);
  size_t i = first;
  const size_t end = first + n;
  for (; i < end && (i & 7) != 0; ++i) *out++ = element(src, i, width, plane.offset);
  const size_t groups = (end - i) / 8;
  unpack_groups(width, src + i / 8 * size_t(width), groups, plane.offset, out);
  out += groups * 8;
  i += groups * 8;
  for (; i < end; ++i) *out++ = element(src, i, width, plane.offset);
}

}  // namespace nestrt::kernels

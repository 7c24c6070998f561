// unpack_plane and unpack_nested: a slice is split into a partial first block, whole blocks
// (unpacked straight into the output) and a partial last block (via a 64-byte stage), and the
// blocks go to the widest unpack table this CPU runs (unpack/swar_blocks.h).
#include <algorithm>
#include <cstring>

#include "nestrt/kernels/packed_plane.h"
#include "unpack/unpack_table.h"

namespace nestrt::kernels {
namespace {

constexpr size_t kBlock = 64;  // elements per block of a width 1..7 plane

constexpr unsigned sign_bit(int w) {
  return w > 0 ? 1u << (w - 1) : 0;
}

// The bytes of block `block` of a plane, for its elements [lo, hi). Width 8 is not padded to
// whole blocks, so a partial block is copied into `stage` and a 64-byte read stays inside the plane.
const uint8_t* plane_block(const PackedPlane& plane, int width, size_t block, size_t lo, size_t hi, uint8_t* stage) {
  const auto* src = static_cast<const uint8_t*>(plane.data);
  if (width == 8 && hi - lo < kBlock) {
    std::memset(stage, 0, kBlock);
    std::memcpy(stage + lo, src + block * kBlock + lo, hi - lo);
    return stage;
  }
  return width == 0 ? src : src + block * 8 * size_t(width);
}

}  // namespace

void unpack_nested_with(const UnpackTable& t, const PackedPlane& high, const PackedPlane& low, unsigned low_bits,
                        size_t first, size_t n, int8_t* out) {
  if (n == 0) return;
  // Widths outside 0..8 are rejected by the loader; clamped here only to keep the lookup in bounds.
  const int hw = std::clamp(high.width, 0, 8), lw = std::clamp(low.width, 0, 8);
  const unsigned lb = std::min(low_bits, 7u);  // as decode_row
  const auto add =
      uint8_t((unsigned(high.offset - int(sign_bit(hw))) << lb) + unsigned(low.offset - int(sign_bit(lw))));
  const UnpackTable::NestedFn fn = t.nested[size_t(hw)][size_t(lw)];
  uint8_t hstage[kBlock], lstage[kBlock];
  int8_t tmp[kBlock];
  auto partial = [&](size_t block, size_t lo, size_t hi) {  // elements [lo, hi) of a block, via tmp
    fn(plane_block(high, hw, block, lo, hi, hstage), plane_block(low, lw, block, lo, hi, lstage), 1, lb, add, tmp);
    std::memcpy(out, tmp + lo, hi - lo);
    out += hi - lo;
  };
  const size_t end = first + n;
  size_t i = first;
  if (i % kBlock != 0) {  // a partial first block
    const size_t lo = i % kBlock, hi = std::min(end - i / kBlock * kBlock, kBlock);
    partial(i / kBlock, lo, hi);
    i += hi - lo;
  }
  if (const size_t whole = (end - i) / kBlock) {  // whole blocks straight into the output
    fn(plane_block(high, hw, i / kBlock, 0, kBlock, hstage), plane_block(low, lw, i / kBlock, 0, kBlock, lstage), whole,
       lb, add, out);
    out += whole * kBlock, i += whole * kBlock;
  }
  if (i < end) partial(i / kBlock, 0, end - i);  // a partial last block
}

void unpack_plane_with(const UnpackTable& t, const PackedPlane& plane, size_t first, size_t n, int8_t* out) {
  const auto* src = static_cast<const uint8_t*>(plane.data);
  if (plane.width == 0) {
    std::memset(out, int8_t(plane.offset), n);
    return;
  }
  if (plane.width == 8) {  // one int8 per element (the validator admits offset 0 only at width 8)
    std::memcpy(out, src + first, n);
    return;
  }
  const UnpackTable::BlocksFn fn = t.blocks[size_t(plane.width)];
  const size_t block_bytes = 8 * size_t(plane.width), end = first + n;
  int8_t tmp[kBlock];
  size_t i = first;
  if (i % kBlock != 0) {  // a partial first block
    const size_t begin = i / kBlock * kBlock, take = std::min(end, begin + kBlock) - i;
    fn(src + i / kBlock * block_bytes, 1, plane.offset, tmp);
    std::memcpy(out, tmp + (i - begin), take);
    out += take, i += take;
  }
  const size_t whole = (end - i) / kBlock;  // whole blocks straight into the output
  fn(src + i / kBlock * block_bytes, whole, plane.offset, out);
  out += whole * kBlock, i += whole * kBlock;
  if (i < end) {  // a partial last block
    fn(src + i / kBlock * block_bytes, 1, plane.offset, tmp);
    std::memcpy(out, tmp, end - i);
  }
}

void unpack_plane(const PackedPlane& plane, size_t first, size_t n, int8_t* out) {
  unpack_plane_with(unpack_table(), plane, first, n, out);
}

void unpack_nested(const PackedPlane& high, const PackedPlane& low, unsigned low_bits, size_t first, size_t n,
                   int8_t* out) {
  unpack_nested_with(unpack_table(), high, low, low_bits, first, n, out);
}

}  // namespace nestrt::kernels

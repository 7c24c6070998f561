#include <algorithm>
#include <bit>
#include <cstring>

#include "nestrt/kernels/packed_plane.h"

namespace nestrt::kernels {
namespace {

constexpr size_t kBlock = 64;  // elements per block of a width 1..7 plane

constexpr uint64_t kBytes1 = 0x0101010101010101ull;  // a byte value repeated in all 8 bytes

constexpr int part_bits(int remaining) {
  return remaining >= 4 ? 4 : remaining >= 2 ? 2 : 1;
}

// Two little-endian words per vector (GCC/Clang vector extensions: SSE2 on x86-64, NEON on
// arm64), so every SWAR step below moves 16 elements at once.
typedef uint64_t u64x2 __attribute__((vector_size(16)));

u64x2 load2(const uint8_t* p) {
  u64x2 v;
  std::memcpy(&v, p, 16);
  return v;
}

// ORs one P-bit part of a block into the 64 field bytes (fields[i] holds field words 2i, 2i+1):
// byte b of the part holds element b + 8P*j at bits [P*j, P*(j+1)), so one shift and byte mask
// moves 8 elements per word.
template <int P>
void add_part(const uint8_t* src, unsigned shift, u64x2* fields) {
  constexpr uint64_t kMask = ((1u << P) - 1) * kBytes1;
  if constexpr (P == 1) {  // one word feeds all eight field words: pair it with itself shifted by 1
    uint64_t v;
    std::memcpy(&v, src, 8);
    const u64x2 u = {v, v >> 1};
    for (int i = 0; i < 4; ++i) fields[i] |= ((u >> (2 * i)) & kMask) << shift;
  } else {  // words w, w + 1 feed field words w + P*j, w + 1 + P*j: an aligned pair
    for (int w = 0; w < P; w += 2) {
      const u64x2 v = load2(src + 8 * w);
      for (int j = 0; j < 8 / P; ++j) fields[(w + P * j) / 2] |= ((v >> (P * j)) & kMask) << shift;
    }
  }
}

// Bytewise a + b (mod 256 in each byte): one PADDB / ADD.16B on the same registers.
typedef uint8_t u8x16 __attribute__((vector_size(16)));
u64x2 add_bytes(u64x2 a, u64x2 b) {
  return reinterpret_cast<u64x2>(reinterpret_cast<u8x16>(a) + reinterpret_cast<u8x16>(b));
}

// Blocks of 64 elements (little-endian words): the parts, least significant first, then sign
// extension and offset in modular byte arithmetic, (field ^ sign) + (offset - sign), exact
// because every value is int8.
template <int W>
void unpack_blocks(const uint8_t* src, size_t blocks, int offset, int8_t* out) {
  static_assert(std::endian::native == std::endian::little, "the block layout is read as little-endian words");
  constexpr int p0 = part_bits(W), p1 = W > p0 ? part_bits(W - p0) : 0, p2 = W - p0 - p1;
  constexpr uint64_t kSign = (1u << (W - 1)) * kBytes1;
  const uint64_t add = uint8_t(offset - (1 << (W - 1))) * kBytes1;
  const u64x2 add2 = {add, add};
  for (size_t k = 0; k < blocks; ++k, src += 8 * W, out += kBlock) {
    u64x2 fields[4] = {};
    add_part<p0>(src, 0, fields);
    if constexpr (p1 > 0) add_part<p1>(src + 8 * p0, p0, fields);
    if constexpr (p2 > 0) add_part<p2>(src + 8 * (p0 + p1), p0 + p1, fields);
    for (u64x2& f : fields) f = add_bytes(f ^ kSign, add2);
    std::memcpy(out, fields, kBlock);
  }
}

using BlocksFn = void (*)(const uint8_t*, size_t, int, int8_t*);

BlocksFn blocks_fn(int width) {
  switch (width) {
    case 1: return unpack_blocks<1>;
    case 2: return unpack_blocks<2>;
    case 3: return unpack_blocks<3>;
    case 4: return unpack_blocks<4>;
    case 5: return unpack_blocks<5>;
    case 6: return unpack_blocks<6>;
    default: return unpack_blocks<7>;
  }
}

}  // namespace

void unpack_plane(const PackedPlane& plane, size_t first, size_t n, int8_t* out) {
  const auto* src = static_cast<const uint8_t*>(plane.data);
  if (plane.width == 0) {
    std::memset(out, int8_t(plane.offset), n);
    return;
  }
  if (plane.width == 8) {  // one int8 per element (the validator admits offset 0 only at width 8)
    std::memcpy(out, src + first, n);
    return;
  }
  const BlocksFn fn = blocks_fn(plane.width);
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

}  // namespace nestrt::kernels

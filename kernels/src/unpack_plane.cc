#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <utility>

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

// The fields of one block of a width-W plane, least significant part first. Width 8 is one 8-bit
// part (the bytes themselves), width 0 has none.
template <int W>
void gather_fields(const uint8_t* src, u64x2* fields) {
  constexpr int p0 = W == 8 ? 8 : W > 0 ? part_bits(W) : 0;
  constexpr int p1 = W > p0 ? part_bits(W - p0) : 0, p2 = W - p0 - p1;
  if constexpr (p0 > 0) add_part<p0>(src, 0, fields);
  if constexpr (p1 > 0) add_part<p1>(src + 8 * p0, p0, fields);
  if constexpr (p2 > 0) add_part<p2>(src + 8 * (p0 + p1), p0 + p1, fields);
}

// The sign bit of a width-W field (none at width 0).
constexpr unsigned sign_bit(int w) {
  return w > 0 ? 1u << (w - 1) : 0;
}

// Bytewise a + b (mod 256 in each byte): one PADDB / ADD.16B on the same registers.
typedef uint8_t u8x16 __attribute__((vector_size(16)));
u64x2 add_bytes(u64x2 a, u64x2 b) {
  return reinterpret_cast<u64x2>(reinterpret_cast<u8x16>(a) + reinterpret_cast<u8x16>(b));
}

// Bytewise v << lb, the bits pushed past bit 7 dropped (mod 256 in each byte): one USHL.16B on
// arm64; SSE2 has no byte shift, so there a word shift and `keep`, the bits that stay in their byte.
u64x2 shl_bytes(u64x2 v, unsigned lb, [[maybe_unused]] u64x2 keep) {
#if defined(__aarch64__)
  return reinterpret_cast<u64x2>(reinterpret_cast<u8x16>(v) << uint8_t(lb));
#else
  return (v << lb) & keep;
#endif
}

// Blocks of 64 elements (little-endian words): the parts, least significant first, then sign
// extension and offset in modular byte arithmetic, (field ^ sign) + (offset - sign), exact
// because every value is int8.
template <int W>
void unpack_blocks(const uint8_t* src, size_t blocks, int offset, int8_t* out) {
  static_assert(std::endian::native == std::endian::little, "the block layout is read as little-endian words");
  constexpr uint64_t kSign = sign_bit(W) * kBytes1;
  const uint64_t add = uint8_t(offset - int(sign_bit(W))) * kBytes1;
  const u64x2 add2 = {add, add};
  for (size_t k = 0; k < blocks; ++k, src += 8 * W, out += kBlock) {
    u64x2 fields[4] = {};
    gather_fields<W>(src, fields);
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

// Blocks of both planes in registers: with hf, lf the high and low fields, a weight is
// ((hf ^ sign_h) << lb) + (lf ^ sign_l) + add (mod 256 in each byte), add = (offset_h - sign_h) << lb
// + offset_l - sign_l: decode_row's uint8(high << lb) + uint8(low) with each plane's sign/offset
// step of unpack_blocks folded into one constant.
template <int WH, int WL>
void nested_blocks(const uint8_t* hsrc, const uint8_t* lsrc, size_t blocks, unsigned lb, uint8_t add, int8_t* out) {
  constexpr uint64_t kSignH = sign_bit(WH) * kBytes1, kSignL = sign_bit(WL) * kBytes1;
  const uint64_t add8 = add * kBytes1, keep = uint8_t(0xFFu << lb) * kBytes1;
  const u64x2 add2 = {add8, add8}, keep2 = {keep, keep};
  for (size_t k = 0; k < blocks; ++k, hsrc += 8 * WH, lsrc += 8 * WL, out += kBlock) {
    u64x2 hf[4] = {}, lf[4] = {};
    gather_fields<WH>(hsrc, hf);
    gather_fields<WL>(lsrc, lf);
    for (int i = 0; i < 4; ++i) {
      const u64x2 w = add_bytes(add_bytes(shl_bytes(hf[i] ^ kSignH, lb, keep2), lf[i] ^ kSignL), add2);
      std::memcpy(out + 16 * i, &w, 16);
    }
  }
}

using NestedFn = void (*)(const uint8_t*, const uint8_t*, size_t, unsigned, uint8_t, int8_t*);

// kNestedFns[high width][low width], widths 0..8.
template <int WH, int... WL>
constexpr std::array<NestedFn, 9> nested_fns_row(std::integer_sequence<int, WL...>) {
  return {nested_blocks<WH, WL>...};
}
template <int... WH>
constexpr std::array<std::array<NestedFn, 9>, 9> nested_fns(std::integer_sequence<int, WH...>) {
  return {nested_fns_row<WH>(std::make_integer_sequence<int, 9>())...};
}
constexpr auto kNestedFns = nested_fns(std::make_integer_sequence<int, 9>());

}  // namespace

void unpack_nested(const PackedPlane& high, const PackedPlane& low, unsigned low_bits, size_t first, size_t n,
                   int8_t* out) {
  if (n == 0) return;
  // Widths outside 0..8 are rejected by the loader; clamped here only to keep the lookup in bounds.
  const int hw = std::clamp(high.width, 0, 8), lw = std::clamp(low.width, 0, 8);
  const unsigned lb = std::min(low_bits, 7u);  // as decode_row
  const auto add =
      uint8_t((unsigned(high.offset - int(sign_bit(hw))) << lb) + unsigned(low.offset - int(sign_bit(lw))));
  const NestedFn fn = kNestedFns[size_t(hw)][size_t(lw)];
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

// The block unpackers of packed weight planes (docs/format.md "Weight planes"), written once for a
// vector of N 64-bit lanes (GCC/Clang vector extensions) and compiled per ISA in thin translation
// units: N = 2 (SSE2, NEON: the baseline), 4 (AVX2), 8 (AVX-512). Every N forms the same bytes.
// Internal linkage on purpose (anonymous namespace): each translation unit keeps its own copy,
// compiled with its own flags, so the linker can never hand baseline code an AVX-512 instance.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "unpack_table.h"

namespace nestrt::kernels {
namespace {

constexpr uint64_t kBytes1 = 0x0101010101010101ull;  // a byte value repeated in all 8 bytes

constexpr int part_bits(int remaining) {
  return remaining >= 4 ? 4 : remaining >= 2 ? 2 : 1;
}

// The sign bit of a width-W field (none at width 0).
constexpr unsigned sign_bit(int w) {
  return w > 0 ? 1u << (w - 1) : 0;
}

// N x 64-bit lanes and the same bytes as 8N uint8 lanes. (Explicit specialisations: GCC drops a
// vector_size that depends on a template parameter.)
template <int N>
struct Lanes;
template <>
struct Lanes<2> {
  typedef uint64_t u64 __attribute__((vector_size(16)));
  typedef uint8_t u8 __attribute__((vector_size(16)));
};
template <>
struct Lanes<4> {
  typedef uint64_t u64 __attribute__((vector_size(32)));
  typedef uint8_t u8 __attribute__((vector_size(32)));
};
template <>
struct Lanes<8> {
  typedef uint64_t u64 __attribute__((vector_size(64)));
  typedef uint8_t u8 __attribute__((vector_size(64)));
};

template <int N>
struct Swar {
  using u64 = typename Lanes<N>::u64;
  using u8 = typename Lanes<N>::u8;
  static constexpr int kVectors = 8 / N;  // vectors per 64-element block (8 words)

  static u64 splat(uint64_t x) { return u64{} + x; }

  static u64 load(const uint8_t* p) {
    u64 v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }

  // Lanes i = 0..N-1: word (i % P) of src shifted right by P * (i / P), for a part of P < N words
  // (reads exactly P words): the first vector of that part's fields before masking.
  template <int P, int... I>
  static u64 spread(const uint8_t* src, std::integer_sequence<int, I...>) {
    const u64 shift = {uint64_t(P * (I / P))...};
    if constexpr (P == 1) {
      uint64_t w;
      std::memcpy(&w, src, sizeof w);
      return splat(w) >> shift;
    } else {  // P words as one vector, repeated across the lanes (one broadcast or permute)
      typename Lanes<P>::u64 w;
      std::memcpy(&w, src, sizeof w);
      return repeat<P>(w) >> shift;
    }
  }
  // v (L lanes) concatenated with itself until it has N lanes. One doubling at a time: GCC turns
  // each into a single insert, where a direct L-to-N shuffle went through the stack.
  template <int L>
  static u64 repeat(typename Lanes<L>::u64 v) {
    if constexpr (L == N) {
      return v;
    } else {
      return repeat<2 * L>(double_lanes<L>(v, std::make_integer_sequence<int, 2 * L>()));
    }
  }
  template <int L, int... I>
  static typename Lanes<2 * L>::u64 double_lanes(typename Lanes<L>::u64 v, std::integer_sequence<int, I...>) {
    return __builtin_shufflevector(v, v, I...);
  }
  template <int P>
  static u64 spread(const uint8_t* src) {
    return spread<P>(src, std::make_integer_sequence<int, N>());
  }

  // ORs one P-bit part of a block into the field vectors: field word f (0..7) is word f % P of
  // the part shifted right by P * (f / P), masked to P bits per byte, then moved to bit `shift`.
  template <int P>
  static void add_part(const uint8_t* src, unsigned shift, u64* fields) {
    constexpr uint64_t kMask = (P == 8 ? 0xFFu : (1u << P) - 1) * kBytes1;
    if constexpr (P < N) {  // one spread vector, then a uniform shift of N per further vector
      const u64 u = spread<P>(src);
      for (int v = 0; v < kVectors; ++v) fields[v] |= ((u >> (v * N)) & kMask) << shift;
    } else {  // vector v holds N consecutive words of the part, all shifted alike
      for (int v = 0; v < kVectors; ++v) {
        const u64 x = load(src + 8 * ((v * N) % P));
        fields[v] |= ((x >> (P * ((v * N) / P))) & kMask) << shift;
      }
    }
  }

  // The fields of one block of a width-W plane, least significant part first. Width 8 is one 8-bit
  // part (the bytes themselves), width 0 has none.
  template <int W>
  static void gather_fields(const uint8_t* src, u64* fields) {
    constexpr int p0 = W == 8 ? 8 : W > 0 ? part_bits(W) : 0;
    constexpr int p1 = W > p0 ? part_bits(W - p0) : 0, p2 = W - p0 - p1;
    if constexpr (p0 > 0) add_part<p0>(src, 0, fields);
    if constexpr (p1 > 0) add_part<p1>(src + 8 * p0, p0, fields);
    if constexpr (p2 > 0) add_part<p2>(src + 8 * (p0 + p1), p0 + p1, fields);
  }

  // Bytewise a + b (mod 256 in each byte).
  static u64 add_bytes(u64 a, u64 b) {
    return reinterpret_cast<u64>(reinterpret_cast<u8>(a) + reinterpret_cast<u8>(b));
  }

  // Bytewise v << lb, the bits pushed past bit 7 dropped: one USHL.16B on arm64; x86 has no byte
  // shift, so there a word shift and `keep`, the bits that stay in their byte.
  static u64 shl_bytes(u64 v, unsigned lb, [[maybe_unused]] u64 keep) {
#if defined(__aarch64__)
    return reinterpret_cast<u64>(reinterpret_cast<u8>(v) << uint8_t(lb));
#else
    return (v << lb) & keep;
#endif
  }

  // Blocks of 64 elements: the parts, then sign extension and offset in modular byte arithmetic,
  // (field ^ sign) + (offset - sign), exact because every value is int8.
  template <int W>
  static void unpack_blocks(const uint8_t* src, size_t blocks, int offset, int8_t* out) {
    static_assert(std::endian::native == std::endian::little, "the block layout is read as little-endian words");
    constexpr uint64_t kSign = sign_bit(W) * kBytes1;
    const u64 add = splat(uint8_t(offset - int(sign_bit(W))) * kBytes1);
    for (size_t k = 0; k < blocks; ++k, src += 8 * W, out += 64) {
      u64 fields[kVectors] = {};
      gather_fields<W>(src, fields);
      for (int v = 0; v < kVectors; ++v) {
        const u64 f = add_bytes(fields[v] ^ kSign, add);
        std::memcpy(out + 8 * N * v, &f, sizeof f);
      }
    }
  }

  // Blocks of both planes in registers: with hf, lf the high and low fields, a weight is
  // ((hf ^ sign_h) << lb) + (lf ^ sign_l) + add (mod 256 in each byte), add = (offset_h - sign_h)
  // << lb + offset_l - sign_l: uint8(high << lb) + uint8(low) with each plane's sign/offset step
  // folded into one constant.
  template <int WH, int WL>
  static void nested_blocks(const uint8_t* hsrc, const uint8_t* lsrc, size_t blocks, unsigned lb, uint8_t add,
                            int8_t* out) {
    constexpr uint64_t kSignH = sign_bit(WH) * kBytes1, kSignL = sign_bit(WL) * kBytes1;
    const u64 add8 = splat(add * kBytes1), keep = splat(uint8_t(0xFFu << lb) * kBytes1);
    for (size_t k = 0; k < blocks; ++k, hsrc += 8 * WH, lsrc += 8 * WL, out += 64) {
      u64 hf[kVectors] = {}, lf[kVectors] = {};
      gather_fields<WH>(hsrc, hf);
      gather_fields<WL>(lsrc, lf);
      for (int v = 0; v < kVectors; ++v) {
        const u64 w = add_bytes(add_bytes(shl_bytes(hf[v] ^ kSignH, lb, keep), lf[v] ^ kSignL), add8);
        std::memcpy(out + 8 * N * v, &w, sizeof w);
      }
    }
  }

  template <int WH, int... WL>
  static constexpr std::array<UnpackTable::NestedFn, 9> nested_row(std::integer_sequence<int, WL...>) {
    return {nested_blocks<WH, WL>...};
  }
  template <int... WH>
  static constexpr std::array<std::array<UnpackTable::NestedFn, 9>, 9> nested_all(std::integer_sequence<int, WH...>) {
    return {nested_row<WH>(std::make_integer_sequence<int, 9>())...};
  }

  static constexpr UnpackTable table(const char* name, UnpackTable::SumFn sum, UnpackTable::DotFn dot_centred) {
    return {name,
            {nullptr, unpack_blocks<1>, unpack_blocks<2>, unpack_blocks<3>, unpack_blocks<4>, unpack_blocks<5>,
             unpack_blocks<6>, unpack_blocks<7>},
            nested_all(std::make_integer_sequence<int, 9>()),
            sum,
            dot_centred};
  }
};

}  // namespace
}  // namespace nestrt::kernels

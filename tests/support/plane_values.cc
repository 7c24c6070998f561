#include "plane_values.h"

namespace nestrt::testing {
namespace {

std::vector<int8_t> values(std::span<const uint8_t> bytes, size_t count, int width, int offset) {
  std::vector<int8_t> v(count);
  for (size_t i = 0; i < count; ++i) v[i] = plane_element(bytes, i, width, offset);
  return v;
}

}  // namespace

int8_t plane_element(std::span<const uint8_t> bytes, size_t i, int width, int offset) {
  if (width == 0) return static_cast<int8_t>(offset);
  if (width == 8) return static_cast<int8_t>(static_cast<int8_t>(bytes[i]) + offset);
  // Blocks of 64 elements, 8 * width bytes; parts of 4, 2, 1 bits, least significant first; byte
  // b of a p-bit part holds element b + 8p*j at bits [p*j, p*(j+1)).
  const size_t block = i / 64, e = i % 64;
  size_t part_start = block * 8 * static_cast<size_t>(width);
  int field = 0, done = 0;
  while (done < width) {
    const int p = width - done >= 4 ? 4 : width - done >= 2 ? 2 : 1;
    const size_t part_bytes = 8 * static_cast<size_t>(p);
    const int bits = (bytes[part_start + e % part_bytes] >> (p * static_cast<int>(e / part_bytes))) & ((1 << p) - 1);
    field |= bits << done;
    done += p;
    part_start += part_bytes;
  }
  if ((field >> (width - 1)) != 0) field -= 1 << width;  // two's complement
  return static_cast<int8_t>(field + offset);
}

std::vector<int8_t> high_plane_values(const format::ModelFile& file, const fb::NestedWeights& w) {
  return values(file.resolve(*w.high()), format::weight_element_count(w), w.high_width(), w.high_offset());
}

std::vector<int8_t> low_plane_values(const format::ModelFile& file, const fb::NestedWeights& w) {
  return values(file.resolve(*w.low()), format::weight_element_count(w), w.low_width(), w.low_offset());
}

}  // namespace nestrt::testing

#include "plane_values.h"

namespace nestrt::testing {
namespace {

size_t element_count(const fb::NestedWeights& w) {
  size_t n = 1;
  for (int32_t d : *w.shape()) n *= static_cast<size_t>(d);
  return n;
}

std::vector<int8_t> values(std::span<const uint8_t> bytes, size_t count, int width, int offset) {
  std::vector<int8_t> v(count);
  for (size_t i = 0; i < count; ++i) v[i] = plane_element(bytes, i, width, offset);
  return v;
}

}  // namespace

int8_t plane_element(std::span<const uint8_t> bytes, size_t i, int width, int offset) {
  int field = 0;
  for (int b = 0; b < width; ++b) {
    const size_t bit = i * static_cast<size_t>(width) + static_cast<size_t>(b);
    field |= ((bytes[bit / 8] >> (bit % 8)) & 1) << b;
  }
  if (width > 0 && (field >> (width - 1)) != 0) field -= 1 << width;  // two's complement
  return static_cast<int8_t>(field + offset);
}

std::vector<int8_t> high_plane_values(const format::ModelFile& file, const fb::NestedWeights& w) {
  return values(file.resolve(*w.high()), element_count(w), w.high_width(), w.high_offset());
}

std::vector<int8_t> low_plane_values(const format::ModelFile& file, const fb::NestedWeights& w) {
  return values(file.resolve(*w.low()), element_count(w), w.low_width(), w.low_offset());
}

}  // namespace nestrt::testing

#include "nestrt/format/plane_coding.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace nestrt::format {
namespace {

// Values a coding can represent: [offset - 2^(width-1), offset + 2^(width-1) - 1].
int lowest(PlaneCoding c) {
  return c.width == 0 ? c.offset : c.offset - (1 << (c.width - 1));
}
int highest(PlaneCoding c) {
  return c.width == 0 ? c.offset : c.offset + (1 << (c.width - 1)) - 1;
}

}  // namespace

uint64_t packed_plane_bytes(uint64_t count, int width) {
  if (width == 8) return count;
  return (count + kPlaneBlock - 1) / kPlaneBlock * static_cast<uint64_t>(8 * width);
}

int plane_part_bits(int width, int part) {
  for (int i = 0; width > 0; ++i) {
    const int bits = width >= 4 ? 4 : width >= 2 ? 2 : 1;
    if (i == part) return bits;
    width -= bits;
  }
  return 0;
}

bool plane_coding_valid(PlaneCoding c) {
  return c.width >= 0 && c.width <= 8 && lowest(c) >= -128 && highest(c) <= 127;
}

PlaneCoding narrowest_plane_coding(std::span<const int8_t> values) {
  if (values.empty()) return {0, 0};
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  const int span = int(*hi) - int(*lo);
  int width = 0;
  while ((1 << width) <= span) ++width;
  if (width == 0) return {0, *lo};
  // Centre the field range on the values, then keep it inside int8 (always possible: span < 2^width).
  const int half = 1 << (width - 1);
  return {width, std::clamp(int(*lo) + half, -128 + half, 128 - half)};
}

std::vector<uint8_t> pack_plane(std::span<const int8_t> values, PlaneCoding coding) {
  if (!plane_coding_valid(coding)) {
    throw std::invalid_argument("invalid plane coding: width " + std::to_string(coding.width) + ", offset " +
                                std::to_string(coding.offset));
  }
  std::vector<uint8_t> bytes(packed_plane_bytes(values.size(), coding.width), 0);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < lowest(coding) || values[i] > highest(coding)) {
      throw std::invalid_argument("value " + std::to_string(values[i]) + " does not fit a " +
                                  std::to_string(coding.width) + "-bit plane with offset " +
                                  std::to_string(coding.offset));
    }
    if (coding.width == 8) {
      bytes[i] = static_cast<uint8_t>(values[i]);
      continue;
    }
    // The field's parts, least significant first, each in its slot of element i's block.
    unsigned field = unsigned(values[i] - coding.offset) & ((1u << coding.width) - 1);
    const size_t block = i / kPlaneBlock, e = i % kPlaneBlock;
    size_t part_start = block * 8 * size_t(coding.width);
    for (int part = 0, bits; (bits = plane_part_bits(coding.width, part)) != 0; ++part) {
      const size_t part_bytes = 8 * size_t(bits);
      bytes[part_start + e % part_bytes] |= uint8_t((field & ((1u << bits) - 1)) << (bits * (e / part_bytes)));
      field >>= bits;
      part_start += part_bytes;
    }
  }
  return bytes;
}

}  // namespace nestrt::format

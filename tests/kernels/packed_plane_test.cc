// The plane coding round trip: the writer's pack_plane (format) against the kernels'
// unpack_plane, for every width, at every start and length, with the plane in a buffer of exactly
// its packed size (so AddressSanitizer catches a read past its end).
#include "nestrt/kernels/packed_plane.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <stdexcept>
#include <vector>

#include "nestrt/format/plane_coding.h"
#include "plane_values.h"

namespace nestrt::kernels {
namespace {

using format::narrowest_plane_coding;
using format::pack_plane;
using format::PlaneCoding;

std::vector<int8_t> random_values(size_t count, int lo, int hi, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(lo, hi);
  std::vector<int8_t> v(count);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}

TEST(PackedPlaneTest, UnpacksEverySliceOfEveryWidth) {
  std::mt19937 rng(7);
  for (int width = 0; width <= 8; ++width) {
    const int half = width ? 1 << (width - 1) : 0;
    for (int offset : {-128 + half, -3, 0, 5, 127 - std::max(half - 1, 0)}) {
      const PlaneCoding c{width, offset};
      if (width == 8 && offset != 0) continue;  // the one valid 8-bit offset is 0
      ASSERT_TRUE(format::plane_coding_valid(c)) << width << " " << offset;
      const int lo = width ? offset - (1 << (width - 1)) : offset,
                hi = width ? offset + (1 << (width - 1)) - 1 : offset;
      for (size_t count : {size_t{1}, size_t{9}, size_t{63}, size_t{64}, size_t{65}, size_t{130}}) {
        const std::vector<int8_t> values = random_values(count, lo, hi, rng);
        const std::vector<uint8_t> packed = pack_plane(values, c);
        ASSERT_EQ(packed.size(), format::packed_plane_bytes(count, width));
        for (size_t i = 0; i < count; ++i) ASSERT_EQ(testing::plane_element(packed, i, width, offset), values[i]) << i;
        // Exactly the packed bytes, on the heap: any over-read is a sanitizer error.
        const auto* data = packed.empty() ? nullptr : packed.data();
        for (size_t first = 0; first <= count; ++first) {
          for (size_t n = 0; first + n <= count; ++n) {
            std::vector<int8_t> out(n + 1, 99);
            unpack_plane({data, width, offset}, first, n, out.data());
            for (size_t i = 0; i < n; ++i) {
              ASSERT_EQ(out[i], values[first + i]) << "width " << width << " offset " << offset << " count " << count
                                                   << " first " << first << " n " << n << " i " << i;
            }
            ASSERT_EQ(out[n], 99) << "wrote past the slice";
          }
        }
      }
    }
  }
}

TEST(PackedPlaneTest, NarrowestCodingFitsTheValuesExactly) {
  struct Case {
    std::vector<int8_t> values;
    int width;
  };
  const std::vector<Case> cases = {
      {{5, 5, 5}, 0},             // a constant plane stores nothing
      {{-2, -1, 0, 1, 2, 3}, 3},  // 8:6 nearest low plane: six values need 3 bits
      {{0, 1, 2, 3}, 2},          // truncation's low plane: l bits
      {{-32, 31}, 6},             // a 6-bit high plane
      {{-127, 127}, 8},           // int8 weights
      {{-128, 127}, 8},           // the whole int8 range
      {{100, 127}, 5},            // far from zero: the offset moves the range
      {{-128, -97}, 5},
  };
  for (const Case& k : cases) {
    const PlaneCoding c = narrowest_plane_coding(k.values);
    EXPECT_EQ(c.width, k.width) << int(k.values.front()) << ".." << int(k.values.back());
    EXPECT_TRUE(format::plane_coding_valid(c));
    const std::vector<uint8_t> packed = pack_plane(k.values, c);
    std::vector<int8_t> out(k.values.size());
    unpack_plane({packed.data(), c.width, c.offset}, 0, out.size(), out.data());
    EXPECT_EQ(out, k.values);
  }
}

TEST(PackedPlaneTest, RejectsCodingsThatLeaveInt8AndValuesThatDoNotFit) {
  EXPECT_FALSE(format::plane_coding_valid({9, 0}));
  EXPECT_FALSE(format::plane_coding_valid({-1, 0}));
  EXPECT_FALSE(format::plane_coding_valid({8, 1}));    // 127 + 1
  EXPECT_FALSE(format::plane_coding_valid({4, 121}));  // 121 + 7 = 128
  EXPECT_TRUE(format::plane_coding_valid({4, 120}));
  EXPECT_TRUE(format::plane_coding_valid({0, -128}));
  const std::vector<int8_t> values = {0, 4};
  EXPECT_THROW(pack_plane(values, {2, 0}), std::invalid_argument);  // 4 > 1
  EXPECT_THROW(pack_plane(values, {9, 0}), std::invalid_argument);
}

}  // namespace
}  // namespace nestrt::kernels

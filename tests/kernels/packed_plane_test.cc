// The plane coding round trip: the writer's pack_plane (format) against the kernels'
// unpack_plane, for every width, at every start and length, with the plane in a buffer of exactly
// its packed size (so AddressSanitizer catches a read past its end). The fused unpack_nested
// against unpack_plane of both planes followed by decode_row. Both through every unpack table this
// CPU runs (baseline, AVX2, AVX-512), with equality.
#include "nestrt/kernels/packed_plane.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gemm/decode_row.h"
#include "nestrt/format/plane_coding.h"
#include "plane_values.h"
#include "unpack/unpack_table.h"

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

// Names the tables a run exercised, so a table this CPU skipped is visible in the log.
void report_tables() {
  std::string names;
  for (const UnpackTable* t : unpack_tables_available()) names += std::string(names.empty() ? "" : ",") + t->name;
  ::testing::Test::RecordProperty("unpack_tables", names);
  std::printf("unpack tables run: %s\n", names.c_str());
}

TEST(PackedPlaneTest, UnpacksEverySliceOfEveryWidth) {
  report_tables();
  for (const UnpackTable* table : unpack_tables_available()) {
    SCOPED_TRACE(table->name);
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
          for (size_t i = 0; i < count; ++i)
            ASSERT_EQ(testing::plane_element(packed, i, width, offset), values[i]) << i;
          // Exactly the packed bytes, on the heap: any over-read is a sanitizer error.
          const auto* data = packed.empty() ? nullptr : packed.data();
          for (size_t first = 0; first <= count; ++first) {
            for (size_t n = 0; first + n <= count; ++n) {
              std::vector<int8_t> out(n + 1, 99);
              unpack_plane_with(*table, {data, width, offset}, first, n, out.data());
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
}

// A random valid coding of the given width and values inside it, with both ends of the range
// placed in every block (so high * 2^l + low leaves int8 and wraps, for most codings).
struct RandomPlane {
  PlaneCoding coding;
  std::vector<int8_t> values;
  std::vector<uint8_t> packed;  // exactly the packed bytes: any over-read is a sanitizer error
  PackedPlane plane() const { return {packed.empty() ? nullptr : packed.data(), coding.width, coding.offset}; }
};

RandomPlane random_plane(int width, size_t count, std::mt19937& rng) {
  const int half = width ? 1 << (width - 1) : 0;
  const int offset = width == 8 ? 0 : std::uniform_int_distribution<int>(-128 + half, 127 - std::max(half - 1, 0))(rng);
  RandomPlane p{{width, offset}, {}, {}};
  const int lo = offset - half, hi = width ? offset + half - 1 : offset;
  p.values = random_values(count, lo, hi, rng);
  for (size_t i = 0; i < count; i += 29) p.values[i] = int8_t(i % 2 ? lo : hi);
  p.packed = pack_plane(p.values, p.coding);
  return p;
}

TEST(PackedPlaneTest, UnpackNestedMatchesUnpackPlaneThenDecodeRow) {
  std::mt19937 rng(11);
  constexpr size_t kCount = 3 * 64 + 8;  // whole blocks and a partial last block
  // Starts and lengths at and around the 64-element block boundaries, and random slices.
  std::vector<std::pair<size_t, size_t>> slices;
  constexpr size_t kFirsts[] = {0, 1, 31, 63, 64, 65, 127, 128, 129, 191, 192, 199, 200};
  constexpr size_t kLengths[] = {0, 1, 2, 63, 64, 65, 127, 128, 129, 200};
  for (size_t first : kFirsts) {
    for (size_t n : kLengths) slices.emplace_back(first, std::min(n, kCount - first));
  }
  std::uniform_int_distribution<size_t> pos(0, kCount);
  for (int i = 0; i < 16; ++i) {
    const size_t a = pos(rng), b = pos(rng);
    slices.emplace_back(std::min(a, b), std::max(a, b) - std::min(a, b));
  }
  report_tables();
  for (const UnpackTable* table : unpack_tables_available()) {
    SCOPED_TRACE(table->name);
    for (int hw = 0; hw <= 8; ++hw) {
      for (int lw = 0; lw <= 8; ++lw) {
        for (unsigned lb = 0; lb <= 7; ++lb) {
          const RandomPlane high = random_plane(hw, kCount, rng), low = random_plane(lw, kCount, rng);
          std::vector<int8_t> expected(kCount);  // from the values the planes were packed from
          decode_row(lb, high.values.data(), low.values.data(), kCount, expected.data());
          for (const auto& [first, n] : slices) {
            std::vector<int8_t> out(n + 1, 99);
            unpack_nested_with(*table, high.plane(), low.plane(), lb, first, n, out.data());
            const std::vector<int8_t> want(expected.begin() + first, expected.begin() + first + n);
            ASSERT_EQ(std::vector<int8_t>(out.begin(), out.begin() + n), want)
                << "high " << hw << "/" << high.coding.offset << " low " << lw << "/" << low.coding.offset << " lb "
                << lb << " first " << first << " n " << n;
            ASSERT_EQ(out[n], 99) << "wrote past the slice";
          }
        }
      }
    }
  }
}

// The reductions each table carries: exact sums, and dot products that wrap like int32 lanes
// (70000 extreme products pass 2^31), at every length around the vector widths.
TEST(PackedPlaneTest, SumsAndDotsOfEveryTableMatchScalarArithmetic) {
  report_tables();
  std::mt19937 rng(13);
  for (const UnpackTable* table : unpack_tables_available()) {
    SCOPED_TRACE(table->name);
    std::vector<size_t> lengths(130);
    for (size_t i = 0; i < lengths.size(); ++i) lengths[i] = i;
    lengths.push_back(1000);
    lengths.push_back(70001);
    for (size_t n : lengths) {
      for (bool extreme : {false, true}) {
        std::vector<int8_t> w(n + 1);
        std::vector<int16_t> x(n + 1);
        std::uniform_int_distribution<int> d8(-128, 127), d16(-255, 255);
        for (size_t i = 0; i < n; ++i) {
          w[i] = int8_t(extreme ? -128 : d8(rng));
          x[i] = int16_t(extreme ? -32768 : d16(rng));
        }
        int32_t sum = 0;
        uint32_t dot = 0;
        for (size_t i = 0; i < n; ++i) sum += w[i], dot += uint32_t(int32_t(w[i]) * int32_t(x[i]));
        // Offset by one element: the reductions must not assume aligned rows.
        std::vector<int8_t> wu(w.size() + 1);
        std::copy(w.begin(), w.end(), wu.begin() + 1);
        ASSERT_EQ(table->sum(wu.data() + 1, n), sum) << "n " << n;
        ASSERT_EQ(table->dot_centred(w.data(), x.data(), n), int32_t(dot)) << "n " << n << " extreme " << extreme;
      }
    }
  }
}

TEST(PackedPlaneTest, UnpackNestedWrapsLikeDecodeRow) {
  // high 6-bit -32 with low 2-bit -2 at l = 2: -130 wraps to 126; high 31 << 3 = 248 wraps to -8.
  const std::vector<int8_t> high = {-32, -32, 31, 0}, low = {-2, 1, 0, -1};
  const std::vector<uint8_t> hp = pack_plane(high, {6, 0}), lp = pack_plane(low, {2, 0});
  std::vector<int8_t> out(4);
  unpack_nested({hp.data(), 6, 0}, {lp.data(), 2, 0}, 2, 0, 4, out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{126, -127, 124, -1}));
  unpack_nested({hp.data(), 6, 0}, {lp.data(), 2, 0}, 3, 2, 1, out.data());
  EXPECT_EQ(out[0], -8);
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

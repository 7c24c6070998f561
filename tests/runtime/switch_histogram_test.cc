// nestrt_stats.switch_histogram: every switch lands in the bucket its reported duration belongs
// to (bounds documented in nestrt.h), and no-op switches are not counted.
#include <algorithm>
#include <array>

#include "fashion_fixture.h"

namespace nestrt::testing {
namespace {

size_t expected_bucket(uint64_t ns) {
  const uint64_t us_bounds[] = {16, 64, 256, 1024, 4096, 16384, 65536};
  for (size_t b = 0; b < 7; ++b) {
    if (ns < us_bounds[b] * 1000) return b;
  }
  return 7;
}

TEST(SwitchHistogramTest, CountsEverySwitchInTheBucketOfItsDuration) {
  static_assert(NESTRT_SWITCH_HISTOGRAM_BUCKETS == 8);
  nestrt_model* model = load_model(NESTRT_MODE_FULL);
  const uint32_t levels = nestrt_model_level_count(model);
  std::array<uint64_t, NESTRT_SWITCH_HISTOGRAM_BUCKETS> expected{};
  uint64_t switches = 0;
  for (int cycle = 0; cycle < 10; ++cycle) {
    for (uint32_t level : {levels, 0u, levels / 2, 0u}) {  // every step changes the level
      nestrt_switch_info info;
      ASSERT_EQ(nestrt_switch_level(model, level, &info), NESTRT_OK) << nestrt_last_error();
      ASSERT_NE(info.previous_level, info.level);
      expected[expected_bucket(info.duration_ns)]++;
      ++switches;
    }
  }
  ASSERT_EQ(nestrt_switch(model, NESTRT_MODE_FULL, nullptr), NESTRT_OK);  // already full: not a switch
  nestrt_stats s;
  ASSERT_EQ(nestrt_model_stats(model, &s), NESTRT_OK);
  nestrt_model_release(model);
  EXPECT_EQ(s.switch_count, switches);
  std::array<uint64_t, NESTRT_SWITCH_HISTOGRAM_BUCKETS> got{};
  std::copy(std::begin(s.switch_histogram), std::end(s.switch_histogram), got.begin());
  EXPECT_EQ(got, expected);
}

}  // namespace
}  // namespace nestrt::testing

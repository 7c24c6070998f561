// Activation range estimators (--calib-method): percentile and MSE on data whose answer is known
// in closed form, and calibration of a real graph with each method.
#include "range_estimators.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "nestrt/converter/normalise.h"
#include "nestrt/converter/onnx_import.h"
#include "nestrt/io/sample_source.h"
#include "test_util.h"

namespace nestrt::converter {
namespace {

// n values evenly spread over [0, 1) plus one outlier.
ValueHistogram uniform_with_outlier(size_t n, float outlier) {
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i) values[i] = static_cast<float>(i) / static_cast<float>(n);
  values.push_back(outlier);
  ValueHistogram h(0.0f, outlier, 2048);
  h.add(values);
  return h;
}

TEST(RangeEstimators, PercentileDropsTheOutlierAndKeepsAOneSidedLowerBound) {
  const ValueHistogram h = uniform_with_outlier(10000, 100.0f);
  const Range r = percentile_range(h, 99.9);  // 0.05% per tail: 5 values, the outlier among them
  const float bin = 100.0f / 2048;
  EXPECT_EQ(r.min, 0.0f);  // ReLU-like data: nothing below 0 to drop
  EXPECT_GT(r.max, 1.0f - 2 * bin);
  EXPECT_LT(r.max, 1.0f + 2 * bin);
  const Range all = percentile_range(h, 100.0);
  EXPECT_EQ(all.max, 100.0f);
}

// With n values in [0, 1) and one outlier at D, a range [0, h] with h >= 1 costs (D - h)^2 for the
// outlier plus n (h / 255)^2 / 12 of rounding; the minimum is at h = D / (1 + n / (255^2 * 12)).
TEST(RangeEstimators, MseFindsTheClosedFormOptimumForOneOutlier) {
  for (size_t n : {10000u, 1000000u, 4000000u}) {
    SCOPED_TRACE(n);
    const double expected = 50.0 / (1.0 + static_cast<double>(n) / (255.0 * 255.0 * 12.0));
    const Range r = mse_range(uniform_with_outlier(n, 50.0f));
    EXPECT_NEAR(r.max, expected, 0.3);  // the search grid is 50/256 wide
    EXPECT_EQ(r.min, 0.0f);
  }
}

TEST(RangeEstimators, SymmetricDataShrinksBothEnds) {
  std::vector<float> values;
  for (int i = -100000; i <= 100000; ++i) values.push_back(static_cast<float>(i) / 100000.0f);  // [-1, 1]
  for (int i = 0; i < 100; ++i) values.push_back(i % 2 ? 1000.0f : -1000.0f);                   // rare far outliers
  ValueHistogram h(-1000.0f, 1000.0f, 2048);
  h.add(values);
  const Range r = percentile_range(h, 99.9);
  EXPECT_LT(r.max, 3.0f);
  EXPECT_GT(r.min, -3.0f);
  EXPECT_GT(r.max, 0.0f);
  EXPECT_LT(r.min, 0.0f);
}

TEST(RangeEstimators, CalibrationWithEachMethodStaysInsideTheObservedRange) {
  testing::TempDir dir;
  testing::tiny_cnn().save(dir.file("tiny.onnx"));
  testing::write_npy(dir.file("calib.npy"), {16, 1, 8, 8}, testing::random_floats(16 * 64, 42, 0.0f, 1.0f));
  Graph graph = import_onnx_file(dir.file("tiny.onnx"));
  normalise(graph);
  const io::SampleSource samples(dir.file("calib.npy"), std::array<int64_t, 4>{1, 1, 8, 8}, io::Preprocess{});
  size_t progress_calls = 0, last_total = 0;
  const auto minmax = calibrate(graph, samples, 0);
  for (RangeMethod method : {RangeMethod::kPercentile, RangeMethod::kMse}) {
    SCOPED_TRACE(range_method_name(method));
    RangeOptions options;
    options.method = method;
    options.percentile = 99.0;
    const auto ranges = calibrate(
        graph, samples, 0, [&](size_t, size_t total) { ++progress_calls, last_total = total; }, options);
    ASSERT_EQ(ranges.size(), minmax.size());
    EXPECT_EQ(last_total, 32u);  // two passes over the 16 samples
    bool narrower = false;
    for (size_t v = 0; v < ranges.size(); ++v) {
      EXPECT_GE(ranges[v].min, minmax[v].min) << graph.values[v].name;
      EXPECT_LE(ranges[v].max, minmax[v].max) << graph.values[v].name;
      narrower |= ranges[v].max < minmax[v].max || ranges[v].min > minmax[v].min;
    }
    EXPECT_TRUE(narrower) << "no tensor's range changed";
  }
  EXPECT_EQ(progress_calls, 64u);
  RangeOptions bad;
  bad.method = RangeMethod::kPercentile;
  bad.percentile = 20.0;
  EXPECT_NE(testing::error_of<ConversionError>([&] { calibrate(graph, samples, 0, {}, bad); }).find("[50, 100]"),
            std::string::npos);
}

}  // namespace
}  // namespace nestrt::converter

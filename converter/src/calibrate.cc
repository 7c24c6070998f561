#include "nestrt/converter/calibrate.h"

#include <algorithm>
#include <cmath>

#include "nestrt/converter/error.h"
#include "nestrt/converter/float_executor.h"
#include "nestrt/io/sample_source.h"
#include "range_estimators.h"

namespace nestrt::converter {

const char* range_method_name(RangeMethod method) {
  switch (method) {
    case RangeMethod::kMinMax: return "minmax";
    case RangeMethod::kPercentile: return "percentile";
    case RangeMethod::kMse: return "mse";
  }
  return "?";
}

bool parse_range_method(const std::string& text, RangeMethod* method) {
  for (RangeMethod m : {RangeMethod::kMinMax, RangeMethod::kPercentile, RangeMethod::kMse}) {
    if (text == range_method_name(m)) {
      *method = m;
      return true;
    }
  }
  return false;
}

namespace {

constexpr size_t kHistogramBins = 2048;

// Second pass of percentile/mse: histograms over the min/max ranges of the first, on the first
// pass's executor (building another would pack every XNNPACK weight again).
std::vector<Range> refine_ranges(FloatExecutor& executor, const io::SampleSource& samples, size_t total,
                                 const std::vector<Range>& minmax, const ProgressFn& progress,
                                 const RangeOptions& options) {
  std::vector<ValueHistogram> histograms;
  histograms.reserve(minmax.size());
  for (const Range& r : minmax) histograms.emplace_back(r.min, r.max, kHistogramBins);
  for (size_t s = 0; s < total; ++s) {
    const std::vector<std::vector<float>>& values = executor.run_all(samples.get(s));
    for (size_t v = 0; v < values.size(); ++v) histograms[v].add(values[v]);
    if (progress) progress(total + s + 1, 2 * total);
  }
  std::vector<Range> ranges(minmax.size());
  for (size_t v = 0; v < ranges.size(); ++v) {
    ranges[v] = histograms[v].total() == 0                   ? minmax[v]
                : options.method == RangeMethod::kPercentile ? percentile_range(histograms[v], options.percentile)
                                                             : mse_range(histograms[v]);
  }
  return ranges;
}

}  // namespace

std::vector<Range> calibrate(const Graph& graph, const io::SampleSource& samples, size_t count,
                             const ProgressFn& progress, const RangeOptions& options) {
  const size_t total = count == 0 ? samples.size() : std::min(count, samples.size());
  if (total == 0) throw ConversionError("calibration: " + samples.description() + " holds no samples");
  if (options.method == RangeMethod::kPercentile && !(options.percentile >= 50.0 && options.percentile <= 100.0)) {
    throw ConversionError("calibration: the percentile must be in [50, 100], not " +
                          std::to_string(options.percentile));
  }
  const bool two_pass = options.method != RangeMethod::kMinMax;
  std::vector<Range> ranges(graph.values.size());
  std::vector<bool> seen(graph.values.size(), false);
  FloatExecutor executor(graph, options.engine);
  for (size_t s = 0; s < total; ++s) {
    const std::vector<std::vector<float>>& values = executor.run_all(samples.get(s));
    for (size_t v = 0; v < values.size(); ++v) {
      if (values[v].empty()) continue;
      const auto [lo, hi] = std::minmax_element(values[v].begin(), values[v].end());
      const bool finite = std::all_of(values[v].begin(), values[v].end(), [](float x) { return std::isfinite(x); });
      if (!finite) {
        throw ConversionError("calibration: tensor '" + graph.values[v].name + "' has a non-finite value on sample " +
                              std::to_string(s) + " of " + samples.description());
      }
      if (!seen[v]) {
        ranges[v] = {*lo, *hi};
        seen[v] = true;
      } else {
        ranges[v].min = std::min(ranges[v].min, *lo);
        ranges[v].max = std::max(ranges[v].max, *hi);
      }
    }
    if (progress) progress(s + 1, two_pass ? 2 * total : total);
  }
  return two_pass ? refine_ranges(executor, samples, total, ranges, progress, options) : ranges;
}

}  // namespace nestrt::converter

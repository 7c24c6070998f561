#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/graph.h"

namespace nestrt::io {
class SampleSource;
}

namespace nestrt::converter {

struct Range {
  float min = 0.0f;
  float max = 0.0f;
};

// Called after each sample with (done, total).
using ProgressFn = std::function<void(size_t, size_t)>;

// How a tensor's quantisation range is chosen from the values it took during calibration.
enum class RangeMethod {
  kMinMax,      // the observed min and max: nothing clipped, outliers widen the step
  kPercentile,  // drop the most extreme (100 - percentile)% of values, half from each tail
  kMse,         // minimise expected squared quantisation error (clipping + rounding)
};
const char* range_method_name(RangeMethod method);  // "minmax", "percentile", "mse"
bool parse_range_method(const std::string& text, RangeMethod* method);

struct RangeOptions {
  RangeMethod method = RangeMethod::kMinMax;
  double percentile = 99.99;                   // kPercentile only, in [50, 100]
  FloatEngine engine = FloatEngine::kXnnpack;  // what runs the float graph on the samples
};

// Runs the float graph on the first `count` samples (all if count is 0 or larger than the source)
// and returns every value's range by `options.method` (percentile and mse run the samples twice:
// min/max first, then a 2048-bin histogram). Non-finite results are an error.
std::vector<Range> calibrate(const Graph& graph, const io::SampleSource& samples, size_t count,
                             const ProgressFn& progress = {}, const RangeOptions& options = {});

}  // namespace nestrt::converter

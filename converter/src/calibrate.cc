#include "nestrt/converter/calibrate.h"

#include <algorithm>
#include <cmath>

#include "nestrt/converter/error.h"
#include "nestrt/converter/float_executor.h"
#include "nestrt/io/sample_source.h"

namespace nestrt::converter {

std::vector<Range> calibrate(const Graph& graph, const io::SampleSource& samples, size_t count,
                             const ProgressFn& progress) {
  const size_t total = count == 0 ? samples.size() : std::min(count, samples.size());
  if (total == 0) throw ConversionError("calibration: " + samples.description() + " holds no samples");
  std::vector<Range> ranges(graph.values.size());
  std::vector<bool> seen(graph.values.size(), false);
  FloatExecutor executor(graph);
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
    if (progress) progress(s + 1, total);
  }
  return ranges;
}

}  // namespace nestrt::converter

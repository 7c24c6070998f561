#pragma once

#include <cstddef>
#include <functional>
#include <vector>

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

// Runs the float graph on the first `count` samples (all if count is 0 or larger than the source)
// and records every value's min and max. Non-finite results are an error.
std::vector<Range> calibrate(const Graph& graph, const io::SampleSource& samples, size_t count,
                             const ProgressFn& progress = {});

}  // namespace nestrt::converter

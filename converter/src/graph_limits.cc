#include "graph_limits.h"

#include <cmath>
#include <span>

#include "nestrt/converter/error.h"

namespace nestrt::converter {
namespace {

// Index of the first non-finite value, or -1.
int64_t first_non_finite(std::span<const float> values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) return static_cast<int64_t>(i);
  }
  return -1;
}

}  // namespace

int64_t checked_element_count(const Shape& shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d <= 0 || __builtin_mul_overflow(count, d, &count) || count > kMaxTensorElements) return -1;
  }
  return count;
}

void check_graph_limits(const Graph& graph, const std::string& source) {
  for (const Value& value : graph.values) {
    if (checked_element_count(value.shape) < 0) {
      throw ConversionError(source + ": value '" + value.name + "' has shape " + shape_string(value.shape) +
                            ": every dimension must be positive and the tensor at most " +
                            std::to_string(kMaxTensorElements) + " elements");
    }
  }
  for (const Node& node : graph.nodes) {
    const std::pair<const char*, std::span<const float>> arrays[] = {{"weights", node.weights},
                                                                     {"bias", node.bias},
                                                                     {"batch-norm scale", node.batch_norm.scale},
                                                                     {"batch-norm bias", node.batch_norm.bias},
                                                                     {"batch-norm mean", node.batch_norm.mean},
                                                                     {"batch-norm variance", node.batch_norm.variance}};
    for (const auto& [what, values] : arrays) {
      if (const int64_t i = first_non_finite(values); i >= 0) {
        throw ConversionError(source + ": " + graph.describe(node) + " node: " + what + " hold " +
                              (std::isnan(values[static_cast<size_t>(i)]) ? "NaN" : "infinity") + " at index " +
                              std::to_string(i) + ": the model cannot be quantised");
      }
    }
  }
}

}  // namespace nestrt::converter

#pragma once

#include <vector>

#include "nestrt/converter/graph.h"

namespace nestrt::converter {

// Reference float execution of the IR in NCHW (before or after normalise), used for calibration
// and to check the import against the source framework. Straightforward loops with double
// accumulation: calibration needs the model's float function, not speed.
class FloatExecutor {
 public:
  explicit FloatExecutor(const Graph& graph);

  // Runs the graph on one input (CHW floats of the input shape); returns every value's data,
  // indexed like graph.values (values no node produces stay empty, except the input).
  const std::vector<std::vector<float>>& run_all(const std::vector<float>& input);
  // The graph output for one input.
  std::vector<float> run(const std::vector<float>& input);
  // Re-runs graph.nodes[first_node..] over the values of the last run: after a change to that
  // node (its weights, say), the values before it still hold, so the result equals run_all's.
  // Returns the graph output.
  const std::vector<float>& run_from(size_t first_node);
  // Puts back the values of graph.nodes[first_node..] from an earlier run_all result.
  void restore_from(const std::vector<std::vector<float>>& values, size_t first_node);

 private:
  void execute(const Node& node);

  const Graph& graph_;
  std::vector<std::vector<float>> values_;
};

}  // namespace nestrt::converter

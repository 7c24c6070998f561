#pragma once

#include <memory>
#include <string>
#include <vector>

#include "nestrt/converter/graph.h"

namespace nestrt::converter {

class XnnpackFloatOps;

// What runs the float graph's nodes.
enum class FloatEngine {
  kReference,  // straightforward loops with double accumulation: the model's float function
  kXnnpack,    // XNNPACK f32 operators where XNNPACK has the node (conv, FC, add, pools), else reference
};
const char* float_engine_name(FloatEngine engine);  // "reference", "xnnpack"
bool parse_float_engine(const std::string& text, FloatEngine* engine);

// Float execution of the IR in NCHW (before or after normalise), used for calibration and to
// check the import against the source framework. With kXnnpack the weights are packed into
// XNNPACK operators at construction: callers that change a node's weights between runs
// (sensitivity, GPTQ statistics) use kReference.
class FloatExecutor {
 public:
  explicit FloatExecutor(const Graph& graph, FloatEngine engine = FloatEngine::kReference);
  ~FloatExecutor();
  FloatExecutor(const FloatExecutor&) = delete;
  FloatExecutor& operator=(const FloatExecutor&) = delete;
  // Nodes that run in XNNPACK (0 with kReference).
  size_t xnnpack_nodes() const;

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
  void execute(size_t index);

  const Graph& graph_;
  std::vector<std::vector<float>> values_;
  std::unique_ptr<XnnpackFloatOps> xnnpack_;
};

}  // namespace nestrt::converter

// Fuzzes the converter front end on serialized ONNX models: protobuf parsing, ONNX's checker and
// shape inference, our import and graph normalisation, then (for small graphs) the float
// reference executor. Every rejection must be a ConversionError (or another std::exception) with
// a message; anything else — a crash, a sanitizer report, a hang — is a finding.
#include <onnx/onnx_pb.h>

#include <cstdlib>
#include <exception>
#include <string>

#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/normalise.h"
#include "nestrt/converter/onnx_import.h"

namespace conv = nestrt::converter;

namespace {

// Runs the float executor only where it is cheap: small activations and weights.
bool small_enough(const conv::Graph& graph) {
  int64_t total = 0;
  for (const auto& value : graph.values) {
    for (int64_t d : value.shape) {
      if (d <= 0 || d > (1 << 14)) return false;
    }
    total += conv::element_count(value.shape);
    if (total > (1 << 14)) return false;
  }
  for (const auto& node : graph.nodes) {
    if (node.weights.size() > (1u << 12)) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(data, static_cast<int>(size))) return 0;
  try {
    conv::Graph graph = conv::import_onnx_model(model, "fuzz.onnx");
    conv::normalise(graph);
    if (small_enough(graph)) {
      conv::FloatExecutor executor(graph);
      executor.run(std::vector<float>(static_cast<size_t>(conv::element_count(graph.value(graph.input).shape)), 0.5f));
    }
  } catch (const std::exception& e) {
    if (std::string(e.what()).empty()) std::abort();
  }
  return 0;
}

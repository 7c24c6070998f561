// Import-time constant folding of the shape arithmetic exporters emit around Reshape (PyTorch's and
// paddle2onnx's Shape -> Gather/Slice -> Cast -> Unsqueeze -> Concat chains): with batch 1 and
// static shapes every such value is known while importing, so it becomes a constant.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "nestrt/converter/graph.h"
#include "onnx_constants.h"

namespace onnx {
class NodeProto;
}

namespace nestrt::converter {

struct FoldingContext {
  int64_t opset = 0;
  std::function<const ConstantTensor*(const std::string&)> constant;  // null: not a constant
  std::function<const Shape*(const std::string&)> activation_shape;   // null: not an activation
  std::string where;                                                  // message prefix naming the node
};

// True for the op types fold_constant may evaluate (Shape, Cast, Slice, Concat, Gather, Unsqueeze,
// Squeeze, Transpose (any rank), and arithmetic on constants).
bool is_foldable_op(const std::string& op_type);

// The node's output when every input it reads is a constant (Shape: an activation of static
// shape); nullopt when some input is computed at run time. Throws ConversionError for
// attributes or inputs the op does not accept.
std::optional<ConstantTensor> fold_constant(const onnx::NodeProto& node, const FoldingContext& context);

}  // namespace nestrt::converter

#include "nestrt/converter/graph.h"

namespace nestrt::converter {

std::string shape_string(const Shape& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

int64_t element_count(const Shape& shape) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  return count;
}

const char* op_kind_name(OpKind op) {
  switch (op) {
    case OpKind::kConv: return "Conv";
    case OpKind::kFullyConnected: return "FullyConnected";
    case OpKind::kAdd: return "Add";
    case OpKind::kAddConstant: return "AddConstant";
    case OpKind::kRelu: return "Relu";
    case OpKind::kClip: return "Clip";
    case OpKind::kBatchNorm: return "BatchNormalization";
    case OpKind::kMaxPool: return "MaxPool";
    case OpKind::kAveragePool: return "AveragePool";
    case OpKind::kGlobalAveragePool: return "GlobalAveragePool";
    case OpKind::kReshape: return "Reshape";
    case OpKind::kUnary: return "Unary";
    case OpKind::kMul: return "Mul";
    case OpKind::kBinary: return "Binary";
    case OpKind::kSoftmax: return "Softmax";
    case OpKind::kConcat: return "Concat";
    case OpKind::kResize: return "Resize";
    case OpKind::kZeroInsert: return "ZeroInsert";
  }
  return "?";
}

std::vector<int> Graph::consumers(int v) const {
  std::vector<int> result;
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (int read : nodes[n].inputs) {
      if (read == v) {
        result.push_back(static_cast<int>(n));
        break;
      }
    }
  }
  return result;
}

int Graph::producer(int v) const {
  for (size_t n = 0; n < nodes.size(); ++n) {
    if (nodes[n].output == v) return static_cast<int>(n);
  }
  return -1;
}

std::string Graph::describe(const Node& node) const {
  return node.onnx_op + " '" + node.name + "'";
}

}  // namespace nestrt::converter

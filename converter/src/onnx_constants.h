// Constant tensors of an ONNX model (initializers and Constant nodes) as float or int64 arrays.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nestrt/converter/graph.h"

namespace onnx {
class TensorProto;
class NodeProto;
}  // namespace onnx

namespace nestrt::converter {

struct ConstantTensor {
  Shape dims;
  bool integral = false;      // INT32 / INT64 source
  std::vector<float> floats;  // every constant, converted
  std::vector<int64_t> ints;  // integral constants only
};

// Throws ConversionError prefixed with `where` for external data, unsupported element types or
// a data size that does not match the dimensions.
ConstantTensor constant_from_tensor(const onnx::TensorProto& tensor, const std::string& where);
// The value of a Constant node (value, value_float(s), value_int(s) attributes).
ConstantTensor constant_from_node(const onnx::NodeProto& node, const std::string& where);

}  // namespace nestrt::converter

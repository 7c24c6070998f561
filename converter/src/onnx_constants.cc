#include "onnx_constants.h"

#include <onnx/defs/tensor_proto_util.h>
#include <onnx/onnx_pb.h>

#include "nestrt/converter/error.h"

namespace nestrt::converter {
namespace {

template <typename T>
std::vector<T> parse(const onnx::TensorProto& tensor, const std::string& where) {
  // libonnx 1.12's ParseData sizes its result as raw_data.size() / sizeof(T) and then copies all
  // of raw_data: a size that is not a whole number of elements writes past the end (found by
  // onnx_import_fuzzer).
  if (tensor.has_raw_data() && tensor.raw_data().size() % sizeof(T) != 0) {
    throw ConversionError(where + ": tensor '" + tensor.name() + "' has " + std::to_string(tensor.raw_data().size()) +
                          " bytes of raw data, not a whole number of " + std::to_string(sizeof(T)) + "-byte elements");
  }
  try {
    return onnx::ParseData<T>(&tensor);
  } catch (const std::exception& e) {
    throw ConversionError(where + ": cannot read tensor data: " + e.what());
  }
}

}  // namespace

ConstantTensor constant_from_tensor(const onnx::TensorProto& tensor, const std::string& where) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    throw ConversionError(where + ": tensor '" + tensor.name() +
                          "' keeps its data in an external file, which nestrt-convert does not read "
                          "(save the model with the data embedded)");
  }
  ConstantTensor c;
  c.dims.assign(tensor.dims().begin(), tensor.dims().end());
  int64_t count = 1;
  for (int64_t d : c.dims) {
    if (d < 0 || __builtin_mul_overflow(count, d, &count)) {
      throw ConversionError(where + ": tensor '" + tensor.name() + "' has invalid dimensions " + shape_string(c.dims));
    }
  }
  switch (tensor.data_type()) {
    case onnx::TensorProto::FLOAT: c.floats = parse<float>(tensor, where); break;
    case onnx::TensorProto::DOUBLE: {
      const std::vector<double> d = parse<double>(tensor, where);
      c.floats.assign(d.begin(), d.end());
      break;
    }
    case onnx::TensorProto::INT64: c.ints = parse<int64_t>(tensor, where); break;
    case onnx::TensorProto::INT32: {
      const std::vector<int32_t> i = parse<int32_t>(tensor, where);
      c.ints.assign(i.begin(), i.end());
      break;
    }
    default:
      throw ConversionError(
          where + ": tensor '" + tensor.name() + "' has element type " +
          onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(tensor.data_type())) +
          " (supported: FLOAT, DOUBLE, INT64, INT32)");
  }
  if (tensor.data_type() == onnx::TensorProto::INT64 || tensor.data_type() == onnx::TensorProto::INT32) {
    c.integral = true;
    c.floats.assign(c.ints.begin(), c.ints.end());
  }
  const size_t size = c.floats.size();
  if (static_cast<int64_t>(size) != count) {
    throw ConversionError(where + ": tensor '" + tensor.name() + "' of shape " + shape_string(c.dims) + " holds " +
                          std::to_string(size) + " values");
  }
  return c;
}

ConstantTensor constant_from_node(const onnx::NodeProto& node, const std::string& where) {
  for (const auto& attr : node.attribute()) {
    ConstantTensor c;
    if (attr.name() == "value") return constant_from_tensor(attr.t(), where);
    if (attr.name() == "value_float") {
      c.floats = {attr.f()};
    } else if (attr.name() == "value_floats") {
      c.floats.assign(attr.floats().begin(), attr.floats().end());
      c.dims = {static_cast<int64_t>(c.floats.size())};
    } else if (attr.name() == "value_int") {
      c.integral = true;
      c.ints = {attr.i()};
    } else if (attr.name() == "value_ints") {
      c.integral = true;
      c.ints.assign(attr.ints().begin(), attr.ints().end());
      c.dims = {static_cast<int64_t>(c.ints.size())};
    } else {
      throw ConversionError(where + ": Constant attribute '" + attr.name() + "' is not supported");
    }
    if (c.integral) c.floats.assign(c.ints.begin(), c.ints.end());
    return c;
  }
  throw ConversionError(where + ": Constant node has no value");
}

}  // namespace nestrt::converter

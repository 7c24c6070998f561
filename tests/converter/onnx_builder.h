// Builds small ONNX models in memory for the converter tests (ONNX's own protobuf classes).
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>
#include <vector>

namespace nestrt::converter::testing {

class OnnxBuilder {
 public:
  explicit OnnxBuilder(int64_t opset = 13);

  // Graph input; a negative dimension is symbolic ("N").
  void input(const std::string& name, const std::vector<int64_t>& shape);
  // Graph output of the given rank, dimensions left to shape inference.
  void output(const std::string& name, int rank = 2);
  void initializer(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values);
  void initializer_i64(const std::string& name, const std::vector<int64_t>& dims, const std::vector<int64_t>& values);
  // A Constant node holding a float tensor.
  void constant(const std::string& name, const std::vector<int64_t>& dims, const std::vector<float>& values);
  onnx::NodeProto& node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::vector<std::string>& outputs, const std::string& name = "");

  const onnx::ModelProto& model() const { return model_; }
  void save(const std::string& path) const;

 private:
  onnx::ModelProto model_;
};

void set_int(onnx::NodeProto& node, const std::string& name, int64_t value);
void set_ints(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values);
void set_float(onnx::NodeProto& node, const std::string& name, float value);
void set_string(onnx::NodeProto& node, const std::string& name, const std::string& value);

// Deterministic pseudo-random floats in [lo, hi).
std::vector<float> random_floats(size_t count, uint32_t seed, float lo = -1.0f, float hi = 1.0f);

}  // namespace nestrt::converter::testing

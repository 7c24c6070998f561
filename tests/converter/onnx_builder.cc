#include "onnx_builder.h"

#include <fstream>
#include <random>
#include <stdexcept>

namespace nestrt::converter::testing {

OnnxBuilder::OnnxBuilder(int64_t opset) {
  model_.set_ir_version(7);
  model_.set_producer_name("nestrt-tests");
  auto* op = model_.add_opset_import();
  op->set_domain("");
  op->set_version(opset);
  model_.mutable_graph()->set_name("test");
}

void OnnxBuilder::input(const std::string& name, const std::vector<int64_t>& shape) {
  auto* in = model_.mutable_graph()->add_input();
  in->set_name(name);
  auto* type = in->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : shape) {
    auto* dim = type->mutable_shape()->add_dim();
    if (d < 0) {
      dim->set_dim_param("N");
    } else {
      dim->set_dim_value(d);
    }
  }
}

void OnnxBuilder::output(const std::string& name, int rank) {
  auto* out = model_.mutable_graph()->add_output();
  out->set_name(name);
  auto* type = out->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  for (int i = 0; i < rank; ++i) type->mutable_shape()->add_dim();
}

namespace {
void fill_tensor(onnx::TensorProto* t, const std::string& name, const std::vector<int64_t>& dims,
                 const std::vector<float>& values) {
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  for (float v : values) t->add_float_data(v);
}
}  // namespace

void OnnxBuilder::initializer(const std::string& name, const std::vector<int64_t>& dims,
                              const std::vector<float>& values) {
  // Raw little-endian bytes, as exporters write them.
  auto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->add_dims(d);
  t->set_raw_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float)));
}

void OnnxBuilder::initializer_i64(const std::string& name, const std::vector<int64_t>& dims,
                                  const std::vector<int64_t>& values) {
  auto* t = model_.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::INT64);
  for (int64_t d : dims) t->add_dims(d);
  for (int64_t v : values) t->add_int64_data(v);
}

void OnnxBuilder::constant(const std::string& name, const std::vector<int64_t>& dims,
                           const std::vector<float>& values) {
  onnx::NodeProto& n = node("Constant", {}, {name}, name + "_constant");
  auto* attr = n.add_attribute();
  attr->set_name("value");
  attr->set_type(onnx::AttributeProto::TENSOR);
  fill_tensor(attr->mutable_t(), name, dims, values);
}

onnx::NodeProto& OnnxBuilder::node(const std::string& op, const std::vector<std::string>& inputs,
                                   const std::vector<std::string>& outputs, const std::string& name) {
  onnx::NodeProto* n = model_.mutable_graph()->add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const auto& i : inputs) n->add_input(i);
  for (const auto& o : outputs) n->add_output(o);
  return *n;
}

void OnnxBuilder::save(const std::string& path) const {
  std::ofstream out(path, std::ios::binary);
  if (!model_.SerializeToOstream(&out)) throw std::runtime_error("cannot write " + path);
}

void set_int(onnx::NodeProto& node, const std::string& name, int64_t value) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void set_ints(onnx::NodeProto& node, const std::string& name, const std::vector<int64_t>& values) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void set_float(onnx::NodeProto& node, const std::string& name, float value) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}

void set_string(onnx::NodeProto& node, const std::string& name, const std::string& value) {
  auto* a = node.add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::STRING);
  a->set_s(value);
}

std::vector<float> random_floats(size_t count, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(count);
  for (float& x : v) x = dist(rng);
  return v;
}

}  // namespace nestrt::converter::testing

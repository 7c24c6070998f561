// ONNX -> float IR. ONNX's own protobuf classes, checker and shape inference do the parsing and
// validation; this file maps each supported operator to IR nodes and computes shapes itself
// (cross-checked against ONNX shape inference).
#include "nestrt/converter/onnx_import.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <map>
#include <set>

#include "constant_folding.h"
#include "graph_limits.h"
#include "isolated_shape_inference.h"
#include "nestrt/converter/error.h"
#include "onnx_attributes.h"
#include "onnx_constants.h"
#include "spatial.h"
#include "unary_function.h"
#define XXH_INLINE_ALL
#include <xxhash.h>

namespace nestrt::converter {
namespace {

class Importer {
 public:
  Importer(onnx::ModelProto model, std::string source, Shape input_shape)
      : model_(std::move(model)), source_(std::move(source)), input_shape_(std::move(input_shape)) {}
  Graph run();

 private:
  using Handler = void (Importer::*)(const onnx::NodeProto&, Node&);
  static const std::map<std::string, Handler>& handlers();

  void check_and_infer();
  void read_opset();
  void collect_initializers();
  void add_graph_input();
  void import_node(const onnx::NodeProto& proto, size_t index);
  void set_graph_output();
  void cross_check_shapes() const;

  void import_conv(const onnx::NodeProto& proto, Node& node);
  // Conv / ConvTranspose input 2, or zeros when it is absent.
  std::vector<float> conv_bias(const onnx::NodeProto& proto, const Node& node, int64_t out_channels);
  void import_conv_transpose(const onnx::NodeProto& proto, Node& node);
  void import_transpose(const onnx::NodeProto& proto, Node& node);  // of an activation
  void import_gemm(const onnx::NodeProto& proto, Node& node);
  void import_matmul(const onnx::NodeProto& proto, Node& node);
  void import_add(const onnx::NodeProto& proto, Node& node);
  void import_arithmetic(const onnx::NodeProto& proto, Node& node);  // Sub, Mul, Div
  void import_hard_sigmoid(const onnx::NodeProto& proto, Node& node);
  void import_hard_swish(const onnx::NodeProto& proto, Node& node);
  void import_sigmoid(const onnx::NodeProto& proto, Node& node);
  void import_softmax(const onnx::NodeProto& proto, Node& node);
  void import_concat(const onnx::NodeProto& proto, Node& node);
  void import_resize(const onnx::NodeProto& proto, Node& node);  // Resize and Upsample
  void import_relu(const onnx::NodeProto& proto, Node& node);
  void import_clip(const onnx::NodeProto& proto, Node& node);
  void import_batch_norm(const onnx::NodeProto& proto, Node& node);
  void import_max_pool(const onnx::NodeProto& proto, Node& node);
  void import_average_pool(const onnx::NodeProto& proto, Node& node);
  void import_global_average_pool(const onnx::NodeProto& proto, Node& node);
  void import_flatten(const onnx::NodeProto& proto, Node& node);
  void pass_through(const onnx::NodeProto& proto, const Node& node);
  void import_reshape(const onnx::NodeProto& proto, Node& node);

  // Folds a node whose inputs are all known now (constant_folding.h); true when it did.
  bool try_fold(const onnx::NodeProto& proto, const Node& node);
  // node := unary(activation input i).
  void make_unary(const onnx::NodeProto& proto, Node& node, int x, UnaryFunction f);
  // Add/Sub/Mul/Div with one scalar constant operand as a unary node; false if no operand is one.
  bool import_scalar_arithmetic(const onnx::NodeProto& proto, Node& node, char op);

  // Shared by the pools: window attributes -> node.pool, returns the output shape.
  Shape import_pool_window(const onnx::NodeProto& proto, Node& node, bool average);
  // Fully connected node from weights [O, I] (row-major) and bias [O].
  void make_fully_connected(Node& node, int input, std::vector<float> weights, int64_t out, int64_t in,
                            std::vector<float> bias);

  std::string where(const Node& node) const { return source_ + ": " + node.onnx_op + " node '" + node.name + "'"; }
  std::string opset_note() const { return " (opset " + std::to_string(graph_.opset) + ")"; }
  [[noreturn]] void fail(const Node& node, const std::string& message) const {
    throw ConversionError(where(node) + ": " + message);
  }
  bool has_input(const onnx::NodeProto& proto, int i) const {
    return proto.input_size() > i && !proto.input(i).empty();
  }
  bool is_constant(const std::string& name) const { return constants_.count(name) != 0; }
  // Input i as an activation value index.
  int activation(const onnx::NodeProto& proto, const Node& node, int i) const;
  // Input i as a constant.
  const ConstantTensor& constant(const onnx::NodeProto& proto, const Node& node, int i, const char* role) const;
  const Shape& shape_of(int value) const { return graph_.values[static_cast<size_t>(value)].shape; }
  void require_rank(const Node& node, int value, size_t rank) const;
  int add_value(const std::string& name, Shape shape);

  // Fixes the graph input's dimensions to input_shape_ before shape inference.
  void apply_input_shape(onnx::ValueInfoProto& input) const;

  onnx::ModelProto model_;
  std::string source_;
  Shape input_shape_;  // empty: as the model declares it
  Graph graph_;
  std::map<std::string, ConstantTensor> constants_;
  std::map<std::string, int> values_by_name_;
  std::set<std::string> used_names_;       // read by some node or a graph output
  std::map<std::string, Shape> inferred_;  // ONNX shape inference; -1 for unknown dims
};

const std::map<std::string, Importer::Handler>& Importer::handlers() {
  static const std::map<std::string, Handler> table = {
      {"Conv", &Importer::import_conv},
      {"ConvTranspose", &Importer::import_conv_transpose},
      {"Transpose", &Importer::import_transpose},
      {"Gemm", &Importer::import_gemm},
      {"MatMul", &Importer::import_matmul},
      {"Add", &Importer::import_add},
      {"Sub", &Importer::import_arithmetic},
      {"Mul", &Importer::import_arithmetic},
      {"Div", &Importer::import_arithmetic},
      {"HardSigmoid", &Importer::import_hard_sigmoid},
      {"HardSwish", &Importer::import_hard_swish},
      {"Sigmoid", &Importer::import_sigmoid},
      {"Softmax", &Importer::import_softmax},
      {"Concat", &Importer::import_concat},
      {"Resize", &Importer::import_resize},
      {"Upsample", &Importer::import_resize},
      {"Relu", &Importer::import_relu},
      {"Clip", &Importer::import_clip},
      {"BatchNormalization", &Importer::import_batch_norm},
      {"MaxPool", &Importer::import_max_pool},
      {"AveragePool", &Importer::import_average_pool},
      {"GlobalAveragePool", &Importer::import_global_average_pool},
      {"Flatten", &Importer::import_flatten},
      {"Reshape", &Importer::import_reshape},
  };
  return table;
}

Shape dims_of(const onnx::TypeProto& type) {
  Shape shape;
  for (const auto& dim : type.tensor_type().shape().dim()) shape.push_back(dim.has_dim_value() ? dim.dim_value() : -1);
  return shape;
}

Graph Importer::run() {
  check_and_infer();
  read_opset();
  collect_initializers();
  add_graph_input();
  for (const auto& node : model_.graph().node()) {
    for (const auto& input : node.input()) used_names_.insert(input);
  }
  for (const auto& output : model_.graph().output()) used_names_.insert(output.name());
  for (int i = 0; i < model_.graph().node_size(); ++i) import_node(model_.graph().node(i), static_cast<size_t>(i));
  set_graph_output();
  cross_check_shapes();
  check_graph_limits(graph_, source_);
  graph_.source_path = source_;
  return graph_;
}

void Importer::check_and_infer() {
  try {
    onnx::checker::check_model(model_);
  } catch (const std::exception& e) {
    throw ConversionError(source_ + ": the ONNX checker rejects the model: " + e.what());
  }
  // Batch 1: a symbolic (or missing) batch dimension of the input becomes 1 before shape inference.
  std::set<std::string> initializers;
  for (const auto& init : model_.graph().initializer()) initializers.insert(init.name());
  for (auto& input : *model_.mutable_graph()->mutable_input()) {
    if (initializers.count(input.name()) != 0 || !input.type().tensor_type().has_shape()) continue;
    if (!input_shape_.empty()) apply_input_shape(input);
    auto* shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
    if (shape->dim_size() > 0 && !shape->dim(0).has_dim_value()) shape->mutable_dim(0)->set_dim_value(1);
  }
  infer_shapes_isolated(model_, source_);
  for (const auto& info : model_.graph().value_info()) inferred_[info.name()] = dims_of(info.type());
  for (const auto& info : model_.graph().output()) inferred_[info.name()] = dims_of(info.type());
}

void Importer::apply_input_shape(onnx::ValueInfoProto& input) const {
  auto* shape = input.mutable_type()->mutable_tensor_type()->mutable_shape();
  const std::string what = source_ + ": input '" + input.name() + "'";
  if (shape->dim_size() != static_cast<int>(input_shape_.size())) {
    throw ConversionError(what + " has " + std::to_string(shape->dim_size()) + " dimensions; --input-shape gives " +
                          std::to_string(input_shape_.size()) + " (" + shape_string(input_shape_) + ")");
  }
  for (int i = 0; i < shape->dim_size(); ++i) {
    const int64_t want = input_shape_[static_cast<size_t>(i)];
    if (want <= 0)
      throw ConversionError("--input-shape " + shape_string(input_shape_) + ": dimensions must be positive");
    if (shape->dim(i).has_dim_value() && shape->dim(i).dim_value() != want) {
      throw ConversionError(what + " fixes dimension " + std::to_string(i) + " to " +
                            std::to_string(shape->dim(i).dim_value()) + "; --input-shape asks for " +
                            std::to_string(want));
    }
    shape->mutable_dim(i)->set_dim_value(want);
  }
}

void Importer::read_opset() {
  for (const auto& opset : model_.opset_import()) {
    if (opset.domain().empty() || opset.domain() == "ai.onnx") graph_.opset = opset.version();
  }
  if (graph_.opset == 0) throw ConversionError(source_ + ": the model imports no default-domain (ai.onnx) opset");
}

void Importer::collect_initializers() {
  for (const auto& init : model_.graph().initializer()) {
    constants_[init.name()] = constant_from_tensor(init, source_ + ": initializer '" + init.name() + "'");
  }
}

void Importer::add_graph_input() {
  std::vector<const onnx::ValueInfoProto*> inputs;
  for (const auto& input : model_.graph().input()) {
    if (!is_constant(input.name())) inputs.push_back(&input);
  }
  if (inputs.size() != 1) {
    std::string names;
    for (const auto* input : inputs) names += (names.empty() ? "'" : ", '") + input->name() + "'";
    throw ConversionError(source_ + ": the model has " + std::to_string(inputs.size()) + " inputs" +
                          (names.empty() ? "" : " (" + names + ")") + "; nestrt-convert supports exactly one");
  }
  const onnx::ValueInfoProto& input = *inputs[0];
  const std::string what = source_ + ": input '" + input.name() + "'";
  if (!input.type().has_tensor_type() || input.type().tensor_type().elem_type() != onnx::TensorProto::FLOAT) {
    throw ConversionError(what + " is not a float tensor");
  }
  if (!input.type().tensor_type().has_shape()) throw ConversionError(what + " has no declared shape");
  Shape shape;
  const auto& dims = input.type().tensor_type().shape().dim();
  for (int i = 0; i < dims.size(); ++i) {
    if (!dims[i].has_dim_value()) {
      throw ConversionError(what + " has a symbolic dimension '" + dims[i].dim_param() + "' at axis " +
                            std::to_string(i) +
                            "; only the batch dimension may be symbolic (fix the others with --input-shape)");
    }
    shape.push_back(dims[i].dim_value());
  }
  constexpr int64_t kMaxDim = int64_t{1} << 20;  // keeps every derived size far from overflow
  if (shape.size() != 4 || shape[0] != 1 || shape[1] <= 0 || shape[2] <= 0 || shape[3] <= 0 || shape[1] > kMaxDim ||
      shape[2] > kMaxDim || shape[3] > kMaxDim) {
    throw ConversionError(what + " has shape " + shape_string(shape) +
                          "; nestrt-convert needs an image input [1,C,H,W] (batch 1)");
  }
  graph_.input = add_value(input.name(), shape);
}

int Importer::add_value(const std::string& name, Shape shape) {
  const int index = static_cast<int>(graph_.values.size());
  graph_.values.push_back({name, std::move(shape)});
  values_by_name_[name] = index;
  return index;
}

void Importer::import_node(const onnx::NodeProto& proto, size_t index) {
  Node node;
  node.onnx_op = proto.op_type();
  node.name = proto.name().empty() ? proto.op_type() + "_" + std::to_string(index) : proto.name();
  if (!proto.domain().empty() && proto.domain() != "ai.onnx") {
    throw ConversionError(source_ + ": unsupported operator '" + proto.domain() + "::" + proto.op_type() + "' (node '" +
                          node.name + "', opset " + std::to_string(graph_.opset) + ")");
  }
  if (proto.op_type() == "Constant") {
    constants_[proto.output(0)] = constant_from_node(proto, where(node));
    return;
  }
  if (proto.op_type() == "Identity" || proto.op_type() == "Dropout") {
    pass_through(proto, node);
    return;
  }
  if (is_foldable_op(proto.op_type()) && try_fold(proto, node)) return;
  const auto handler = handlers().find(proto.op_type());
  if (handler == handlers().end()) {
    throw ConversionError(source_ + ": unsupported operator '" + proto.op_type() + "' (node '" + node.name +
                          "', opset " + std::to_string(graph_.opset) + ")");
  }
  if (proto.output_size() < 1 || proto.output(0).empty()) fail(node, "has no output");
  // Secondary outputs (MaxPool indices, BatchNormalization training statistics) must be unused.
  for (int i = 1; i < proto.output_size(); ++i) {
    if (!proto.output(i).empty() && used_names_.count(proto.output(i)) != 0) {
      fail(node, "output " + std::to_string(i) + " ('" + proto.output(i) + "') is used, which is not supported");
    }
  }
  (this->*handler->second)(proto, node);
  if (node.output < 0) fail(node, "internal error: no output shape");
  graph_.nodes.push_back(std::move(node));
}

// Identity, and Dropout at inference, output their input: the output name becomes an alias of
// the input (an activation or a constant), and no node is added. torch.onnx.export emits
// Identity for shared and renamed tensors.
void Importer::pass_through(const onnx::NodeProto& proto, const Node& node) {
  if (proto.input_size() < 1 || proto.input(0).empty()) fail(node, "input 0 is missing");
  if (proto.output_size() < 1 || proto.output(0).empty()) fail(node, "has no output");
  if (proto.op_type() == "Dropout") {
    if (proto.output_size() > 1 && !proto.output(1).empty() && used_names_.count(proto.output(1)) != 0) {
      fail(node, "output 1 (the dropout mask) is used, which is not supported");
    }
    if (proto.input_size() > 2 && !proto.input(2).empty()) {
      const ConstantTensor& training = constant(proto, node, 2, "training_mode");
      if (training.floats.size() != 1 || training.floats[0] != 0.0f) fail(node, "runs in training mode");
    }
  }
  const std::string& in = proto.input(0);
  if (is_constant(in)) {
    constants_[proto.output(0)] = constants_.at(in);
    return;
  }
  const auto it = values_by_name_.find(in);
  if (it == values_by_name_.end()) fail(node, "input '" + in + "' is not produced by a supported operator");
  values_by_name_[proto.output(0)] = it->second;
}

void Importer::set_graph_output() {
  const auto& outputs = model_.graph().output();
  if (outputs.size() != 1) {
    throw ConversionError(source_ + ": the model has " + std::to_string(outputs.size()) +
                          " outputs; nestrt-convert supports exactly one");
  }
  const auto it = values_by_name_.find(outputs[0].name());
  if (it == values_by_name_.end() || it->second == graph_.input) {
    throw ConversionError(source_ + ": output '" + outputs[0].name() + "' is not computed by any supported operator");
  }
  graph_.output = it->second;
}

void Importer::cross_check_shapes() const {
  for (const Node& node : graph_.nodes) {
    const Value& value = graph_.value(node.output);
    const auto it = inferred_.find(value.name);
    if (it == inferred_.end() || it->second.empty()) continue;
    bool same = it->second.size() == value.shape.size();
    for (size_t i = 0; same && i < value.shape.size(); ++i) same = it->second[i] < 0 || it->second[i] == value.shape[i];
    if (!same) {
      throw ConversionError(where(node) + ": output '" + value.name + "' has shape " + shape_string(value.shape) +
                            " here but ONNX shape inference says " + shape_string(it->second));
    }
  }
}

int Importer::activation(const onnx::NodeProto& proto, const Node& node, int i) const {
  if (!has_input(proto, i)) fail(node, "input " + std::to_string(i) + " is missing");
  const std::string& name = proto.input(i);
  if (is_constant(name)) {
    fail(node, "input " + std::to_string(i) + " ('" + name +
                   "') is a constant; only activations are supported there (constant folding is not)");
  }
  const auto it = values_by_name_.find(name);
  if (it == values_by_name_.end()) {
    fail(node, "input '" + name + "' is not produced by a supported operator");
  }
  return it->second;
}

const ConstantTensor& Importer::constant(const onnx::NodeProto& proto, const Node& node, int i,
                                         const char* role) const {
  if (!has_input(proto, i)) fail(node, std::string("the ") + role + " input is missing");
  const auto it = constants_.find(proto.input(i));
  if (it == constants_.end()) {
    fail(node, std::string("the ") + role + " ('" + proto.input(i) +
                   "') must be a constant (initializer or Constant node), not computed at run time");
  }
  return it->second;
}

void Importer::require_rank(const Node& node, int value, size_t rank) const {
  if (shape_of(value).size() != rank) {
    fail(node, "input '" + graph_.value(value).name + "' has shape " + shape_string(shape_of(value)) + "; expected " +
                   std::to_string(rank) + "-D" + (rank == 4 ? " [N,C,H,W]" : " [N,C]"));
  }
}

std::vector<float> Importer::conv_bias(const onnx::NodeProto& proto, const Node& node, int64_t out_channels) {
  if (!has_input(proto, 2)) return std::vector<float>(static_cast<size_t>(out_channels), 0.0f);
  const ConstantTensor& b = constant(proto, node, 2, "bias");
  if (static_cast<int64_t>(b.floats.size()) != out_channels) {
    fail(node, "bias has " + std::to_string(b.floats.size()) + " values for " + std::to_string(out_channels) +
                   " output channels");
  }
  return b.floats;
}

void Importer::import_conv(const onnx::NodeProto& proto, Node& node) {
  node.op = OpKind::kConv;
  const int x = activation(proto, node, 0);
  require_rank(node, x, 4);
  const ConstantTensor& w = constant(proto, node, 1, "weight");
  if (w.dims.size() != 4)
    fail(node, "weight has shape " + shape_string(w.dims) + "; only 2-D convolution is supported");
  const Shape& in = shape_of(x);
  const int64_t out_channels = w.dims[0];
  const NodeAttributes attrs(proto, where(node));
  const int64_t groups = attrs.get_int("group", 1);
  if (groups <= 0 || in[1] % groups != 0 || out_channels % groups != 0 || w.dims[1] * groups != in[1]) {
    fail(node, "weight " + shape_string(w.dims) + " with group=" + std::to_string(groups) +
                   " does not fit an input with " + std::to_string(in[1]) + " channels");
  }
  const std::vector<int64_t> kernel = attrs.get_ints("kernel_shape", {w.dims[2], w.dims[3]}, 2);
  if (kernel[0] != w.dims[2] || kernel[1] != w.dims[3]) fail(node, "kernel_shape does not match the weight shape");
  const std::vector<int64_t> strides = attrs.get_ints("strides", {1, 1}, 2);
  const std::vector<int64_t> dilations = attrs.get_ints("dilations", {1, 1}, 2);
  const std::vector<int64_t> pads = attrs.get_ints("pads", {0, 0, 0, 0}, 4);
  const std::string auto_pad = attrs.get_string("auto_pad", "NOTSET");
  const AxisResult h =
      resolve_axis({in[2], kernel[0], strides[0], dilations[0], pads[0], pads[2]}, auto_pad, false, where(node));
  const AxisResult wd =
      resolve_axis({in[3], kernel[1], strides[1], dilations[1], pads[1], pads[3]}, auto_pad, false, where(node));
  node.conv = {strides[0],   strides[1], dilations[0], dilations[1], h.pad_begin,
               wd.pad_begin, h.pad_end,  wd.pad_end,   groups};
  node.inputs = {x};
  node.weight_shape = w.dims;
  node.weights = w.floats;
  node.bias = conv_bias(proto, node, out_channels);
  node.output = add_value(proto.output(0), {1, out_channels, h.output, wd.output});
}

// ConvTranspose as zero insertion (strides > 1) followed by a stride-1 Conv with the same
// dilation over the kernel flipped in both spatial axes, in and out channels swapped per group,
// padded by dilation * (kernel - 1) - pad at the beginning and dilation * (kernel - 1) - pad +
// output_padding at the end: out[y * s - pad_begin + k * d] += w[k] * x[y] becomes
// out[o] = sum_k z[o - (d * (K - 1) - pad_begin) + k * d] * w[K - 1 - k] with z[y * s] = x[y].
void Importer::import_conv_transpose(const onnx::NodeProto& proto, Node& node) {
  const int x = activation(proto, node, 0);
  require_rank(node, x, 4);
  const ConstantTensor& w = constant(proto, node, 1, "weight");
  if (w.dims.size() != 4) {
    fail(node, "weight has shape " + shape_string(w.dims) + "; only 2-D transposed convolution is supported");
  }
  const Shape in = shape_of(x);
  const NodeAttributes attrs(proto, where(node));
  const int64_t groups = attrs.get_int("group", 1);
  // ConvTranspose weights are [C_in, C_out / groups, KH, KW].
  if (groups <= 0 || w.dims[0] != in[1] || in[1] % groups != 0 || w.dims[1] <= 0) {
    fail(node, "weight " + shape_string(w.dims) + " with group=" + std::to_string(groups) +
                   " does not fit an input with " + std::to_string(in[1]) + " channels (expected [" +
                   std::to_string(in[1]) + ", C_out/group, KH, KW])");
  }
  const int64_t in_per_group = in[1] / groups, out_per_group = w.dims[1], out_channels = out_per_group * groups;
  const std::vector<int64_t> kernel = attrs.get_ints("kernel_shape", {w.dims[2], w.dims[3]}, 2);
  if (kernel[0] != w.dims[2] || kernel[1] != w.dims[3]) fail(node, "kernel_shape does not match the weight shape");
  const std::vector<int64_t> strides = attrs.get_ints("strides", {1, 1}, 2);
  const std::vector<int64_t> dilations = attrs.get_ints("dilations", {1, 1}, 2);
  const std::vector<int64_t> pads = attrs.get_ints("pads", {0, 0, 0, 0}, 4);
  const std::vector<int64_t> output_padding = attrs.get_ints("output_padding", {0, 0}, 2);
  const bool has_output_shape = attrs.has("output_shape");
  const std::vector<int64_t> output_shape = attrs.get_ints("output_shape", {}, has_output_shape ? 2 : 0);
  const std::string auto_pad = attrs.get_string("auto_pad", "NOTSET");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" && auto_pad != "SAME_LOWER" &&
      !auto_pad.empty()) {
    fail(node, "unknown auto_pad '" + auto_pad + "'" + opset_note());
  }
  constexpr int64_t kLimit = int64_t{1} << 20;
  int64_t pad_begin[2], pad_end[2], out_size[2];
  for (int a = 0; a < 2; ++a) {
    const char* axis = a == 0 ? "height" : "width";
    const int64_t k = kernel[a], s = strides[a], d = dilations[a], op = output_padding[a];
    if (k < 1 || k > kLimit || d < 1 || d > kLimit || s < 1 || s > 64 || op < 0 || op > kLimit || pads[a] < 0 ||
        pads[a] > kLimit || pads[a + 2] < 0 || pads[a + 2] > kLimit) {
      fail(node, std::string(axis) + ": kernel " + std::to_string(k) + ", stride " + std::to_string(s) + ", dilation " +
                     std::to_string(d) + ", pads " + std::to_string(pads[a]) + "/" + std::to_string(pads[a + 2]) +
                     ", output_padding " + std::to_string(op) +
                     " are not supported (kernel and dilation positive, stride 1..64, pads and output_padding "
                     "non-negative)" +
                     opset_note());
    }
    const int64_t extent = (k - 1) * d + 1, full = s * (in[2 + a] - 1) + op + extent;
    if (has_output_shape || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      // Pads that give the requested size (output_shape, or input * stride for SAME_*). The ONNX
      // specification and ONNX Runtime put an odd total's extra pixel on opposite sides, so only
      // even totals are accepted.
      const int64_t target = has_output_shape ? output_shape[static_cast<size_t>(a)] : in[2 + a] * s;
      const int64_t total = full - target;
      if (target <= 0 || total < 0 || total % 2 != 0) {
        fail(node, std::string(axis) + ": an output of " + std::to_string(target) + " from " + std::to_string(full) +
                       " needs a total padding of " + std::to_string(total) +
                       ", which is not supported (only a non-negative, even total: the ONNX specification and "
                       "ONNX Runtime disagree on where an odd one goes)" +
                       opset_note());
      }
      pad_begin[a] = pad_end[a] = total / 2;
    } else if (auto_pad == "VALID") {
      pad_begin[a] = pad_end[a] = 0;
    } else {
      pad_begin[a] = pads[a];
      pad_end[a] = pads[a + 2];
    }
    out_size[a] = full - pad_begin[a] - pad_end[a];
    if (out_size[a] <= 0) {
      fail(node, std::string(axis) + ": pads " + std::to_string(pad_begin[a]) + "/" + std::to_string(pad_end[a]) +
                     " leave no output" + opset_note());
    }
    if (pad_begin[a] > extent - 1 || pad_end[a] > extent - 1 + op) {
      fail(node, std::string(axis) + ": pads " + std::to_string(pad_begin[a]) + "/" + std::to_string(pad_end[a]) +
                     " exceed dilation * (kernel - 1) = " + std::to_string(extent - 1) +
                     " (+ output_padding at the end): the lowering to a Conv would need negative padding "
                     "(cropping), which is not supported" +
                     opset_note());
    }
  }

  int conv_input = x;
  if (strides[0] > 1 || strides[1] > 1) {
    Node zeros;
    zeros.op = OpKind::kZeroInsert;
    zeros.name = node.name + "/zero_insert";
    zeros.onnx_op = node.onnx_op;
    zeros.inputs = {x};
    zeros.zero_insert_h = strides[0];
    zeros.zero_insert_w = strides[1];
    std::string value = proto.output(0) + "/zero_insert";
    while (values_by_name_.count(value) != 0 || used_names_.count(value) != 0 || is_constant(value)) value += "_";
    zeros.output = add_value(value, {1, in[1], (in[2] - 1) * strides[0] + 1, (in[3] - 1) * strides[1] + 1});
    conv_input = zeros.output;
    graph_.nodes.push_back(std::move(zeros));
  }

  node.op = OpKind::kConv;
  node.inputs = {conv_input};
  const int64_t kh = kernel[0], kw = kernel[1];
  node.conv = {1,
               1,
               dilations[0],
               dilations[1],
               dilations[0] * (kh - 1) - pad_begin[0],
               dilations[1] * (kw - 1) - pad_begin[1],
               dilations[0] * (kh - 1) - pad_end[0] + output_padding[0],
               dilations[1] * (kw - 1) - pad_end[1] + output_padding[1],
               groups};
  // Conv weights [C_out, C_in / groups, KH, KW] from [C_in, C_out / groups, KH, KW], flipped.
  node.weight_shape = {out_channels, in_per_group, kh, kw};
  node.weights.assign(w.floats.size(), 0.0f);
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t o = 0; o < out_per_group; ++o)
      for (int64_t i = 0; i < in_per_group; ++i)
        for (int64_t ky = 0; ky < kh; ++ky)
          for (int64_t kx = 0; kx < kw; ++kx) {
            const int64_t from =
                (((g * in_per_group + i) * out_per_group + o) * kh + (kh - 1 - ky)) * kw + (kw - 1 - kx);
            const int64_t to = (((g * out_per_group + o) * in_per_group + i) * kh + ky) * kw + kx;
            node.weights[static_cast<size_t>(to)] = w.floats[static_cast<size_t>(from)];
          }
  node.bias = conv_bias(proto, node, out_channels);
  node.output = add_value(proto.output(0), {1, out_channels, out_size[0], out_size[1]});
}

// A Transpose of an activation that moves only axes of size 1 keeps every element where it is:
// a reshape. Any other changes the memory order, which the runtime's NHWC tensors cannot express.
void Importer::import_transpose(const onnx::NodeProto& proto, Node& node) {
  const int x = activation(proto, node, 0);
  const Shape& in = shape_of(x);
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> reversed;
  for (int64_t i = rank - 1; i >= 0; --i) reversed.push_back(i);
  const std::vector<int64_t> perm = NodeAttributes(proto, where(node)).get_ints("perm", reversed);
  std::string perm_text = "[";
  for (size_t i = 0; i < perm.size(); ++i) perm_text += (i ? "," : "") + std::to_string(perm[i]);
  perm_text += "]";
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  if (sorted != [&] {
        std::vector<int64_t> identity(static_cast<size_t>(rank));
        for (int64_t i = 0; i < rank; ++i) identity[static_cast<size_t>(i)] = i;
        return identity;
      }()) {
    fail(node, "perm " + perm_text + " is not a permutation of the " + std::to_string(rank) + " axes of " +
                   shape_string(in) + opset_note());
  }
  Shape out;
  int64_t last_moved = -1;
  bool keeps_order = true;
  for (int64_t p : perm) {
    out.push_back(in[static_cast<size_t>(p)]);
    if (in[static_cast<size_t>(p)] == 1) continue;
    keeps_order = keeps_order && p > last_moved;
    last_moved = p;
  }
  if (!keeps_order) {
    fail(node, "transposing " + shape_string(in) + " with perm " + perm_text + opset_note() +
                   " is not supported: it reorders axes larger than 1, which the runtime's NHWC layout cannot "
                   "express (only permutations that move size-1 axes, i.e. reshapes, and Transposes of constants "
                   "are)");
  }
  node.op = OpKind::kReshape;
  node.inputs = {x};
  node.output = add_value(proto.output(0), out);
}

void Importer::make_fully_connected(Node& node, int input, std::vector<float> weights, int64_t out, int64_t in,
                                    std::vector<float> bias) {
  node.op = OpKind::kFullyConnected;
  node.inputs = {input};
  node.weight_shape = {out, in};
  node.weights = std::move(weights);
  node.bias = std::move(bias);
}

void Importer::import_gemm(const onnx::NodeProto& proto, Node& node) {
  const NodeAttributes attrs(proto, where(node));
  if (attrs.get_int("transA", 0) != 0) fail(node, "transA=1 is not supported (the activation must be A, [1,K])");
  const int a = activation(proto, node, 0);
  require_rank(node, a, 2);
  const ConstantTensor& b = constant(proto, node, 1, "weight (B)");
  if (b.dims.size() != 2) fail(node, "B has shape " + shape_string(b.dims) + "; expected 2-D");
  const bool trans_b = attrs.get_int("transB", 0) != 0;
  const int64_t k = trans_b ? b.dims[1] : b.dims[0];
  const int64_t n = trans_b ? b.dims[0] : b.dims[1];
  if (shape_of(a)[1] != k) {
    fail(node, "A " + shape_string(shape_of(a)) + " and B " + shape_string(b.dims) + (trans_b ? " (transposed)" : "") +
                   " do not multiply");
  }
  const float alpha = attrs.get_float("alpha", 1.0f), beta = attrs.get_float("beta", 1.0f);
  std::vector<float> weights(static_cast<size_t>(n * k));
  for (int64_t o = 0; o < n; ++o) {
    for (int64_t i = 0; i < k; ++i) {
      weights[o * k + i] = alpha * b.floats[trans_b ? o * k + i : i * n + o];
    }
  }
  std::vector<float> bias(static_cast<size_t>(n), 0.0f);
  if (has_input(proto, 2)) {
    const ConstantTensor& c = constant(proto, node, 2, "bias (C)");
    const bool per_output = static_cast<int64_t>(c.floats.size()) == n && (c.dims.size() == 1 || c.dims[0] == 1);
    if (c.floats.size() != 1 && !per_output) {
      fail(node, "C of shape " + shape_string(c.dims) + " does not broadcast to [1," + std::to_string(n) + "]");
    }
    for (int64_t o = 0; o < n; ++o) bias[o] = beta * c.floats[c.floats.size() == 1 ? 0 : o];
  }
  make_fully_connected(node, a, std::move(weights), n, k, std::move(bias));
  node.output = add_value(proto.output(0), {1, n});
}

void Importer::import_matmul(const onnx::NodeProto& proto, Node& node) {
  const int a = activation(proto, node, 0);
  require_rank(node, a, 2);
  const ConstantTensor& b = constant(proto, node, 1, "weight (B)");
  if (b.dims.size() != 2 || b.dims[0] != shape_of(a)[1]) {
    fail(node,
         "A " + shape_string(shape_of(a)) + " and B " + shape_string(b.dims) + " do not multiply as [1,K] x [K,N]");
  }
  const int64_t k = b.dims[0], n = b.dims[1];
  std::vector<float> weights(static_cast<size_t>(n * k));
  for (int64_t o = 0; o < n; ++o) {
    for (int64_t i = 0; i < k; ++i) weights[o * k + i] = b.floats[i * n + o];
  }
  make_fully_connected(node, a, std::move(weights), n, k, std::vector<float>(static_cast<size_t>(n), 0.0f));
  node.output = add_value(proto.output(0), {1, n});
}

void Importer::import_add(const onnx::NodeProto& proto, Node& node) {
  if (proto.input_size() != 2) fail(node, "expected two inputs");
  const bool const0 = is_constant(proto.input(0)), const1 = is_constant(proto.input(1));
  if (!const0 && !const1) {
    node.op = OpKind::kAdd;
    const int a = activation(proto, node, 0), b = activation(proto, node, 1);
    if (shape_of(a) != shape_of(b)) {
      fail(node, "inputs of shapes " + shape_string(shape_of(a)) + " and " + shape_string(shape_of(b)) +
                     " need broadcasting, which is not supported");
    }
    node.inputs = {a, b};
    node.output = add_value(proto.output(0), shape_of(a));
    return;
  }
  if (import_scalar_arithmetic(proto, node, '+')) return;
  node.op = OpKind::kAddConstant;
  const int x = activation(proto, node, const0 ? 1 : 0);
  const ConstantTensor& c = constant(proto, node, const0 ? 0 : 1, "constant");
  const Shape& shape = shape_of(x);
  const bool bias_like = shape.size() == 2 && static_cast<int64_t>(c.floats.size()) == shape[1] &&
                         (c.dims.size() == 1 || (c.dims.size() == 2 && c.dims[0] == 1));
  if (!bias_like) {
    fail(node, "adding a constant of shape " + shape_string(c.dims) + " to " + shape_string(shape) +
                   " is only supported as a per-channel bias of a MatMul output [1,N], or as a scalar");
  }
  node.inputs = {x};
  node.bias = c.floats;
  node.output = add_value(proto.output(0), shape);
}

bool Importer::try_fold(const onnx::NodeProto& proto, const Node& node) {
  FoldingContext context;
  context.opset = graph_.opset;
  context.constant = [this](const std::string& name) -> const ConstantTensor* {
    const auto it = constants_.find(name);
    return it == constants_.end() ? nullptr : &it->second;
  };
  context.activation_shape = [this](const std::string& name) -> const Shape* {
    const auto it = values_by_name_.find(name);
    return it == values_by_name_.end() ? nullptr : &shape_of(it->second);
  };
  context.where = where(node);
  std::optional<ConstantTensor> folded = fold_constant(proto, context);
  if (!folded) return false;
  if (proto.output_size() < 1 || proto.output(0).empty()) fail(node, "has no output");
  constants_[proto.output(0)] = std::move(*folded);
  return true;
}

void Importer::make_unary(const onnx::NodeProto& proto, Node& node, int x, UnaryFunction f) {
  node.op = OpKind::kUnary;
  node.inputs = {x};
  node.unary = std::move(f);
  node.output = add_value(proto.output(0), shape_of(x));
}

bool Importer::import_scalar_arithmetic(const onnx::NodeProto& proto, Node& node, char op) {
  if (proto.input_size() != 2) fail(node, "expected two inputs");
  const bool const0 = is_constant(proto.input(0)), const1 = is_constant(proto.input(1));
  if (const0 == const1) return false;
  const ConstantTensor& c = constant(proto, node, const0 ? 0 : 1, "constant");
  if (c.floats.size() != 1) return false;
  make_unary(proto, node, activation(proto, node, const0 ? 1 : 0), unary::scalar_arithmetic(op, c.floats[0], const0));
  return true;
}

void Importer::import_arithmetic(const onnx::NodeProto& proto, Node& node) {
  const char op = proto.op_type() == "Sub" ? '-' : proto.op_type() == "Mul" ? '*' : '/';
  if (import_scalar_arithmetic(proto, node, op)) return;
  const int a = activation(proto, node, 0), b = activation(proto, node, 1);
  const Shape &sa = shape_of(a), &sb = shape_of(b);
  const auto per_channel_of = [](const Shape& small, const Shape& big) {
    return small.size() == 4 && big.size() == 4 && small[0] == big[0] && small[1] == big[1] && small[2] == 1 &&
           small[3] == 1;
  };
  if (op == '*' && sa != sb && (per_channel_of(sb, sa) || per_channel_of(sa, sb))) {
    node.op = OpKind::kMul;  // squeeze-excite: the full map first, the per-channel factors second
    node.inputs = per_channel_of(sb, sa) ? std::vector<int>{a, b} : std::vector<int>{b, a};
    node.output = add_value(proto.output(0), per_channel_of(sb, sa) ? sa : sb);
    return;
  }
  if (sa != sb) {
    fail(node, "inputs of shapes " + shape_string(sa) + " and " + shape_string(sb) +
                   " need broadcasting, which is supported only as [1,C,H,W] * [1,C,1,1] (squeeze-excite)");
  }
  node.op = op == '*' ? OpKind::kMul : OpKind::kBinary;
  node.binary_op = op;
  node.inputs = {a, b};
  node.output = add_value(proto.output(0), sa);
}

void Importer::import_hard_sigmoid(const onnx::NodeProto& proto, Node& node) {
  const NodeAttributes attrs(proto, where(node));
  make_unary(proto, node, activation(proto, node, 0),
             unary::hard_sigmoid(attrs.get_float("alpha", 0.2f), attrs.get_float("beta", 0.5f)));
}

void Importer::import_hard_swish(const onnx::NodeProto& proto, Node& node) {
  make_unary(proto, node, activation(proto, node, 0), unary::hard_swish());
}

void Importer::import_sigmoid(const onnx::NodeProto& proto, Node& node) {
  make_unary(proto, node, activation(proto, node, 0), unary::sigmoid());
}

void Importer::import_softmax(const onnx::NodeProto& proto, Node& node) {
  const int x = activation(proto, node, 0);
  const Shape& in = shape_of(x);
  const int64_t rank = static_cast<int64_t>(in.size());
  int64_t axis = NodeAttributes(proto, where(node)).get_int("axis", graph_.opset < 13 ? 1 : -1);
  if (axis < 0) axis += rank;
  // Before opset 13 Softmax flattens to 2-D at `axis`; on [1, C] both versions normalise over C.
  if (rank != 2 || axis != 1) {
    fail(node, "softmax over axis " + std::to_string(axis) + " of shape " + shape_string(in) +
                   " is not supported (only over the classes of a [1,C] tensor)");
  }
  node.op = OpKind::kSoftmax;
  node.inputs = {x};
  node.output = add_value(proto.output(0), in);
}

void Importer::import_concat(const onnx::NodeProto& proto, Node& node) {
  if (proto.input_size() < 2) fail(node, "needs at least two inputs");
  for (int i = 0; i < proto.input_size(); ++i) node.inputs.push_back(activation(proto, node, i));
  const Shape& first = shape_of(node.inputs[0]);
  const int64_t rank = static_cast<int64_t>(first.size());
  int64_t axis = NodeAttributes(proto, where(node)).get_int("axis", 1);
  if (axis < 0) axis += rank;
  if ((rank != 4 && rank != 2) || axis != 1) {
    fail(node, "concatenation along axis " + std::to_string(axis) + " of shape " + shape_string(first) +
                   " is not supported (only along the channels of [1,C,H,W] or [1,C])");
  }
  Shape out = first;
  for (size_t i = 1; i < node.inputs.size(); ++i) {
    Shape s = shape_of(node.inputs[i]);
    if (s.size() != first.size()) fail(node, "inputs of different ranks");
    out[1] += s[1];
    s[1] = first[1];
    if (s != first) {
      fail(node, "input " + std::to_string(i) + " of shape " + shape_string(shape_of(node.inputs[i])) +
                     " does not match input 0 " + shape_string(first) + " outside the channel axis");
    }
  }
  node.op = OpKind::kConcat;
  node.output = add_value(proto.output(0), out);
}

// Nearest upsampling by integer factors, in the coordinate conventions where that is
// y = x[o / factor]: Upsample and opset-10 Resize (asymmetric, floor), and Resize 11+ with
// half_pixel / pytorch_half_pixel and a round_prefer_* nearest mode (never a tie for integer
// factors) or asymmetric with floor.
void Importer::import_resize(const onnx::NodeProto& proto, Node& node) {
  const int x = activation(proto, node, 0);
  require_rank(node, x, 4);
  const Shape& in = shape_of(x);
  const NodeAttributes attrs(proto, where(node));
  const std::string mode = attrs.get_string("mode", "nearest");
  if (mode != "nearest") fail(node, "mode '" + mode + "' is not supported (only nearest)");
  const bool resize11 = proto.op_type() == "Resize" && graph_.opset >= 11;
  if (resize11) {
    const std::string transform = attrs.get_string("coordinate_transformation_mode", "half_pixel");
    const std::string nearest = attrs.get_string("nearest_mode", "round_prefer_floor");
    const bool centred = transform == "half_pixel" || transform == "pytorch_half_pixel";
    const bool rounds = nearest == "round_prefer_floor" || nearest == "round_prefer_ceil";
    if (!(centred && rounds) && !(transform == "asymmetric" && nearest == "floor")) {
      fail(node, "coordinate_transformation_mode '" + transform + "' with nearest_mode '" + nearest +
                     "' is not supported (half_pixel with round_prefer_floor/ceil, or asymmetric with floor)");
    }
  }
  // Upsample before opset 9 has a scales attribute; Upsample 9 and Resize 10 a scales input (1);
  // Resize 11+ scales (2) or sizes (3), the unused one empty.
  std::vector<float> scales;
  const int scales_input = resize11 ? 2 : 1;
  if (proto.op_type() == "Upsample" && graph_.opset < 9) {
    if (!attrs.has("scales")) fail(node, "the scales attribute is missing");
    for (const auto& attr : proto.attribute()) {
      if (attr.name() == "scales") scales.assign(attr.floats().begin(), attr.floats().end());
    }
  } else if (has_input(proto, scales_input) && !constant(proto, node, scales_input, "scales").floats.empty()) {
    scales = constant(proto, node, scales_input, "scales").floats;
  } else if (resize11 && has_input(proto, 3)) {
    const ConstantTensor& sizes = constant(proto, node, 3, "sizes");
    if (sizes.floats.size() != 4) fail(node, "sizes must have 4 entries");
    for (size_t i = 0; i < 4; ++i) scales.push_back(sizes.floats[i] / static_cast<float>(in[i]));
  } else {
    fail(node, "neither scales nor sizes is given");
  }
  if (scales.size() != 4) fail(node, "scales must have 4 entries, has " + std::to_string(scales.size()));
  for (size_t i = 0; i < 4; ++i) {
    const float s = scales[i];
    const bool integral = s >= 1.0f && s <= 64.0f && s == std::floor(s);
    if (!integral || (i < 2 && s != 1.0f)) {
      fail(node, "scales [" + std::to_string(scales[0]) + ", " + std::to_string(scales[1]) + ", " +
                     std::to_string(scales[2]) + ", " + std::to_string(scales[3]) +
                     "] are not supported (only whole upsampling factors 1..64 of height and width)");
    }
  }
  const Shape out = {in[0], in[1], in[2] * static_cast<int64_t>(scales[2]), in[3] * static_cast<int64_t>(scales[3])};
  node.op = OpKind::kResize;
  node.inputs = {x};
  node.resize_h = static_cast<int64_t>(scales[2]);
  node.resize_w = static_cast<int64_t>(scales[3]);
  node.output = add_value(proto.output(0), out);
}

void Importer::import_relu(const onnx::NodeProto& proto, Node& node) {
  node.op = OpKind::kRelu;
  node.inputs = {activation(proto, node, 0)};
  node.activation = {0.0f, std::numeric_limits<float>::infinity()};
  node.output = add_value(proto.output(0), shape_of(node.inputs[0]));
}

void Importer::import_clip(const onnx::NodeProto& proto, Node& node) {
  node.op = OpKind::kClip;
  node.inputs = {activation(proto, node, 0)};
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
  if (graph_.opset < 11) {
    const NodeAttributes attrs(proto, where(node));
    lo = attrs.get_float("min", lo);
    hi = attrs.get_float("max", hi);
  } else {
    const auto bound = [&](int i, const char* role, float fallback) {
      if (!has_input(proto, i)) return fallback;
      const ConstantTensor& c = constant(proto, node, i, role);
      if (c.floats.size() != 1) fail(node, std::string("the ") + role + " must be a scalar");
      return c.floats[0];
    };
    lo = bound(1, "min", lo);
    hi = bound(2, "max", hi);
  }
  if (!(lo <= hi)) fail(node, "min " + std::to_string(lo) + " is above max " + std::to_string(hi));
  node.activation = {lo, hi};
  node.output = add_value(proto.output(0), shape_of(node.inputs[0]));
}

void Importer::import_batch_norm(const onnx::NodeProto& proto, Node& node) {
  node.op = OpKind::kBatchNorm;
  const NodeAttributes attrs(proto, where(node));
  if (attrs.get_int("training_mode", 0) != 0) fail(node, "training_mode=1 is not supported");
  const int x = activation(proto, node, 0);
  if (shape_of(x).size() < 2) fail(node, "input must have a channel dimension");
  const size_t channels = static_cast<size_t>(shape_of(x)[1]);
  const char* roles[] = {"scale", "bias", "mean", "variance"};
  std::vector<float>* params[] = {&node.batch_norm.scale, &node.batch_norm.bias, &node.batch_norm.mean,
                                  &node.batch_norm.variance};
  for (int i = 0; i < 4; ++i) {
    const ConstantTensor& c = constant(proto, node, i + 1, roles[i]);
    if (c.floats.size() != channels) {
      fail(node, std::string(roles[i]) + " has " + std::to_string(c.floats.size()) + " values for " +
                     std::to_string(channels) + " channels");
    }
    *params[i] = c.floats;
  }
  node.batch_norm.epsilon = attrs.get_float("epsilon", 1e-5f);
  for (size_t c = 0; c < channels; ++c) {
    if (!(static_cast<double>(node.batch_norm.variance[c]) + node.batch_norm.epsilon > 0.0)) {
      fail(node, "variance + epsilon of channel " + std::to_string(c) + " is not positive");
    }
  }
  node.inputs = {x};
  node.output = add_value(proto.output(0), shape_of(x));
}

Shape Importer::import_pool_window(const onnx::NodeProto& proto, Node& node, bool average) {
  const int x = activation(proto, node, 0);
  require_rank(node, x, 4);
  const Shape& in = shape_of(x);
  const NodeAttributes attrs(proto, where(node));
  if (!attrs.has("kernel_shape")) fail(node, "kernel_shape is missing");
  const std::vector<int64_t> kernel = attrs.get_ints("kernel_shape", {}, 2);
  const std::vector<int64_t> strides = attrs.get_ints("strides", {1, 1}, 2);
  const std::vector<int64_t> pads = attrs.get_ints("pads", {0, 0, 0, 0}, 4);
  const std::vector<int64_t> dilations = attrs.get_ints("dilations", {1, 1}, 2);
  if (dilations[0] != 1 || dilations[1] != 1) fail(node, "dilated pooling is not supported");
  const std::string auto_pad = attrs.get_string("auto_pad", "NOTSET");
  const bool ceil_mode = attrs.get_int("ceil_mode", 0) != 0;
  const AxisResult h =
      resolve_axis({in[2], kernel[0], strides[0], 1, pads[0], pads[2]}, auto_pad, ceil_mode, where(node));
  const AxisResult w =
      resolve_axis({in[3], kernel[1], strides[1], 1, pads[1], pads[3]}, auto_pad, ceil_mode, where(node));
  if (h.pad_begin >= kernel[0] || h.pad_end >= kernel[0] || w.pad_begin >= kernel[1] || w.pad_end >= kernel[1]) {
    fail(node, "padding as large as the kernel is not supported (windows of padding only)");
  }
  node.pool = {kernel[0],  kernel[1],   strides[0],
               strides[1], h.pad_begin, w.pad_begin,
               h.pad_end,  w.pad_end,   average && attrs.get_int("count_include_pad", 0) != 0};
  node.inputs = {x};
  return {1, in[1], h.output, w.output};
}

void Importer::import_max_pool(const onnx::NodeProto& proto, Node& node) {
  node.op = OpKind::kMaxPool;
  node.output = add_value(proto.output(0), import_pool_window(proto, node, false));
}

void Importer::import_average_pool(const onnx::NodeProto& proto, Node& node) {
  node.op = OpKind::kAveragePool;
  node.output = add_value(proto.output(0), import_pool_window(proto, node, true));
}

void Importer::import_global_average_pool(const onnx::NodeProto& proto, Node& node) {
  node.op = OpKind::kGlobalAveragePool;
  const int x = activation(proto, node, 0);
  require_rank(node, x, 4);
  node.inputs = {x};
  node.output = add_value(proto.output(0), {1, shape_of(x)[1], 1, 1});
}

void Importer::import_flatten(const onnx::NodeProto& proto, Node& node) {
  node.op = OpKind::kReshape;
  const int x = activation(proto, node, 0);
  const Shape& in = shape_of(x);
  int64_t axis = NodeAttributes(proto, where(node)).get_int("axis", 1);
  if (axis < 0) axis += static_cast<int64_t>(in.size());
  if (axis < 0 || axis > static_cast<int64_t>(in.size())) fail(node, "axis out of range");
  int64_t outer = 1, inner = 1;
  for (size_t i = 0; i < in.size(); ++i) (static_cast<int64_t>(i) < axis ? outer : inner) *= in[i];
  node.inputs = {x};
  node.output = add_value(proto.output(0), {outer, inner});
}

void Importer::import_reshape(const onnx::NodeProto& proto, Node& node) {
  node.op = OpKind::kReshape;
  const int x = activation(proto, node, 0);
  const ConstantTensor& target = constant(proto, node, 1, "shape");
  if (!target.integral || target.dims.size() != 1) fail(node, "the shape must be a 1-D integer constant");
  const Shape& in = shape_of(x);
  const bool allow_zero = NodeAttributes(proto, where(node)).get_int("allowzero", 0) != 0;
  Shape out;
  int infer_axis = -1;
  for (size_t i = 0; i < target.ints.size(); ++i) {
    int64_t d = target.ints[i];
    if (d == 0 && !allow_zero) {
      if (i >= in.size()) fail(node, "shape entry 0 at axis " + std::to_string(i) + " has no input dimension to copy");
      d = in[i];
    }
    if (d == -1) {
      if (infer_axis >= 0) fail(node, "more than one -1 in the shape");
      infer_axis = static_cast<int>(i);
      d = 1;
    } else if (d <= 0) {
      fail(node, "shape " + shape_string(target.ints) + " does not fit an input of shape " + shape_string(in));
    }
    out.push_back(d);
  }
  const int64_t total = element_count(in);
  int64_t known = 1;
  for (int64_t d : out) {
    if (__builtin_mul_overflow(known, d, &known) || known > total) {
      fail(node, "cannot reshape " + shape_string(in) + " to " + shape_string(target.ints));
    }
  }
  if (infer_axis >= 0) {
    if (known == 0 || total % known != 0)
      fail(node, "cannot reshape " + shape_string(in) + " to " + shape_string(target.ints));
    out[static_cast<size_t>(infer_axis)] = total / known;
  }
  if (element_count(out) != total)
    fail(node, "cannot reshape " + shape_string(in) + " to " + shape_string(target.ints));
  node.inputs = {x};
  node.output = add_value(proto.output(0), out);
}

}  // namespace

Graph import_onnx_model(onnx::ModelProto model, const std::string& source_name, const Shape& input_shape) {
  return Importer(std::move(model), source_name, input_shape).run();
}

Graph import_onnx_file(const std::string& path, const Shape& input_shape) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConversionError(path + ": cannot open the ONNX model");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw ConversionError(path + ": read error");
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) throw ConversionError(path + ": not an ONNX model (protobuf parse failed)");
  Graph graph = import_onnx_model(std::move(model), path, input_shape);
  graph.source_xxh64 = XXH64(bytes.data(), bytes.size(), 0);
  return graph;
}

}  // namespace nestrt::converter

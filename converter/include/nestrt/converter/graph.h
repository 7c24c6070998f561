// The converter's float graph IR: what the ONNX importer produces, normalise() rewrites and the
// float executor runs. Shapes are the source model's NCHW / [N, C] shapes with batch 1; every node
// has one output value; weights live on the node that uses them.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace nestrt::converter {

using Shape = std::vector<int64_t>;
std::string shape_string(const Shape& shape);
int64_t element_count(const Shape& shape);

enum class OpKind {
  kConv,            // weights [O, I/groups, KH, KW], bias [O]
  kFullyConnected,  // weights [O, I], bias [O]; input flattened
  kAdd,             // two activations of equal shape
  kAddConstant,     // activation [1, O] + constant [O] (MatMul bias); folded into the FullyConnected
  kRelu,
  kClip,       // bounds in activation
  kBatchNorm,  // folded into the preceding Conv
  kMaxPool,
  kAveragePool,
  kGlobalAveragePool,
  kReshape,     // reinterpretation; flatten_hwc: flattens a spatial map in HWC order (see normalise)
  kUnary,       // y = unary(x) elementwise: HardSigmoid, arithmetic with a scalar constant, chains of them
  kMul,         // a * b; b has a's shape or is [1, C, 1, 1] against a [1, C, H, W] a (squeeze-excite)
  kBinary,      // a (binary_op) b of two activations; only as part of a unary function (see normalise)
  kSoftmax,     // over the last axis of a [1, C] value
  kConcat,      // two or more activations along the channel axis (1)
  kResize,      // nearest upsampling of [1, C, H, W] by integer factors (resize_h, resize_w)
  kZeroInsert,  // [1, C, H, W] -> [1, C, (H-1)*zero_insert_h+1, (W-1)*zero_insert_w+1]: the input at
                // multiples of the strides, zeros between (ConvTranspose's stride, before its Conv)
};
const char* op_kind_name(OpKind op);

struct Value {
  std::string name;
  Shape shape;
};

struct ConvAttrs {
  int64_t stride_h = 1, stride_w = 1;
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t groups = 1;
};

struct PoolAttrs {
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  bool count_include_pad = false;
};

// Output clamp of Relu / Clip, and of a Conv, FullyConnected or Add they were fused into.
struct Activation {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
  bool is_identity() const { return min == -std::numeric_limits<float>::infinity() && max == -min; }
};

struct BatchNormParams {
  std::vector<float> scale, bias, mean, variance;
  float epsilon = 1e-5f;
};

// A float function applied elementwise, with a description for messages and reports. Kept as a
// function (not an expression) because its only uses are evaluation: the float executor, and the
// converter tabulating it into a 256-entry int8 lookup table.
struct UnaryFunction {
  std::function<float(float)> apply;
  std::string text;  // e.g. "HardSigmoid(x)", "x * Clip(x + 3, 0, 6) / 6"
};

struct Node {
  OpKind op = OpKind::kRelu;
  std::string name;         // ONNX node name, or "<op_type>_<index>" when the model gives none
  std::string onnx_op;      // the ONNX op_type it came from
  std::vector<int> inputs;  // value indices
  int output = -1;          // value index
  Shape weight_shape;
  std::vector<float> weights;
  std::vector<float> bias;  // Conv, FullyConnected: per output channel; AddConstant: the constant
  ConvAttrs conv;
  PoolAttrs pool;
  Activation activation;
  BatchNormParams batch_norm;
  bool flatten_hwc = false;
  UnaryFunction unary;                           // kUnary
  char binary_op = '+';                          // kBinary: '+', '-', '*' or '/'
  int64_t resize_h = 1, resize_w = 1;            // kResize: output = input * factor
  int64_t zero_insert_h = 1, zero_insert_w = 1;  // kZeroInsert: strides
};

struct Graph {
  std::vector<Value> values;
  std::vector<Node> nodes;  // topologically sorted
  int input = -1;
  int output = -1;
  int64_t opset = 0;
  std::string source_path;
  uint64_t source_xxh64 = 0;  // of the ONNX file bytes

  const Value& value(int index) const { return values.at(static_cast<size_t>(index)); }
  // Nodes reading value v, in graph order.
  std::vector<int> consumers(int v) const;
  // The node writing value v, or -1 for the graph input.
  int producer(int v) const;
  // "Conv 'conv1'" style reference for messages.
  std::string describe(const Node& node) const;
};

}  // namespace nestrt::converter

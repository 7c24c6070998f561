// Import and normalisation of what MobileNetV3-style exports contain beyond the CNN basics:
// shape arithmetic folded to constants, HardSwish spelled out as Add/Clip/Mul/Div, squeeze-excite
// (HardSigmoid and a per-channel Mul), Softmax, and symbolic input dimensions.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <fstream>
#include <functional>

#include "int8_reference.h"
#include "nestrt/converter/convert.h"
#include "nestrt/converter/error.h"
#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/normalise.h"
#include "nestrt/converter/onnx_import.h"
#include "nestrt/converter/quantised_model.h"
#include "nestrt/format/model_file.h"
#include "test_util.h"

namespace nestrt::converter {
namespace {

using testing::error_of;
using testing::OnnxBuilder;
using testing::random_floats;
using testing::set_float;
using testing::set_int;
using testing::set_ints;
using testing::TempDir;

size_t count_op(const Graph& g, OpKind op) {
  return static_cast<size_t>(std::count_if(g.nodes.begin(), g.nodes.end(), [&](const Node& n) { return n.op == op; }));
}

// x [1,4,5,5] -> Conv 3x3 pad 1 -> c
OnnxBuilder conv_model(int64_t opset) {
  OnnxBuilder b(opset);
  b.input("x", {1, 4, 5, 5});
  b.initializer("w", {4, 4, 3, 3}, random_floats(144, 3, -0.5f, 0.5f));
  set_ints(b.node("Conv", {"x", "w"}, {"c"}, "conv"), "pads", {1, 1, 1, 1});
  return b;
}

// paddle2onnx's flatten at opset 9: Shape -> Cast -> Slice (attributes) -> Cast -> Concat with a
// constant -> Reshape, then MatMul.
TEST(Elementwise, Opset9ShapeArithmeticFoldsIntoAReshape) {
  OnnxBuilder b = conv_model(9);
  b.node("GlobalAveragePool", {"c"}, {"g"}, "gap");
  b.node("Shape", {"g"}, {"s"}, "shape");
  set_int(b.node("Cast", {"s"}, {"s32"}, "cast_i32"), "to", 6);
  auto& slice = b.node("Slice", {"s32"}, {"batch"}, "slice");
  set_ints(slice, "axes", {0});
  set_ints(slice, "starts", {0});
  set_ints(slice, "ends", {1});
  set_int(b.node("Cast", {"batch"}, {"batch64"}, "cast_i64"), "to", 7);
  b.initializer_i64("minus_one", {1}, {-1});
  set_int(b.node("Concat", {"batch64", "minus_one"}, {"target"}, "concat"), "axis", 0);
  b.node("Reshape", {"g", "target"}, {"flat"}, "reshape");
  b.initializer("fc", {4, 3}, random_floats(12, 4));
  b.node("MatMul", {"flat", "fc"}, {"y"}, "matmul");
  b.output("y", 2);
  Graph g = import_onnx_model(b.model(), "m.onnx");
  normalise(g);
  ASSERT_EQ(g.nodes.size(), 4u);  // Conv, GlobalAveragePool, Reshape, FullyConnected
  EXPECT_EQ(g.nodes[2].op, OpKind::kReshape);
  EXPECT_EQ(g.value(g.nodes[2].output).shape, (Shape{1, 4}));
  EXPECT_EQ(g.value(g.output).shape, (Shape{1, 3}));
}

// PyTorch's flatten at opset 13: Shape -> Gather -> Unsqueeze (axes input) -> Concat -> Reshape.
TEST(Elementwise, Opset13GatherUnsqueezeFoldIntoAReshape) {
  OnnxBuilder b = conv_model(13);
  b.node("GlobalAveragePool", {"c"}, {"g"}, "gap");
  b.node("Shape", {"g"}, {"s"}, "shape");
  b.initializer_i64("zero", {}, {0});
  b.node("Gather", {"s", "zero"}, {"n"}, "gather");
  b.initializer_i64("axes", {1}, {0});
  b.node("Unsqueeze", {"n", "axes"}, {"n1"}, "unsqueeze");
  b.initializer_i64("minus_one", {1}, {-1});
  set_int(b.node("Concat", {"n1", "minus_one"}, {"target"}, "concat"), "axis", 0);
  b.node("Reshape", {"g", "target"}, {"y"}, "reshape");
  b.output("y", 2);
  const Graph g = import_onnx_model(b.model(), "m.onnx");
  EXPECT_EQ(g.value(g.output).shape, (Shape{1, 4}));
  EXPECT_EQ(g.nodes.size(), 3u);
}

TEST(Elementwise, FoldingOutOfRangeGatherIsAClearError) {
  OnnxBuilder b = conv_model(13);
  b.node("Shape", {"c"}, {"s"}, "shape");
  b.initializer_i64("seven", {}, {7});
  b.node("Gather", {"s", "seven"}, {"n"}, "bad_gather");
  b.initializer_i64("axes", {1}, {0});
  b.node("Unsqueeze", {"n", "axes"}, {"n1"}, "unsqueeze");
  b.node("Reshape", {"c", "n1"}, {"y"}, "reshape");
  b.output("y", 1);
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(b.model(), "m.onnx"); });
  EXPECT_NE(error.find("node 'bad_gather'"), std::string::npos) << error;
  EXPECT_NE(error.find("index 7 is out of range"), std::string::npos) << error;
}

// Hostile shape arithmetic is an error naming the node, not undefined behaviour.
TEST(Elementwise, FoldingRejectsRepeatedAxesAndOverflow) {
  const auto error_for = [](const std::function<void(OnnxBuilder&)>& add) {
    OnnxBuilder b = conv_model(13);
    add(b);
    b.node("Reshape", {"c", "target"}, {"y"}, "reshape");
    b.output("y", 1);
    return error_of<ConversionError>([&] { import_onnx_model(b.model(), "m.onnx"); });
  };
  std::string error = error_for([](OnnxBuilder& b) {
    b.initializer_i64("v", {1}, {-1});
    b.initializer_i64("axes", {2}, {0, 0});
    b.node("Unsqueeze", {"v", "axes"}, {"target"}, "twice");
  });
  EXPECT_NE(error.find("node 'twice': Unsqueeze axes repeat an axis"), std::string::npos) << error;
  error = error_for([](OnnxBuilder& b) {
    b.initializer_i64("big", {1}, {INT64_MAX});
    b.initializer_i64("two", {1}, {2});
    b.node("Mul", {"big", "two"}, {"target"}, "overflow");
  });
  EXPECT_NE(error.find("node 'overflow': Mul of integer constants overflows int64"), std::string::npos) << error;
  // A huge step takes the first element only: [-1], a valid flatten target.
  OnnxBuilder b = conv_model(13);
  b.initializer_i64("v", {3}, {-1, 7, 9});
  b.initializer_i64("start", {1}, {0});
  b.initializer_i64("end", {1}, {INT64_MAX});
  b.initializer_i64("axis", {1}, {0});
  b.initializer_i64("step", {1}, {INT64_MAX});
  b.node("Slice", {"v", "start", "end", "axis", "step"}, {"target"}, "slice");
  b.node("Reshape", {"c", "target"}, {"y"}, "reshape");
  b.output("y", 1);
  const Graph g = import_onnx_model(b.model(), "m.onnx");
  EXPECT_EQ(g.value(g.output).shape, (Shape{100}));
}

// HardSwish as paddle2onnx writes it: x * Clip(x + 3, 0, 6) / 6 with x read twice.
OnnxBuilder hard_swish_spelled_out() {
  OnnxBuilder b = conv_model(9);
  b.constant("three", {1}, {3.0f});
  b.constant("six", {1}, {6.0f});
  b.node("Add", {"c", "three"}, {"shifted"}, "add3");
  auto& clip = b.node("Clip", {"shifted"}, {"clipped"}, "clip");
  set_float(clip, "min", 0.0f);
  set_float(clip, "max", 6.0f);
  b.node("Mul", {"c", "clipped"}, {"product"}, "mul");
  b.node("Div", {"product", "six"}, {"y"}, "hardswish");
  b.output("y", 4);
  return b;
}

TEST(Elementwise, SpelledOutHardSwishBecomesOneUnaryNode) {
  const Graph imported = import_onnx_model(hard_swish_spelled_out().model(), "m.onnx");
  Graph g = imported;
  normalise(g);
  ASSERT_EQ(g.nodes.size(), 2u);
  const Node& u = g.nodes[1];
  EXPECT_EQ(u.op, OpKind::kUnary);
  EXPECT_EQ(u.name, "hardswish");
  EXPECT_EQ(u.inputs[0], g.nodes[0].output);
  EXPECT_EQ(u.unary.text, "(x * Clip(x + 3, 0, 6)) / 6");
  for (float v : {-5.0f, -3.0f, -1.25f, 0.0f, 0.7f, 2.9f, 3.0f, 8.5f}) {
    EXPECT_EQ(u.unary.apply(v), v * std::min(std::max(v + 3.0f, 0.0f), 6.0f) / 6.0f) << v;
  }
  // The fused graph computes what the imported one does, bit for bit.
  const std::vector<float> x = random_floats(100, 9, -4.0f, 4.0f);
  EXPECT_EQ(FloatExecutor(imported).run(x), FloatExecutor(g).run(x));
}

TEST(Elementwise, HardSwishOperatorAndSigmoidAreUnary) {
  OnnxBuilder b = conv_model(14);
  b.node("HardSwish", {"c"}, {"h"}, "hs");
  b.node("Sigmoid", {"h"}, {"y"}, "sig");
  b.output("y", 4);
  Graph g = import_onnx_model(b.model(), "m.onnx");
  normalise(g);
  ASSERT_EQ(g.nodes.size(), 2u);  // the two compose into one
  EXPECT_EQ(g.nodes[1].unary.text, "Sigmoid(HardSwish(x))");
  const float v = 1.5f;
  const float hs = v * std::max(0.0f, std::min(1.0f, v / 6.0f + 0.5f));
  EXPECT_NEAR(g.nodes[1].unary.apply(v), 1.0f / (1.0f + std::exp(-hs)), 1e-7f);
}

// Squeeze-excite: GlobalAveragePool -> 1x1 Conv -> Relu -> 1x1 Conv -> HardSigmoid -> Mul with the map.
OnnxBuilder squeeze_excite(bool factors_first) {
  OnnxBuilder b = conv_model(9);
  b.node("Relu", {"c"}, {"r"}, "relu");
  b.node("GlobalAveragePool", {"r"}, {"g"}, "gap");
  b.initializer("w1", {2, 4, 1, 1}, random_floats(8, 5));
  b.initializer("b1", {2}, random_floats(2, 6));
  b.node("Conv", {"g", "w1", "b1"}, {"s1"}, "se_reduce");
  b.node("Relu", {"s1"}, {"s1r"}, "se_relu");
  b.initializer("w2", {4, 2, 1, 1}, random_floats(8, 7));
  b.node("Conv", {"s1r", "w2"}, {"s2"}, "se_expand");
  auto& hs = b.node("HardSigmoid", {"s2"}, {"gate"}, "se_gate");
  set_float(hs, "alpha", 0.2f);
  set_float(hs, "beta", 0.5f);
  b.node("Mul", factors_first ? std::vector<std::string>{"gate", "r"} : std::vector<std::string>{"r", "gate"}, {"y"},
         "se_scale");
  b.output("y", 4);
  return b;
}

TEST(Elementwise, SqueezeExciteKeepsAPerChannelMulWithTheMapFirst) {
  for (bool factors_first : {false, true}) {
    Graph g = import_onnx_model(squeeze_excite(factors_first).model(), "m.onnx");
    normalise(g);
    EXPECT_EQ(count_op(g, OpKind::kUnary), 1u);  // the HardSigmoid
    ASSERT_EQ(g.nodes.back().op, OpKind::kMul);
    const Node& mul = g.nodes.back();
    EXPECT_EQ(g.value(mul.inputs[0]).shape, (Shape{1, 4, 5, 5}));
    EXPECT_EQ(g.value(mul.inputs[1]).shape, (Shape{1, 4, 1, 1}));
    const std::vector<float> x = random_floats(100, 8);
    FloatExecutor executor(g);
    const auto& values = executor.run_all(x);
    const auto& map = values[static_cast<size_t>(mul.inputs[0])];
    const auto& gate = values[static_cast<size_t>(mul.inputs[1])];
    const auto& y = values[static_cast<size_t>(g.output)];
    for (size_t i = 0; i < y.size(); ++i) ASSERT_EQ(y[i], map[i] * gate[i / 25]) << i;
  }
}

TEST(Elementwise, ArithmeticOfUnrelatedTensorsIsAClearError) {
  OnnxBuilder b = conv_model(13);
  b.initializer("w2", {4, 4, 1, 1}, random_floats(16, 11));
  b.node("Conv", {"x", "w2"}, {"c2"}, "conv2");
  b.node("Sub", {"c", "c2"}, {"y"}, "difference");
  b.output("y", 4);
  Graph g = import_onnx_model(b.model(), "m.onnx");
  const std::string error = error_of<ConversionError>([&] { normalise(g); });
  EXPECT_NE(error.find("Sub 'difference'"), std::string::npos) << error;
  EXPECT_NE(error.find("- of two computed tensors is supported only when both derive from one tensor"),
            std::string::npos)
      << error;
}

TEST(Elementwise, BroadcastOtherThanSqueezeExciteIsAClearError) {
  OnnxBuilder b = conv_model(13);
  b.node("GlobalAveragePool", {"c"}, {"g"}, "gap");
  b.node("Add", {"c", "g"}, {"y"}, "broadcast_add");
  b.output("y", 4);
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(b.model(), "m.onnx"); });
  EXPECT_NE(error.find("node 'broadcast_add'"), std::string::npos) << error;
  EXPECT_NE(error.find("need broadcasting"), std::string::npos) << error;
}

TEST(Elementwise, SoftmaxOverClassesOnly) {
  OnnxBuilder ok = conv_model(13);
  ok.node("GlobalAveragePool", {"c"}, {"g"}, "gap");
  set_int(ok.node("Flatten", {"g"}, {"f"}, "flatten"), "axis", 1);
  ok.node("Softmax", {"f"}, {"y"}, "softmax");
  ok.output("y", 2);
  Graph g = import_onnx_model(ok.model(), "m.onnx");
  normalise(g);
  EXPECT_EQ(g.nodes.back().op, OpKind::kSoftmax);
  FloatExecutor executor(g);
  const auto& values = executor.run_all(random_floats(100, 12));
  const auto& y = values[static_cast<size_t>(g.output)];
  const auto& logits = values[static_cast<size_t>(g.nodes.back().inputs[0])];
  double sum = 0;
  for (float p : y) sum += p;
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_NEAR(y[0] / y[1], std::exp(logits[0] - logits[1]), 1e-5);

  OnnxBuilder bad = conv_model(13);
  set_int(bad.node("Softmax", {"c"}, {"y"}, "spatial_softmax"), "axis", 1);
  bad.output("y", 4);
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(bad.model(), "m.onnx"); });
  EXPECT_NE(error.find("node 'spatial_softmax'"), std::string::npos) << error;
  EXPECT_NE(error.find("only over the classes of a [1,C] tensor"), std::string::npos) << error;
}

TEST(Elementwise, InputShapeFixesSymbolicDimensions) {
  OnnxBuilder b;
  b.input("x", {-1, 4, -1, -1});
  b.initializer("w", {4, 4, 3, 3}, random_floats(144, 3));
  b.node("Conv", {"x", "w"}, {"y"}, "conv");
  b.output("y", 4);
  const std::string missing = error_of<ConversionError>([&] { import_onnx_model(b.model(), "m.onnx"); });
  EXPECT_NE(missing.find("fix the others with --input-shape"), std::string::npos) << missing;
  const Graph g = import_onnx_model(b.model(), "m.onnx", {1, 4, 6, 10});
  EXPECT_EQ(g.value(g.output).shape, (Shape{1, 4, 4, 8}));
  const std::string conflict = error_of<ConversionError>([&] {
    import_onnx_model(b.model(), "m.onnx", {1, 3, 6, 10});
  });
  EXPECT_NE(conflict.find("fixes dimension 1 to 4; --input-shape asks for 3"), std::string::npos) << conflict;
}

// The int8 forms: a lookup table that is the function at every input code, Mul's multiplier,
// Softmax's fixed output quantisation and its exp table.
TEST(Elementwise, QuantisedFormsOfTheNewOperators) {
  OnnxBuilder b = hard_swish_spelled_out();
  Graph g = import_onnx_model(b.model(), "m.onnx");
  normalise(g);
  std::vector<Range> ranges(g.values.size(), Range{-4.0f, 6.0f});
  ranges[static_cast<size_t>(g.output)] = {-0.375f, 6.0f};
  const QuantisedModel m = quantise_graph(g, ranges, NestConfig{});
  const QuantOperator& lookup = m.operators.back();
  ASSERT_EQ(lookup.code, fb::OpCode::Lookup);
  ASSERT_EQ(lookup.lookup_table.size(), 256u);
  const ActivationQuant& in = m.tensors[static_cast<size_t>(lookup.inputs[0])].quant;
  const ActivationQuant& out = m.tensors[static_cast<size_t>(lookup.outputs[0])].quant;
  for (int q = -128; q <= 127; ++q) {
    const float x = in.scale * static_cast<float>(q - in.zero_point);
    const float hs = x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f;
    const long expected = std::clamp(std::lround(hs / out.scale) + out.zero_point, -128L, 127L);
    // lround rounds ties away from zero, the table to even: they may differ by one on exact ties.
    EXPECT_LE(std::abs(lookup.lookup_table[static_cast<size_t>(q + 128)] - expected), 1) << q;
  }

  Graph se = import_onnx_model(squeeze_excite(false).model(), "m.onnx");
  normalise(se);
  std::vector<Range> se_ranges(se.values.size(), Range{-2.0f, 2.0f});
  const QuantisedModel sm = quantise_graph(se, se_ranges, NestConfig{});
  const QuantOperator& mul = sm.operators.back();
  ASSERT_EQ(mul.code, fb::OpCode::Mul);
  const float sa = sm.tensors[static_cast<size_t>(mul.inputs[0])].quant.scale;
  const float sb = sm.tensors[static_cast<size_t>(mul.inputs[1])].quant.scale;
  const float so = sm.tensors[static_cast<size_t>(mul.outputs[0])].quant.scale;
  EXPECT_FLOAT_EQ(mul.mul_multiplier, sa * sb / so);

  OnnxBuilder sb2 = conv_model(13);
  sb2.node("GlobalAveragePool", {"c"}, {"g"}, "gap");
  sb2.node("Flatten", {"g"}, {"f"}, "flatten");
  sb2.node("Softmax", {"f"}, {"y"}, "softmax");
  sb2.output("y", 2);
  Graph sg = import_onnx_model(sb2.model(), "m.onnx");
  normalise(sg);
  std::vector<Range> s_ranges(sg.values.size(), Range{-8.0f, 8.0f});
  const QuantisedModel smx = quantise_graph(sg, s_ranges, NestConfig{});
  const QuantOperator& softmax = smx.operators.back();
  ASSERT_EQ(softmax.code, fb::OpCode::Softmax);
  const ActivationQuant& probs = smx.tensors[static_cast<size_t>(softmax.outputs[0])].quant;
  EXPECT_EQ(probs.scale, 1.0f / 256.0f);
  EXPECT_EQ(probs.zero_point, -128);
  const float s_in = smx.tensors[static_cast<size_t>(softmax.inputs[0])].quant.scale;
  ASSERT_EQ(softmax.softmax_exp_table.size(), 256u);
  EXPECT_EQ(softmax.softmax_exp_table[0], 1.0f);
  EXPECT_NEAR(softmax.softmax_exp_table[10], std::exp(-10.0 * s_in), 1e-7);
}

// A MobileNetV3 block as paddle2onnx exports it (opset 9): Conv + BatchNormalization + HardSwish
// spelled out, depthwise Conv + Relu, squeeze-excite with HardSigmoid, GlobalAveragePool, the
// Shape/Slice/Concat flatten, MatMul + bias and Softmax.
OnnxBuilder mobilenet_v3_block() {
  OnnxBuilder b(9);
  b.input("x", {-1, 3, 8, 12});
  b.initializer("w0", {8, 3, 3, 3}, random_floats(216, 21, -0.4f, 0.4f));
  auto& stem = b.node("Conv", {"x", "w0"}, {"c0"}, "stem");
  set_ints(stem, "pads", {1, 1, 1, 1});
  set_ints(stem, "strides", {2, 1});
  b.initializer("bn_s", {8}, random_floats(8, 22, 0.5f, 1.5f));
  b.initializer("bn_b", {8}, random_floats(8, 23, -0.5f, 0.5f));
  b.initializer("bn_m", {8}, random_floats(8, 24, -0.2f, 0.2f));
  b.initializer("bn_v", {8}, random_floats(8, 25, 0.5f, 1.0f));
  b.node("BatchNormalization", {"c0", "bn_s", "bn_b", "bn_m", "bn_v"}, {"bn0"}, "bn0");
  b.constant("three", {1}, {3.0f});
  b.constant("six", {1}, {6.0f});
  b.node("Add", {"bn0", "three"}, {"hs_add"}, "hs_add");
  auto& clip = b.node("Clip", {"hs_add"}, {"hs_clip"}, "hs_clip");
  set_float(clip, "min", 0.0f);
  set_float(clip, "max", 6.0f);
  b.node("Mul", {"bn0", "hs_clip"}, {"hs_mul"}, "hs_mul");
  b.node("Div", {"hs_mul", "six"}, {"h0"}, "hardswish_0");
  b.initializer("wd", {8, 1, 3, 3}, random_floats(72, 26, -0.5f, 0.5f));
  auto& dw = b.node("Conv", {"h0", "wd"}, {"d0"}, "depthwise");
  set_ints(dw, "pads", {1, 1, 1, 1});
  set_int(dw, "group", 8);
  b.node("Relu", {"d0"}, {"r0"}, "dw_relu");
  b.node("GlobalAveragePool", {"r0"}, {"se_in"}, "se_pool");
  b.initializer("w1", {4, 8, 1, 1}, random_floats(32, 27, -0.5f, 0.5f));
  b.initializer("b1", {4}, random_floats(4, 28, -0.1f, 0.1f));
  b.node("Conv", {"se_in", "w1", "b1"}, {"se1"}, "se_reduce");
  b.node("Relu", {"se1"}, {"se1r"}, "se_relu");
  b.initializer("w2", {8, 4, 1, 1}, random_floats(32, 29, -0.5f, 0.5f));
  b.initializer("b2", {8}, random_floats(8, 30, -0.1f, 0.1f));
  b.node("Conv", {"se1r", "w2", "b2"}, {"se2"}, "se_expand");
  auto& gate = b.node("HardSigmoid", {"se2"}, {"se_gate"}, "se_gate");
  set_float(gate, "alpha", 0.2f);
  set_float(gate, "beta", 0.5f);
  b.node("Mul", {"r0", "se_gate"}, {"se_out"}, "se_scale");
  b.node("GlobalAveragePool", {"se_out"}, {"pooled"}, "head_pool");
  b.node("Shape", {"pooled"}, {"shape"}, "shape");
  auto& slice = b.node("Slice", {"shape"}, {"batch"}, "slice");
  set_ints(slice, "axes", {0});
  set_ints(slice, "starts", {0});
  set_ints(slice, "ends", {1});
  b.initializer_i64("minus_one", {1}, {-1});
  set_int(b.node("Concat", {"batch", "minus_one"}, {"target"}, "concat"), "axis", 0);
  b.node("Reshape", {"pooled", "target"}, {"flat"}, "flatten");
  b.initializer("fc", {8, 3}, random_floats(24, 31, -1.0f, 1.0f));
  b.node("MatMul", {"flat", "fc"}, {"logits0"}, "fc");
  b.initializer("fc_b", {3}, random_floats(3, 32, -0.2f, 0.2f));
  b.node("Add", {"logits0", "fc_b"}, {"logits"}, "fc_bias");
  set_int(b.node("Softmax", {"logits"}, {"probs"}, "softmax"), "axis", 1);
  b.output("probs", 2);
  return b;
}

// Converted end to end: one Lookup per activation chain, the per-channel Mul, Softmax; the int8
// execution (an interpreter written independently of the converter) follows the float model.
TEST(Elementwise, MobileNetV3BlockConvertsAndRunsInInt8) {
  TempDir dir;
  mobilenet_v3_block().save(dir.file("block.onnx"));
  testing::write_npy(dir.file("calib.npy"), {32, 3, 8, 12}, random_floats(32 * 288, 40, 0.0f, 1.0f));
  ConvertOptions options;
  options.input_path = dir.file("block.onnx");
  options.output_path = dir.file("block.nest");
  options.calibration_path = dir.file("calib.npy");
  options.input_shape = {1, 3, 8, 12};
  convert(options);
  const auto file = format::ModelFile::open(options.output_path);
  std::vector<fb::OpCode> codes;
  for (const fb::Operator* op : *file->model().graph()->operators()) codes.push_back(op->code());
  EXPECT_EQ(codes, (std::vector<fb::OpCode>{fb::OpCode::Conv2D, fb::OpCode::Lookup, fb::OpCode::DepthwiseConv2D,
                                            fb::OpCode::GlobalAveragePool, fb::OpCode::Conv2D, fb::OpCode::Conv2D,
                                            fb::OpCode::Lookup, fb::OpCode::Mul, fb::OpCode::GlobalAveragePool,
                                            fb::OpCode::Reshape, fb::OpCode::FullyConnected, fb::OpCode::Softmax}));
  Graph graph = import_onnx_file(options.input_path, options.input_shape);
  normalise(graph);
  FloatExecutor reference(graph);
  testing::Int8Reference full(*file, false), part(*file, true);
  double full_error = 0.0, part_error = 0.0;
  for (uint32_t seed = 0; seed < 20; ++seed) {
    const std::vector<float> x = random_floats(288, 600 + seed, 0.0f, 1.0f);
    const std::vector<float> f = reference.run(x), q = full.run(x), p = part.run(x);
    ASSERT_EQ(q.size(), 3u);
    for (size_t i = 0; i < f.size(); ++i) {
      full_error = std::max(full_error, std::fabs(static_cast<double>(f[i]) - q[i]));
      part_error = std::max(part_error, std::fabs(static_cast<double>(f[i]) - p[i]));
    }
  }
  // Probabilities within about two output steps (1/256); seen: 0.0030 full, 0.0041 part, and 0.024
  // with every lookup table shifted by six input steps.
  EXPECT_LT(full_error, 0.01);
  EXPECT_LT(part_error, 0.015);
}

}  // namespace
}  // namespace nestrt::converter

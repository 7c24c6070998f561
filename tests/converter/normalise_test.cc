#include "nestrt/converter/normalise.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nestrt/converter/error.h"
#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/onnx_import.h"
#include "test_util.h"

namespace nestrt::converter {
namespace {

using testing::error_of;
using testing::OnnxBuilder;
using testing::random_floats;
using testing::set_ints;

// Max |a - b| relative to max |a|.
double relative_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double diff = 0.0, scale = 1e-12;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(static_cast<double>(a[i]) - b[i]));
    scale = std::max(scale, std::fabs(static_cast<double>(a[i])));
  }
  return diff / scale;
}

// Runs the imported and the normalised graph on the same inputs and compares.
void expect_same_function(const OnnxBuilder& model, size_t expected_nodes) {
  const Graph imported = import_onnx_model(model.model(), "m.onnx");
  Graph normalised = imported;
  normalise(normalised);
  EXPECT_EQ(normalised.nodes.size(), expected_nodes);
  FloatExecutor before(imported), after(normalised);
  const int64_t input_size = element_count(imported.value(imported.input).shape);
  for (uint32_t seed = 0; seed < 5; ++seed) {
    const std::vector<float> x = random_floats(static_cast<size_t>(input_size), 100 + seed, 0.0f, 1.0f);
    const std::vector<float> a = before.run(x), b = after.run(x);
    ASSERT_EQ(a.size(), b.size());
    EXPECT_LT(relative_difference(a, b), 1e-5) << "seed " << seed;
  }
}

TEST(Normalise, FoldsBatchNormFusesActivationsAndPermutesFlatten) {
  // 13 imported nodes: BatchNormalization and four activations merge away.
  expect_same_function(testing::tiny_cnn(), 8);
  const Graph g = [] {
    Graph graph = import_onnx_model(testing::tiny_cnn().model(), "m.onnx");
    normalise(graph);
    return graph;
  }();
  for (const Node& n : g.nodes) {
    EXPECT_NE(n.op, OpKind::kBatchNorm);
    EXPECT_NE(n.op, OpKind::kRelu);
    EXPECT_NE(n.op, OpKind::kClip);
  }
  EXPECT_EQ(g.nodes[0].activation.min, 0.0f);  // stem Conv + Relu
  const Node& proj = *std::find_if(g.nodes.begin(), g.nodes.end(), [](const Node& n) { return n.name == "proj_conv"; });
  EXPECT_EQ(proj.activation.min, 0.0f);  // Clip(0, 6)
  EXPECT_EQ(proj.activation.max, 6.0f);
  const Node& flatten =
      *std::find_if(g.nodes.begin(), g.nodes.end(), [](const Node& n) { return n.op == OpKind::kReshape; });
  EXPECT_TRUE(flatten.flatten_hwc);
}

TEST(Normalise, ClipAttributeFormOfOldOpsets) {
  expect_same_function(testing::tiny_cnn(10), 8);
}

TEST(Normalise, BatchNormFoldingAlone) {
  OnnxBuilder b;
  b.input("x", {1, 3, 5, 5});
  b.initializer("w", {4, 3, 3, 3}, random_floats(108, 1));
  b.initializer("b", {4}, random_floats(4, 2));
  b.node("Conv", {"x", "w", "b"}, {"c"}, "conv");
  b.initializer("s", {4}, random_floats(4, 3, -2.0f, 2.0f));
  b.initializer("o", {4}, random_floats(4, 4));
  b.initializer("m", {4}, random_floats(4, 5));
  b.initializer("v", {4}, random_floats(4, 6, 0.01f, 3.0f));
  auto& bn = b.node("BatchNormalization", {"c", "s", "o", "m", "v"}, {"y"}, "bn");
  testing::set_float(bn, "epsilon", 1e-3f);
  b.output("y", 4);
  expect_same_function(b, 1);
}

TEST(Normalise, MatMulPlusConstantAddBecomesFullyConnectedBias) {
  OnnxBuilder b;
  b.input("x", {1, 2, 2, 2});
  b.node("Flatten", {"x"}, {"f"}, "flat");
  b.initializer("w", {8, 5}, random_floats(40, 1));
  b.node("MatMul", {"f", "w"}, {"mm"}, "matmul");
  b.initializer("bias", {5}, random_floats(5, 2));
  b.node("Add", {"mm", "bias"}, {"y"}, "bias_add");
  b.output("y");
  expect_same_function(b, 2);
}

// An activation no producer can take runs on its own, as a unary (lookup) node.
TEST(Normalise, UnfusableActivationBecomesAUnaryNode) {
  OnnxBuilder b;
  b.input("x", {1, 1, 4, 4});
  auto& pool = b.node("MaxPool", {"x"}, {"p"}, "pool");
  set_ints(pool, "kernel_shape", {2, 2});
  b.node("Relu", {"p"}, {"y"}, "late_relu");
  b.output("y", 4);
  const Graph imported = import_onnx_model(b.model(), "m.onnx");
  Graph g = imported;
  normalise(g);
  ASSERT_EQ(g.nodes.size(), 2u);
  EXPECT_EQ(g.nodes[1].op, OpKind::kUnary);
  EXPECT_EQ(g.nodes[1].name, "late_relu");
  const std::vector<float> x = random_floats(16, 4);
  EXPECT_EQ(FloatExecutor(g).run(x), FloatExecutor(imported).run(x));
  EXPECT_EQ(g.nodes[1].unary.apply(-2.0f), 0.0f);
  EXPECT_EQ(g.nodes[1].unary.apply(1.5f), 1.5f);
}

TEST(Normalise, BatchNormNotAfterConvIsAClearError) {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4});
  for (const char* p : {"s", "o", "m", "v"}) b.initializer(p, {2}, {1.0f, 1.0f});
  b.node("BatchNormalization", {"x", "s", "o", "m", "v"}, {"y"}, "input_bn");
  b.output("y", 4);
  Graph g = import_onnx_model(b.model(), "m.onnx");
  const std::string error = error_of<ConversionError>([&] { normalise(g); });
  EXPECT_NE(error.find("BatchNormalization 'input_bn': cannot fold"), std::string::npos) << error;
  EXPECT_NE(error.find("graph input"), std::string::npos) << error;
}

TEST(Normalise, LayoutChangingReshapeIsAClearError) {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4});
  b.initializer_i64("shape", {4}, {1, 4, 2, 4});
  b.node("Reshape", {"x", "shape"}, {"r"}, "reshape");
  b.initializer("w", {1, 4, 1, 1}, {1, 1, 1, 1});
  b.node("Conv", {"r", "w"}, {"y"}, "conv");
  b.output("y", 4);
  Graph g = import_onnx_model(b.model(), "m.onnx");
  const std::string error = error_of<ConversionError>([&] { normalise(g); });
  EXPECT_NE(error.find("Reshape 'reshape': reshaping [1,2,4,4] to [1,4,2,4] is not supported"), std::string::npos)
      << error;
}

}  // namespace
}  // namespace nestrt::converter

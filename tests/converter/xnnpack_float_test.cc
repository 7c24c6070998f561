// The converter's XNNPACK float engine against the reference loops: every node kind XNNPACK runs,
// with the attributes that change its indexing (groups, depthwise, strides, dilation, asymmetric
// padding, ceil_mode, count_include_pad, fused clamps), value by value.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/normalise.h"
#include "nestrt/converter/onnx_import.h"
#include "test_util.h"

namespace nestrt::converter {
namespace {

using testing::OnnxBuilder;
using testing::random_floats;
using testing::set_int;
using testing::set_ints;

// Runs the graph with both engines and compares every value: XNNPACK sums in float in its own
// order, the reference in double, so they agree to float rounding, not bit for bit.
void expect_engines_agree(OnnxBuilder& b, const Shape& input, size_t min_xnnpack_nodes) {
  Graph graph = import_onnx_model(b.model(), "m.onnx");
  normalise(graph);
  FloatExecutor reference(graph), xnnpack(graph, FloatEngine::kXnnpack);
  EXPECT_GE(xnnpack.xnnpack_nodes(), min_xnnpack_nodes);
  const std::vector<float> x = random_floats(static_cast<size_t>(element_count(input)), 11, -2.0f, 2.0f);
  const auto expected = reference.run_all(x);
  const auto& actual = xnnpack.run_all(x);
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t v = 0; v < expected.size(); ++v) {
    ASSERT_EQ(expected[v].size(), actual[v].size()) << graph.values[v].name;
    double peak = 0.0;
    for (float e : expected[v]) peak = std::max(peak, std::fabs(static_cast<double>(e)));
    for (size_t i = 0; i < expected[v].size(); ++i) {
      ASSERT_NEAR(actual[v][i], expected[v][i], 1e-5 * std::max(1.0, peak)) << graph.values[v].name << " element " << i;
    }
  }
}

TEST(XnnpackFloatEngine, GroupedStridedDilatedConvolutionsWithAsymmetricPadding) {
  OnnxBuilder b;
  b.input("x", {1, 4, 11, 9});
  b.initializer("w1", {6, 2, 3, 3}, random_floats(108, 1));  // groups 2
  b.initializer("b1", {6}, random_floats(6, 2));
  auto& c1 = b.node("Conv", {"x", "w1", "b1"}, {"c1"}, "grouped");
  set_int(c1, "group", 2);
  set_ints(c1, "strides", {2, 1});
  set_ints(c1, "pads", {1, 0, 2, 1});
  b.initializer("w2", {6, 1, 3, 3}, random_floats(54, 3));  // depthwise, dilation 2
  auto& c2 = b.node("Conv", {"c1", "w2"}, {"c2"}, "depthwise");
  set_int(c2, "group", 6);
  set_ints(c2, "dilations", {2, 2});
  set_ints(c2, "pads", {2, 2, 2, 2});
  b.node("Relu", {"c2"}, {"r2"}, "relu");
  b.initializer("w3", {5, 6, 1, 2}, random_floats(60, 4));  // non-square, stride 3
  auto& c3 = b.node("Conv", {"r2", "w3"}, {"c3"}, "pointwise");
  set_ints(c3, "strides", {3, 3});
  b.output("c3", 4);
  expect_engines_agree(b, {1, 4, 11, 9}, 3);
}

TEST(XnnpackFloatEngine, PoolsWithPaddingCeilModeAndCountIncludePad) {
  OnnxBuilder b;
  b.input("x", {1, 3, 10, 10});
  auto& m = b.node("MaxPool", {"x"}, {"m"}, "max");
  set_ints(m, "kernel_shape", {3, 3});
  set_ints(m, "strides", {2, 2});
  set_ints(m, "pads", {1, 1, 0, 0});
  set_int(m, "ceil_mode", 1);
  auto& a = b.node("AveragePool", {"m"}, {"a"}, "average");
  set_ints(a, "kernel_shape", {2, 3});
  set_ints(a, "pads", {1, 1, 1, 1});
  auto& p = b.node("AveragePool", {"a"}, {"p"}, "average_counting_padding");  // stays with the reference
  set_ints(p, "kernel_shape", {2, 2});
  set_ints(p, "pads", {1, 0, 0, 1});
  set_int(p, "count_include_pad", 1);
  b.node("GlobalAveragePool", {"p"}, {"g"}, "global");
  b.output("g", 4);
  expect_engines_agree(b, {1, 3, 10, 10}, 3);
}

TEST(XnnpackFloatEngine, FullyConnectedAndAddWithFusedClamps) {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4});
  b.initializer("w", {2, 2, 3, 3}, random_floats(36, 5));
  auto& c = b.node("Conv", {"x", "w"}, {"c"}, "conv");
  set_ints(c, "pads", {1, 1, 1, 1});
  b.node("Add", {"c", "x"}, {"s"}, "residual");
  b.initializer("lo", {}, {-0.5f});
  b.initializer("hi", {}, {0.75f});
  b.node("Clip", {"s", "lo", "hi"}, {"k"}, "clip");
  b.node("Flatten", {"k"}, {"f"}, "flatten");
  b.initializer("fw", {7, 32}, random_floats(224, 6));
  b.initializer("fb", {7}, random_floats(7, 7));
  auto& g = b.node("Gemm", {"f", "fw", "fb"}, {"y"}, "fc");
  set_int(g, "transB", 1);
  b.output("y", 2);
  expect_engines_agree(b, {1, 2, 4, 4}, 3);
}

TEST(XnnpackFloatEngine, EngineNamesParse) {
  FloatEngine e = FloatEngine::kReference;
  EXPECT_TRUE(parse_float_engine("xnnpack", &e));
  EXPECT_EQ(e, FloatEngine::kXnnpack);
  EXPECT_TRUE(parse_float_engine("reference", &e));
  EXPECT_EQ(e, FloatEngine::kReference);
  EXPECT_FALSE(parse_float_engine("fast", &e));
  EXPECT_STREQ(float_engine_name(FloatEngine::kXnnpack), "xnnpack");
}

}  // namespace
}  // namespace nestrt::converter

#include "nestrt/converter/onnx_import.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <random>

#include "isolated_shape_inference.h"
#include "nestrt/converter/emit.h"
#include "nestrt/converter/error.h"
#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/normalise.h"
#include "test_util.h"

namespace nestrt::converter {
namespace {

using testing::error_of;
using testing::OnnxBuilder;
using testing::random_floats;
using testing::set_int;
using testing::set_ints;

OnnxBuilder conv_then(const std::string& op, const std::string& name) {
  OnnxBuilder b;
  b.input("x", {1, 2, 6, 6});
  b.initializer("w", {3, 2, 3, 3}, random_floats(54, 1));
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  b.node(op, {"c"}, {"y"}, name);
  b.output("y", 4);
  return b;
}

TEST(Import, TinyCnnShapesAndSymbolicBatch) {
  const Graph g = import_onnx_model(testing::tiny_cnn().model(), "tiny.onnx");
  EXPECT_EQ(g.value(g.input).shape, (Shape{1, 1, 8, 8}));  // symbolic batch -> 1
  EXPECT_EQ(g.value(g.output).name, "logits");
  EXPECT_EQ(g.value(g.output).shape, (Shape{1, 3}));
  ASSERT_EQ(g.nodes.size(), 13u);
  const Node& dw = g.nodes[4];
  EXPECT_EQ(dw.name, "dw_conv");
  EXPECT_EQ(dw.weights.size(), 36u);  // from a Constant node
  EXPECT_EQ(dw.conv.groups, 4);
  EXPECT_EQ(dw.conv.pad_top, 1);  // SAME_UPPER 3x3
  const Node& fc = g.nodes.back();
  EXPECT_EQ(fc.op, OpKind::kFullyConnected);
  EXPECT_EQ(fc.weight_shape, (Shape{3, 32}));
  const std::vector<float> w = random_floats(96, 10), b = random_floats(3, 11);
  EXPECT_FLOAT_EQ(fc.weights[5], 0.5f * w[5]);  // alpha, transB = 1
  EXPECT_FLOAT_EQ(fc.bias[2], 2.0f * b[2]);     // beta
}

TEST(Import, UnsupportedOperatorNamesOpNodeAndOpset) {
  const std::string error =
      error_of<ConversionError>([] { import_onnx_model(conv_then("Erf", "erf").model(), "m.onnx"); });
  EXPECT_NE(error.find("m.onnx: unsupported operator 'Erf' (node 'erf', opset 13)"), std::string::npos) << error;
}

// torch.onnx.export writes Identity for shared and renamed tensors; Dropout is a no-op at
// inference. Both become aliases: the same graph and the same outputs as without them.
TEST(Import, IdentityAndInferenceDropoutAreAliases) {
  OnnxBuilder plain, with;
  for (OnnxBuilder* b : {&plain, &with}) {
    b->input("x", {1, 2, 6, 6});
    b->initializer("w", {3, 2, 3, 3}, random_floats(54, 1));
  }
  plain.node("Conv", {"x", "w"}, {"c"}, "conv");
  plain.node("Relu", {"c"}, {"y"}, "relu");
  plain.output("y", 4);
  with.node("Identity", {"w"}, {"w_alias"}, "weight_identity");  // an alias of a constant
  with.node("Conv", {"x", "w_alias"}, {"c"}, "conv");
  with.node("Dropout", {"c"}, {"d"}, "dropout");
  with.node("Relu", {"d"}, {"r"}, "relu");
  with.node("Identity", {"r"}, {"y"}, "output_identity");  // the graph output is an alias
  with.output("y", 4);
  const Graph a = import_onnx_model(plain.model(), "plain.onnx"), b = import_onnx_model(with.model(), "with.onnx");
  ASSERT_EQ(b.nodes.size(), a.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) EXPECT_EQ(b.nodes[i].op, a.nodes[i].op);
  const std::vector<float> x = random_floats(72, 2);
  EXPECT_EQ(FloatExecutor(b).run(x), FloatExecutor(a).run(x));

  OnnxBuilder mask;  // the dropout mask has no inference meaning
  mask.input("x", {1, 2, 6, 6});
  mask.node("Dropout", {"x"}, {"d", "m"}, "dropout");
  mask.node("Add", {"d", "m"}, {"y"}, "add");
  mask.output("y", 4);
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(mask.model(), "m.onnx"); });
  EXPECT_NE(error.find("dropout mask"), std::string::npos) << error;
}

TEST(Import, UnnamedNodesGetNames) {
  const std::string error =
      error_of<ConversionError>([] { import_onnx_model(conv_then("Erf", "").model(), "m.onnx"); });
  EXPECT_NE(error.find("unsupported operator 'Erf' (node 'Erf_1', opset 13)"), std::string::npos) << error;
}

TEST(Import, RejectsTwoInputs) {
  OnnxBuilder b;
  b.input("a", {1, 1, 2, 2});
  b.input("b", {1, 1, 2, 2});
  b.node("Add", {"a", "b"}, {"y"}, "add");
  b.output("y", 4);
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(b.model(), "m.onnx"); });
  EXPECT_NE(error.find("2 inputs ('a', 'b'); nestrt-convert supports exactly one"), std::string::npos) << error;
}

// Found by onnx_import_fuzzer: libonnx 1.12's shape inference dereferences null on a rank-2 tensor
// into Conv. The converter runs inference in a child process first, so this is an error, not a crash.
// (Should a libonnx upgrade fix that bug, expect "ONNX shape inference failed" here instead.)
TEST(Import, MalformedGraphThatCrashesOnnxShapeInferenceIsAnError) {
  OnnxBuilder b(11);
  b.input("x", {1, 8});
  b.initializer("w", {1, 1, 3, 3}, random_floats(9, 3));
  set_ints(b.node("Conv", {"x", "w"}, {"c"}, "conv"), "pads", {1, 1, 1, 1});
  b.output("c", 4);
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(b.model(), "bad.onnx"); });
  EXPECT_NE(error.find("bad.onnx: ONNX shape inference crashed"), std::string::npos) << error;
}

// Found by onnx_import_fuzzer: libonnx's ParseData copies all of raw_data into a buffer of
// size / sizeof(T) elements, so a ragged size wrote past the end (or through null when shorter
// than one element).
TEST(Import, RaggedRawDataIsAnError) {
  for (const size_t bytes : {3u, 5u, 37u}) {
    OnnxBuilder b;
    b.input("x", {1, 1, 2, 2});
    b.initializer("w", {1, 1, 1, 1}, {0.5f});
    b.node("Conv", {"x", "w"}, {"y"}, "conv");
    b.output("y", 4);
    onnx::ModelProto model = b.model();
    model.mutable_graph()->mutable_initializer(0)->set_raw_data(std::string(bytes, '\x01'));
    const std::string error = error_of<ConversionError>([&] { import_onnx_model(model, "bad.onnx"); });
    EXPECT_NE(error.find("tensor 'w' has " + std::to_string(bytes) +
                         " bytes of raw data, not a whole number of 4-byte elements"),
              std::string::npos)
        << error;
  }
}

// The child's inferred shapes reach the parent's model (the importer cross-checks its own shapes
// against them).
TEST(Import, ShapeInferenceInTheChildFillsTheParentsValueInfo) {
  OnnxBuilder b;
  b.input("x", {1, 3, 8, 8});
  b.initializer("w", {4, 3, 3, 3}, random_floats(108, 5));
  set_ints(b.node("Conv", {"x", "w"}, {"c"}, "conv"), "strides", {2, 2});
  b.node("Relu", {"c"}, {"y"}, "relu");
  b.output("y", 4);
  onnx::ModelProto model = b.model();
  infer_shapes_isolated(model, "m.onnx");
  ASSERT_EQ(model.graph().value_info_size(), 1);
  const auto& info = model.graph().value_info(0);
  EXPECT_EQ(info.name(), "c");
  std::vector<int64_t> dims;
  for (const auto& d : info.type().tensor_type().shape().dim()) dims.push_back(d.dim_value());
  EXPECT_EQ(dims, (std::vector<int64_t>{1, 4, 3, 3}));
  EXPECT_EQ(model.graph().output(0).type().tensor_type().shape().dim_size(), 4);
}

// Inference runs in the child only; its exceptions come back to the parent with their message.
TEST(Import, OnnxShapeInferenceErrorsFromTheChildNameTheProblem) {
  OnnxBuilder b;
  b.input("x", {1, 2, 2, 2});
  b.node("Relu", {"x"}, {"y"}, "relu");
  b.output("y", 4);
  onnx::ModelProto model = b.model();
  model.mutable_graph()->mutable_output(0)->mutable_type()->mutable_tensor_type()->set_elem_type(
      onnx::TensorProto::INT64);  // Relu of a float is a float
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(model, "bad.onnx"); });
  EXPECT_NE(error.find("bad.onnx: ONNX shape inference failed: "), std::string::npos) << error;
  EXPECT_NE(error.find("type"), std::string::npos) << error;
}

TEST(Import, GraphCyclesAreRejected) {
  OnnxBuilder b;
  b.input("x", {1, 1, 2, 2});
  b.node("Add", {"x", "b"}, {"a"}, "first");
  b.node("Relu", {"a"}, {"b"}, "second");  // feeds back into 'first'
  b.output("b", 4);
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(b.model(), "cycle.onnx"); });
  EXPECT_NE(error.find("cycle.onnx: the ONNX checker rejects the model"), std::string::npos) << error;
}

TEST(Import, AbsurdDimensionsAreRejected) {
  OnnxBuilder b;
  b.input("x", {1, 1, 100000, 100000});  // 10^10 elements
  b.node("Relu", {"x"}, {"y"}, "relu");
  b.output("y", 4);
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(b.model(), "huge.onnx"); });
  EXPECT_NE(error.find("huge.onnx: value 'x' has shape"), std::string::npos) << error;
  EXPECT_NE(error.find("at most 268435456 elements"), std::string::npos) << error;
}

TEST(Import, NonFiniteWeightsAreRejectedNamingTheNode) {
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    OnnxBuilder b;
    b.input("x", {1, 2, 6, 6});
    auto w = random_floats(54, 1);
    w[7] = bad;
    b.initializer("w", {3, 2, 3, 3}, w);
    b.node("Conv", {"x", "w"}, {"y"}, "conv");
    b.output("y", 4);
    const std::string error = error_of<ConversionError>([&] { import_onnx_model(b.model(), "nan.onnx"); });
    EXPECT_NE(error.find("nan.onnx: Conv 'conv' node: weights hold " +
                         std::string(std::isnan(bad) ? "NaN" : "infinity") + " at index 7"),
              std::string::npos)
        << error;
  }
}

TEST(Import, RejectsRuntimeWeights) {
  OnnxBuilder b;
  b.input("x", {1, 1, 4, 4});
  b.node("Conv", {"x", "x"}, {"y"}, "self_conv");
  b.output("y", 4);
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(b.model(), "m.onnx"); });
  EXPECT_NE(error.find("Conv node 'self_conv': the weight ('x') must be a constant"), std::string::npos) << error;
}

TEST(Import, GemmTransAIsRejected) {
  OnnxBuilder b;
  b.input("x", {1, 1, 2, 2});
  b.node("Flatten", {"x"}, {"f"}, "flat");
  b.initializer("w", {4, 2}, random_floats(8, 3));
  auto& gemm = b.node("Gemm", {"f", "w"}, {"y"}, "gemm");
  set_int(gemm, "transA", 1);
  b.output("y");
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(b.model(), "m.onnx"); });
  EXPECT_NE(error.find("gemm"), std::string::npos) << error;
  EXPECT_FALSE(error.empty());
}

TEST(Import, CeilModeOnlyWhereItChangesNothing) {
  const auto model = [](int64_t size) {
    OnnxBuilder b;
    b.input("x", {1, 1, size, size});
    auto& pool = b.node("MaxPool", {"x"}, {"y"}, "pool");
    set_ints(pool, "kernel_shape", {2, 2});
    set_ints(pool, "strides", {2, 2});
    set_int(pool, "ceil_mode", 1);
    b.output("y", 4);
    return b;
  };
  EXPECT_EQ(import_onnx_model(model(8).model(), "even.onnx").nodes.size(), 1u);
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(model(7).model(), "odd.onnx"); });
  EXPECT_NE(error.find("MaxPool node 'pool': ceil_mode=1"), std::string::npos) << error;
}

TEST(Import, NotAnOnnxFile) {
  testing::TempDir dir;
  testing::write_npy(dir.file("x.onnx"), {1}, {1.0f});
  EXPECT_NE(error_of<ConversionError>([&] { import_onnx_file(dir.file("x.onnx")); }).find("x.onnx"), std::string::npos);
  EXPECT_NE(error_of<ConversionError>([&] { import_onnx_file(dir.file("none.onnx")); }).find("cannot open"),
            std::string::npos);
}

TEST(Import, CheckerErrorsAreReported) {
  OnnxBuilder b;
  b.input("x", {1, 1, 2, 2});
  b.node("Relu", {"nowhere"}, {"y"}, "relu");
  b.output("y", 4);
  const std::string error = error_of<ConversionError>([&] { import_onnx_model(b.model(), "bad.onnx"); });
  EXPECT_NE(error.find("bad.onnx: the ONNX checker rejects the model"), std::string::npos) << error;
}

}  // namespace
}  // namespace nestrt::converter

namespace nestrt::converter {
namespace {

// Damaged files (truncated, bytes flipped) must end in a ConversionError or a valid graph, never a
// crash or another exception type. Run under ASan/UBSan to make this meaningful.
TEST(Import, DamagedFilesFailCleanly) {
  std::string bytes;
  ASSERT_TRUE(testing::tiny_cnn().model().SerializeToString(&bytes));
  testing::TempDir dir;
  const std::string path = dir.file("damaged.onnx");
  std::mt19937 rng(2024);
  int rejected = 0;
  for (int trial = 0; trial < 400; ++trial) {
    std::string damaged = bytes;
    if (trial % 4 == 0) {
      damaged.resize(rng() % bytes.size());
    } else {
      for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips)
        damaged[rng() % damaged.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
    try {
      Graph g = import_onnx_file(path);
      normalise(g);
      // What got through runs through the rest of the pipeline too.
      FloatExecutor executor(g);
      executor.run(std::vector<float>(static_cast<size_t>(element_count(g.value(g.input).shape)), 0.5f));
      const QuantisedModel q = quantise_graph(g, std::vector<Range>(g.values.size(), Range{-1.0f, 1.0f}), {8, 6});
      EXPECT_FALSE(emit_model(q, {}).metadata.empty());
    } catch (const ConversionError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 100);
}

}  // namespace
}  // namespace nestrt::converter

// Channel Concat and nearest Resize/Upsample: import in every ONNX spelling that means
// y = x[o / factor], clear errors for the others, and an FPN-style model converted end to end.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>

#include "int8_reference.h"
#include "nestrt/converter/convert.h"
#include "nestrt/converter/error.h"
#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/normalise.h"
#include "nestrt/converter/onnx_import.h"
#include "nestrt/format/model_file.h"
#include "test_util.h"

namespace nestrt::converter {
namespace {

using testing::error_of;
using testing::OnnxBuilder;
using testing::random_floats;
using testing::set_int;
using testing::set_ints;
using testing::set_string;
using testing::TempDir;

// x [1,2,3,4] -> Resize/Upsample -> y, with `add` writing the resize node reading "x".
Graph import_resize(int64_t opset, const std::function<void(OnnxBuilder&)>& add) {
  OnnxBuilder b(opset);
  b.input("x", {1, 2, 3, 4});
  add(b);
  b.output("y", 4);
  return import_onnx_model(b.model(), "m.onnx");
}

TEST(ConcatResize, NearestResizeSpellingsImportAsWholeFactors) {
  const auto check = [](const Graph& g, int64_t fh, int64_t fw) {
    ASSERT_EQ(g.nodes.size(), 1u);
    EXPECT_EQ(g.nodes[0].op, OpKind::kResize);
    EXPECT_EQ(g.nodes[0].resize_h, fh);
    EXPECT_EQ(g.nodes[0].resize_w, fw);
    EXPECT_EQ(g.value(g.output).shape, (Shape{1, 2, 3 * fh, 4 * fw}));
  };
  check(import_resize(9,
                      [](OnnxBuilder& b) {
                        b.initializer("s", {4}, {1, 1, 2, 2});
                        set_string(b.node("Upsample", {"x", "s"}, {"y"}, "up"), "mode", "nearest");
                      }),
        2, 2);
  check(import_resize(10,
                      [](OnnxBuilder& b) {
                        b.initializer("s", {4}, {1, 1, 3, 1});
                        b.node("Resize", {"x", "s"}, {"y"}, "resize10");
                      }),
        3, 1);
  check(import_resize(13,
                      [](OnnxBuilder& b) {  // the defaults: half_pixel, round_prefer_floor
                        b.initializer("roi", {0}, {});
                        b.initializer("s", {4}, {1, 1, 2, 2});
                        set_string(b.node("Resize", {"x", "roi", "s"}, {"y"}, "resize13"), "mode", "nearest");
                      }),
        2, 2);
  check(import_resize(13,
                      [](OnnxBuilder& b) {  // by sizes, asymmetric + floor
                        b.initializer("roi", {0}, {});
                        b.initializer("s", {0}, {});
                        b.initializer_i64("sizes", {4}, {1, 2, 6, 16});
                        auto& r = b.node("Resize", {"x", "roi", "s", "sizes"}, {"y"}, "by_sizes");
                        set_string(r, "mode", "nearest");
                        set_string(r, "coordinate_transformation_mode", "asymmetric");
                        set_string(r, "nearest_mode", "floor");
                      }),
        2, 4);
}

TEST(ConcatResize, OtherResizesAreClearErrors) {
  const auto error = [](const std::string& transform, const std::string& nearest, std::vector<float> scales,
                        const std::string& mode) {
    return error_of<ConversionError>([&] {
      import_resize(13, [&](OnnxBuilder& b) {
        b.initializer("roi", {0}, {});
        b.initializer("s", {4}, scales);
        auto& r = b.node("Resize", {"x", "roi", "s"}, {"y"}, "bad_resize");
        set_string(r, "mode", mode);
        set_string(r, "coordinate_transformation_mode", transform);
        set_string(r, "nearest_mode", nearest);
      });
    });
  };
  std::string e = error("align_corners", "round_prefer_floor", {1, 1, 2, 2}, "nearest");
  EXPECT_NE(e.find("node 'bad_resize': coordinate_transformation_mode 'align_corners' with nearest_mode"),
            std::string::npos)
      << e;
  e = error("asymmetric", "round_prefer_ceil", {1, 1, 2, 2}, "nearest");  // rounds 1/2 up: not o / 2
  EXPECT_NE(e.find("is not supported (half_pixel with round_prefer_floor/ceil, or asymmetric with floor)"),
            std::string::npos)
      << e;
  e = error("half_pixel", "round_prefer_floor", {1, 1, 1.5f, 2}, "nearest");
  EXPECT_NE(e.find("only whole upsampling factors 1..64 of height and width"), std::string::npos) << e;
  e = error("half_pixel", "round_prefer_floor", {1, 2, 2, 2}, "nearest");
  EXPECT_NE(e.find("only whole upsampling factors"), std::string::npos) << e;
  e = error("half_pixel", "round_prefer_floor", {1, 1, 2, 2}, "linear");
  EXPECT_NE(e.find("mode 'linear' is not supported (only nearest)"), std::string::npos) << e;
}

TEST(ConcatResize, ConcatAlongChannelsOnly) {
  OnnxBuilder b;
  b.input("x", {1, 2, 4, 4});
  b.initializer("w", {3, 2, 1, 1}, random_floats(6, 1));
  b.node("Conv", {"x", "w"}, {"c"}, "conv");
  set_int(b.node("Concat", {"x", "c", "x"}, {"y"}, "cat"), "axis", -3);
  b.output("y", 4);
  const Graph g = import_onnx_model(b.model(), "m.onnx");
  EXPECT_EQ(g.value(g.output).shape, (Shape{1, 7, 4, 4}));
  FloatExecutor executor(g);
  const std::vector<float> x = random_floats(32, 2);
  const auto& values = executor.run_all(x);
  const auto& y = values[static_cast<size_t>(g.output)];
  const auto& c = values[static_cast<size_t>(g.nodes[0].output)];
  for (size_t i = 0; i < 32; ++i) {
    ASSERT_EQ(y[i], x[i]);
    ASSERT_EQ(y[80 + i], x[i]);
  }
  for (size_t i = 0; i < 48; ++i) ASSERT_EQ(y[32 + i], c[i]);

  OnnxBuilder bad;
  bad.input("x", {1, 2, 4, 4});
  set_int(bad.node("Concat", {"x", "x"}, {"y"}, "width_cat"), "axis", 3);
  bad.output("y", 4);
  const std::string e = error_of<ConversionError>([&] { import_onnx_model(bad.model(), "m.onnx"); });
  EXPECT_NE(e.find("node 'width_cat': concatenation along axis 3"), std::string::npos) << e;
}

// An FPN-style merge: a stride-2 branch upsampled back and concatenated with a full-size branch.
TEST(ConcatResize, FeaturePyramidMergeConvertsAndRunsInInt8) {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 8, 8});
  b.initializer("wa", {4, 3, 3, 3}, random_floats(108, 11, -0.4f, 0.4f));
  auto& a = b.node("Conv", {"x", "wa"}, {"a"}, "coarse");
  set_ints(a, "strides", {2, 2});
  set_ints(a, "pads", {1, 1, 1, 1});
  b.node("Relu", {"a"}, {"ar"}, "coarse_relu");
  b.initializer("roi", {0}, {});
  b.initializer("s", {4}, {1, 1, 2, 2});
  set_string(b.node("Resize", {"ar", "roi", "s"}, {"up"}, "upsample"), "mode", "nearest");
  b.initializer("wb", {3, 3, 1, 1}, random_floats(9, 12, -0.8f, 0.8f));
  b.node("Conv", {"x", "wb"}, {"fine"}, "fine");
  set_int(b.node("Concat", {"up", "fine"}, {"cat"}, "merge"), "axis", 1);
  b.initializer("wc", {5, 7, 3, 3}, random_floats(315, 13, -0.3f, 0.3f));
  set_ints(b.node("Conv", {"cat", "wc"}, {"m"}, "mix"), "pads", {1, 1, 1, 1});
  b.node("GlobalAveragePool", {"m"}, {"g"}, "pool");
  b.node("Flatten", {"g"}, {"y"}, "flatten");
  b.output("y", 2);

  TempDir dir;
  b.save(dir.file("fpn.onnx"));
  testing::write_npy(dir.file("calib.npy"), {32, 3, 8, 8}, random_floats(32 * 192, 14, 0.0f, 1.0f));
  ConvertOptions options;
  options.input_path = dir.file("fpn.onnx");
  options.output_path = dir.file("fpn.nest");
  options.calibration_path = dir.file("calib.npy");
  convert(options);
  const auto file = format::ModelFile::open(options.output_path);
  std::vector<fb::OpCode> codes;
  for (const fb::Operator* op : *file->model().graph()->operators()) codes.push_back(op->code());
  EXPECT_EQ(codes,
            (std::vector<fb::OpCode>{fb::OpCode::Conv2D, fb::OpCode::Resize, fb::OpCode::Conv2D, fb::OpCode::Concat,
                                     fb::OpCode::Conv2D, fb::OpCode::GlobalAveragePool, fb::OpCode::Reshape}));
  Graph graph = import_onnx_file(options.input_path);
  normalise(graph);
  FloatExecutor reference(graph);
  testing::Int8Reference full(*file, false);
  double error = 0.0, magnitude = 0.0;
  for (uint32_t seed = 0; seed < 10; ++seed) {
    const std::vector<float> x = random_floats(192, 700 + seed, 0.0f, 1.0f);
    const std::vector<float> f = reference.run(x), q = full.run(x);
    for (size_t i = 0; i < f.size(); ++i) {
      error = std::max(error, std::fabs(static_cast<double>(f[i]) - q[i]));
      magnitude = std::max(magnitude, std::fabs(static_cast<double>(f[i])));
    }
  }
  EXPECT_LT(error, 0.03 * magnitude);
}

}  // namespace
}  // namespace nestrt::converter

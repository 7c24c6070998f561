// ConvTranspose (zero insertion + a stride-1 Conv over the flipped kernel) and Transpose (folded
// on constants, a reshape where it moves size-1 axes only): the float lowering against a direct
// scatter-form ConvTranspose written here, the int8 path end to end through the converter and the
// runtime, and clear errors for what cannot be lowered.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>

#include "int8_reference.h"
#include "nestrt/converter/convert.h"
#include "nestrt/converter/error.h"
#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/normalise.h"
#include "nestrt/converter/onnx_import.h"
#include "nestrt/format/model_file.h"
#include "nestrt/nestrt.h"
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

struct Deconv {
  int64_t in_c = 2, in_h = 4, in_w = 5, out_c = 3, groups = 1;
  int64_t kh = 3, kw = 3, sh = 2, sw = 2, dh = 1, dw = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0, out_pad_h = 0, out_pad_w = 0;
  bool bias = true;
  int64_t out_h() const { return sh * (in_h - 1) + out_pad_h + (kh - 1) * dh + 1 - pad_top - pad_bottom; }
  int64_t out_w() const { return sw * (in_w - 1) + out_pad_w + (kw - 1) * dw + 1 - pad_left - pad_right; }
  std::string text() const {
    return "C " + std::to_string(in_c) + "->" + std::to_string(out_c) + " g" + std::to_string(groups) + " k" +
           std::to_string(kh) + "x" + std::to_string(kw) + " s" + std::to_string(sh) + "x" + std::to_string(sw) + " d" +
           std::to_string(dh) + "x" + std::to_string(dw) + " pads " + std::to_string(pad_top) + "," +
           std::to_string(pad_left) + "," + std::to_string(pad_bottom) + "," + std::to_string(pad_right) + " op " +
           std::to_string(out_pad_h) + "," + std::to_string(out_pad_w);
  }
};

// The definition, in scatter form: every input pixel y adds w[k] * x[y] to output y * s - pad + k * d.
// Weights [C_in, C_out / groups, KH, KW]; x [C_in, H, W]; returns [C_out, OH, OW].
std::vector<double> direct_conv_transpose(const Deconv& d, const std::vector<float>& x, const std::vector<float>& w,
                                          const std::vector<float>& b) {
  const int64_t oh = d.out_h(), ow = d.out_w(), in_g = d.in_c / d.groups, out_g = d.out_c / d.groups;
  std::vector<double> out(static_cast<size_t>(d.out_c * oh * ow), 0.0);
  for (int64_t o = 0; o < d.out_c; ++o)
    for (int64_t p = 0; p < oh * ow; ++p) out[static_cast<size_t>(o * oh * ow + p)] = d.bias ? b[size_t(o)] : 0.0;
  for (int64_t ci = 0; ci < d.in_c; ++ci) {
    const int64_t g = ci / in_g;
    for (int64_t y = 0; y < d.in_h; ++y)
      for (int64_t xx = 0; xx < d.in_w; ++xx) {
        const double v = x[static_cast<size_t>((ci * d.in_h + y) * d.in_w + xx)];
        for (int64_t oc = 0; oc < out_g; ++oc)
          for (int64_t ky = 0; ky < d.kh; ++ky)
            for (int64_t kx = 0; kx < d.kw; ++kx) {
              const int64_t oy = y * d.sh - d.pad_top + ky * d.dh, ox = xx * d.sw - d.pad_left + kx * d.dw;
              if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
              const double wv = w[static_cast<size_t>(((ci * out_g + oc) * d.kh + ky) * d.kw + kx)];
              out[static_cast<size_t>(((g * out_g + oc) * oh + oy) * ow + ox)] += wv * v;
            }
      }
  }
  return out;
}

// x -> ConvTranspose 'deconv' -> y, with attributes from d (and `extra` for more).
OnnxBuilder deconv_model(const Deconv& d, int64_t opset = 13,
                         const std::function<void(onnx::NodeProto&)>& extra = nullptr) {
  OnnxBuilder b(opset);
  b.input("x", {1, d.in_c, d.in_h, d.in_w});
  b.initializer("w", {d.in_c, d.out_c / d.groups, d.kh, d.kw},
                random_floats(static_cast<size_t>(d.in_c * (d.out_c / d.groups) * d.kh * d.kw), 21));
  std::vector<std::string> inputs = {"x", "w"};
  if (d.bias) {
    b.initializer("b", {d.out_c}, random_floats(static_cast<size_t>(d.out_c), 22));
    inputs.push_back("b");
  }
  auto& n = b.node("ConvTranspose", inputs, {"y"}, "deconv");
  set_ints(n, "kernel_shape", {d.kh, d.kw});
  set_ints(n, "strides", {d.sh, d.sw});
  set_ints(n, "dilations", {d.dh, d.dw});
  set_ints(n, "pads", {d.pad_top, d.pad_left, d.pad_bottom, d.pad_right});
  if (d.out_pad_h != 0 || d.out_pad_w != 0) set_ints(n, "output_padding", {d.out_pad_h, d.out_pad_w});
  if (d.groups != 1) set_int(n, "group", d.groups);
  if (extra) extra(n);
  b.output("y", 4);
  return b;
}

// Imports (ONNX shape inference cross-checks the output shape), normalises and runs the float
// model; compares with the direct definition.
void expect_matches_definition(const Deconv& d, int64_t opset = 13) {
  SCOPED_TRACE(d.text() + ", opset " + std::to_string(opset));
  Graph g = import_onnx_model(deconv_model(d, opset).model(), "m.onnx");
  normalise(g);
  ASSERT_EQ(g.value(g.output).shape, (Shape{1, d.out_c, d.out_h(), d.out_w()}));
  const bool strided = d.sh > 1 || d.sw > 1;
  ASSERT_EQ(g.nodes.size(), strided ? 2u : 1u);
  if (strided) {
    EXPECT_EQ(g.nodes[0].op, OpKind::kZeroInsert);
    EXPECT_EQ(g.value(g.nodes[0].output).shape, (Shape{1, d.in_c, (d.in_h - 1) * d.sh + 1, (d.in_w - 1) * d.sw + 1}));
  }
  EXPECT_EQ(g.nodes.back().op, OpKind::kConv);
  EXPECT_EQ(g.nodes.back().name, "deconv");
  const std::vector<float> x = random_floats(static_cast<size_t>(d.in_c * d.in_h * d.in_w), 23);
  const std::vector<float> w = random_floats(static_cast<size_t>(d.in_c * (d.out_c / d.groups) * d.kh * d.kw), 21);
  const std::vector<float> b = random_floats(static_cast<size_t>(d.out_c), 22);
  const std::vector<double> want = direct_conv_transpose(d, x, w, b);
  FloatExecutor executor(g);
  const std::vector<float> got = executor.run(x);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-5) << "at " << i;
}

TEST(ConvTranspose, FloatLoweringMatchesTheScatterDefinition) {
  for (int64_t s : {1, 2, 3}) {
    Deconv d;
    d.sh = d.sw = s;
    expect_matches_definition(d);
  }
  Deconv d;  // groups 2, pads, output_padding, different strides per axis, non-square kernel
  d.in_c = 4, d.out_c = 6, d.groups = 2, d.kh = 3, d.kw = 2, d.sh = 2, d.sw = 3;
  d.pad_top = 1, d.pad_left = 0, d.pad_bottom = 2, d.pad_right = 1, d.out_pad_h = 1, d.out_pad_w = 2;
  expect_matches_definition(d);
  d = {};  // depthwise, dilation 2
  d.in_c = d.out_c = d.groups = 3, d.kh = 3, d.kw = 3, d.dh = d.dw = 2, d.sh = 2, d.sw = 2;
  d.pad_top = d.pad_left = 2, d.pad_bottom = d.pad_right = 1, d.out_pad_h = 1;
  expect_matches_definition(d);
  d = {};  // depthwise with a multiplier (C_out = 2 C_in), stride 3, kernel 4x1, no bias
  d.in_c = 2, d.out_c = 4, d.groups = 2, d.kh = 4, d.kw = 1, d.sh = 3, d.sw = 1, d.bias = false;
  d.pad_top = 3, d.out_pad_h = 2;
  expect_matches_definition(d);
  d = {};  // stride 1 with dilation and pads: no zero insertion
  d.sh = d.sw = 1, d.dh = 2, d.dw = 1, d.kh = 2, d.kw = 3, d.pad_top = 1, d.pad_right = 2;
  expect_matches_definition(d);
  d = {};  // the common 2x upsampling deconvolution, k4 s2 p1, at opset 9 and 17
  d.in_c = 3, d.out_c = 2, d.kh = d.kw = 4, d.pad_top = d.pad_left = d.pad_bottom = d.pad_right = 1;
  expect_matches_definition(d, 9);
  expect_matches_definition(d, 17);
  d = {};  // output_padding at least the stride (k1 s2: rows of bias only at the end)
  d.kh = d.kw = 1, d.out_pad_h = 1, d.out_pad_w = 1;
  expect_matches_definition(d);
}

// auto_pad and output_shape become explicit pads (an even total: the same on both sides).
TEST(ConvTranspose, AutoPadAndOutputShapeResolveToPads) {
  const auto import_with = [](const std::function<void(onnx::NodeProto&)>& attrs) {
    Deconv d;  // [1,2,4,5], k4 s2
    d.kh = d.kw = 4;
    OnnxBuilder b(13);
    b.input("x", {1, d.in_c, d.in_h, d.in_w});
    b.initializer("w", {d.in_c, d.out_c, 4, 4}, random_floats(static_cast<size_t>(d.in_c * d.out_c * 16), 21));
    auto& n = b.node("ConvTranspose", {"x", "w"}, {"y"}, "deconv");
    set_ints(n, "strides", {2, 2});
    attrs(n);
    b.output("y", 4);
    return import_onnx_model(b.model(), "m.onnx");
  };
  Graph g = import_with([](onnx::NodeProto& n) { set_string(n, "auto_pad", "SAME_UPPER"); });
  EXPECT_EQ(g.value(g.output).shape, (Shape{1, 3, 8, 10}));
  EXPECT_EQ(g.nodes.back().conv.pad_top, 2);  // 3 - 1
  EXPECT_EQ(g.nodes.back().conv.pad_bottom, 2);
  g = import_with([](onnx::NodeProto& n) { set_ints(n, "output_shape", {8, 12}); });
  EXPECT_EQ(g.value(g.output).shape, (Shape{1, 3, 8, 12}));
  EXPECT_EQ(g.nodes.back().conv.pad_left, 3);  // total 0: pads 0 -> conv pads 3
  g = import_with([](onnx::NodeProto& n) { set_string(n, "auto_pad", "VALID"); });
  EXPECT_EQ(g.value(g.output).shape, (Shape{1, 3, 10, 12}));

  const std::string e = error_of<ConversionError>([&] {
    import_with([](onnx::NodeProto& n) { set_ints(n, "output_shape", {8, 11}); });
  });
  EXPECT_NE(e.find("ConvTranspose node 'deconv': width: an output of 11 from 12 needs a total padding of 1"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("only a non-negative, even total"), std::string::npos) << e;
  EXPECT_NE(e.find("(opset 13)"), std::string::npos) << e;
}

// A decoder: Conv, two ConvTransposes (k4 s2 p1; grouped k3 s3 with output_padding) and a Relu,
// converted to int8 and run by the runtime: its outputs equal the independent int8 interpreter's
// bit for bit on 1 and 2 threads and in both modes, and follow the float model.
TEST(ConvTranspose, DecoderConvertsAndRunsInInt8) {
  OnnxBuilder b(13);
  b.input("x", {1, 3, 5, 6});
  b.initializer("wa", {4, 3, 3, 3}, random_floats(108, 31, -0.4f, 0.4f));
  set_ints(b.node("Conv", {"x", "wa"}, {"a"}, "encode"), "pads", {1, 1, 1, 1});
  b.node("Relu", {"a"}, {"ar"}, "encode_relu");
  b.initializer("wb", {4, 4, 4, 4}, random_floats(256, 32, -0.3f, 0.3f));
  b.initializer("bb", {4}, random_floats(4, 33, -0.2f, 0.2f));
  auto& up = b.node("ConvTranspose", {"ar", "wb", "bb"}, {"u"}, "up2");
  set_ints(up, "strides", {2, 2});
  set_ints(up, "pads", {1, 1, 1, 1});
  b.node("Relu", {"u"}, {"ur"}, "up2_relu");
  b.initializer("wc", {4, 1, 3, 2}, random_floats(24, 34, -0.5f, 0.5f));
  auto& up3 = b.node("ConvTranspose", {"ur", "wc"}, {"y"}, "up3");
  set_ints(up3, "strides", {3, 2});
  set_ints(up3, "pads", {1, 0, 0, 1});
  set_ints(up3, "output_padding", {1, 0});
  set_int(up3, "group", 2);
  b.output("y", 4);

  TempDir dir;
  b.save(dir.file("decoder.onnx"));
  testing::write_npy(dir.file("calib.npy"), {16, 3, 5, 6}, random_floats(16 * 90, 35, 0.0f, 1.0f));
  ConvertOptions options;
  options.input_path = dir.file("decoder.onnx");
  options.output_path = dir.file("decoder.nest");
  options.calibration_path = dir.file("calib.npy");
  convert(options);
  const auto file = format::ModelFile::open(options.output_path);
  std::vector<fb::OpCode> codes;
  for (const fb::Operator* op : *file->model().graph()->operators()) codes.push_back(op->code());
  EXPECT_EQ(codes, (std::vector<fb::OpCode>{fb::OpCode::Conv2D, fb::OpCode::ZeroInsert, fb::OpCode::Conv2D,
                                            fb::OpCode::ZeroInsert, fb::OpCode::Conv2D}));

  Graph graph = import_onnx_file(options.input_path);
  normalise(graph);
  // encode 5x6, up2 10x12, up3 [3 * 9 + 1 + 3 - 1, 2 * 11 + 2 - 1]
  ASSERT_EQ(graph.value(graph.output).shape, (Shape{1, 2, 30, 23}));
  const size_t out_c = 2, out_pixels = 30 * 23;
  FloatExecutor reference(graph);
  nestrt_model* model = nullptr;
  ASSERT_EQ(nestrt_model_load(options.output_path.c_str(), nullptr, &model), NESTRT_OK) << nestrt_last_error();
  for (bool part : {false, true}) {
    ASSERT_EQ(nestrt_switch(model, part ? NESTRT_MODE_PART : NESTRT_MODE_FULL, nullptr), NESTRT_OK);
    testing::Int8Reference int8(*file, part);
    double error = 0.0, magnitude = 0.0;
    for (uint32_t threads : {1u, 2u}) {
      nestrt_session_options o;
      nestrt_session_options_init(&o);
      o.threads = threads;
      nestrt_session* session = nullptr;
      ASSERT_EQ(nestrt_session_create(model, &o, &session), NESTRT_OK) << nestrt_last_error();
      for (uint32_t seed = 0; seed < 6; ++seed) {
        const std::vector<float> x = random_floats(90, 800 + seed, 0.0f, 1.0f);
        const std::vector<float> f = reference.run(x), q = int8.run(x);  // q is NHWC
        std::vector<float> y(f.size());
        ASSERT_EQ(nestrt_run(session, x.data(), x.size(), y.data(), y.size(), nullptr), NESTRT_OK)
            << nestrt_last_error();
        for (size_t c = 0; c < out_c; ++c)
          for (size_t p = 0; p < out_pixels; ++p) {
            ASSERT_EQ(y[c * out_pixels + p], q[p * out_c + c]) << (part ? "part" : "full") << " mode, channel " << c
                                                               << " pixel " << p << ", " << threads << " thread(s)";
            error = std::max(error, std::fabs(static_cast<double>(f[c * out_pixels + p]) - y[c * out_pixels + p]));
            magnitude = std::max(magnitude, std::fabs(static_cast<double>(f[c * out_pixels + p])));
          }
      }
      nestrt_session_destroy(session);
    }
    EXPECT_GT(magnitude, 0.0);
    EXPECT_LT(error, (part ? 0.15 : 0.03) * magnitude) << (part ? "part" : "full") << " mode";
  }
  nestrt_model_release(model);
}

// Attributes the lowering cannot express stop the converter with the node, operator and opset
// named, and no output file.
TEST(ConvTranspose, UnloweredAttributesAreClearErrorsAndWriteNothing) {
  const auto failure = [](const Deconv& d, const std::function<void(onnx::NodeProto&)>& extra = nullptr) {
    TempDir dir;
    deconv_model(d, 13, extra).save(dir.file("bad.onnx"));
    testing::write_npy(dir.file("calib.npy"), {2, d.in_c, d.in_h, d.in_w},
                       random_floats(static_cast<size_t>(2 * d.in_c * d.in_h * d.in_w), 5, 0.0f, 1.0f));
    ConvertOptions options;
    options.input_path = dir.file("bad.onnx");
    options.output_path = dir.file("bad.nest");
    options.calibration_path = dir.file("calib.npy");
    const std::string e = error_of<ConversionError>([&] { convert(options); });
    EXPECT_FALSE(std::filesystem::exists(options.output_path)) << e;
    EXPECT_NE(e.find("ConvTranspose node 'deconv'"), std::string::npos) << e;
    EXPECT_NE(e.find("(opset 13)"), std::string::npos) << e;
    return e;
  };
  Deconv d;
  d.pad_top = 3;  // > dilation * (kernel - 1) = 2: the output starts inside the first kernel's reach
  std::string e = failure(d);
  EXPECT_NE(e.find("height: pads 3/0 exceed dilation * (kernel - 1) = 2"), std::string::npos) << e;
  EXPECT_NE(e.find("negative padding (cropping), which is not supported"), std::string::npos) << e;
  d = {};
  d.pad_right = 4, d.out_pad_w = 1;  // the end may reach 2 + 1
  e = failure(d);
  EXPECT_NE(e.find("width: pads 0/4 exceed"), std::string::npos) << e;
  d = {};
  d.sh = 65, d.kh = 1;
  e = failure(d);
  EXPECT_NE(e.find("stride 1..64"), std::string::npos) << e;
  d = {};  // 4x5, k3 s2: 9x11 without padding, so an output of 12 would need a padding of -1
  e = failure(d, [](onnx::NodeProto& n) { set_ints(n, "output_shape", {9, 12}); });
  EXPECT_NE(e.find("width: an output of 12 from 11 needs a total padding of -1"), std::string::npos) << e;
  e = failure(d, [](onnx::NodeProto& n) { set_string(n, "auto_pad", "SAME_LOWER"); });  // 8 from 9: odd
  EXPECT_NE(e.find("height: an output of 8 from 9 needs a total padding of 1"), std::string::npos) << e;
}

TEST(Transpose, ConstantTransposesFold) {
  // A Conv whose weight is a Transpose of an HWIO initializer, and a Gemm whose B is a Transpose
  // (default perm: reversed) of an [N, K] initializer, against the same models with the weights
  // transposed by hand.
  const std::vector<float> hwio = random_floats(3 * 3 * 2 * 4, 41), nk = random_floats(4 * 5, 45);
  std::vector<float> oihw(hwio.size()), kn(nk.size());
  for (int h = 0; h < 3; ++h)
    for (int w = 0; w < 3; ++w)
      for (int i = 0; i < 2; ++i)
        for (int o = 0; o < 4; ++o)
          oihw[size_t(((o * 2 + i) * 3 + h) * 3 + w)] = hwio[size_t(((h * 3 + w) * 2 + i) * 4 + o)];
  for (int n = 0; n < 5; ++n)
    for (int k = 0; k < 4; ++k) kn[size_t(k * 5 + n)] = nk[size_t(n * 4 + k)];
  const auto model = [&](bool folded) {
    OnnxBuilder b(13);
    b.input("x", {1, 2, 5, 5});
    if (folded) {
      b.initializer("hwio", {3, 3, 2, 4}, hwio);
      set_ints(b.node("Transpose", {"hwio"}, {"w"}, "to_oihw"), "perm", {3, 2, 0, 1});
      b.initializer("nk", {5, 4}, nk);
      b.node("Transpose", {"nk"}, {"kn"}, "to_kn");
    } else {
      b.initializer("w", {4, 2, 3, 3}, oihw);
      b.initializer("kn", {4, 5}, kn);
    }
    b.initializer("b", {4}, {0.5f, -0.25f, 1.0f, 2.0f});
    b.node("Conv", {"x", "w", "b"}, {"c"}, "conv");
    b.node("GlobalAveragePool", {"c"}, {"g"}, "pool");
    b.node("Flatten", {"g"}, {"f"}, "flatten");
    b.node("Gemm", {"f", "kn"}, {"y"}, "fc");
    b.output("y", 2);
    return import_onnx_model(b.model(), "m.onnx");
  };
  const Graph a = model(true), p = model(false);
  ASSERT_EQ(a.nodes.size(), 4u);
  EXPECT_EQ(a.nodes[0].weight_shape, (Shape{4, 2, 3, 3}));
  EXPECT_EQ(a.nodes[0].weights, oihw);
  EXPECT_EQ(a.nodes[3].weights, p.nodes[3].weights);
  FloatExecutor ea(a), ep(p);
  const std::vector<float> x = random_floats(50, 42);
  EXPECT_EQ(ea.run(x), ep.run(x));
}

TEST(Transpose, OfSizeOneAxesIsAReshapeOtherwiseAClearError) {
  // GlobalAveragePool [1,3,1,1] -> Transpose (0,2,3,1) -> [1,1,1,3] -> Flatten -> Gemm.
  const std::vector<float> w = random_floats(6, 43);
  OnnxBuilder b(13);
  b.input("x", {1, 3, 4, 4});
  b.node("GlobalAveragePool", {"x"}, {"g"}, "pool");
  set_ints(b.node("Transpose", {"g"}, {"t"}, "to_nhwc"), "perm", {0, 2, 3, 1});
  b.node("Flatten", {"t"}, {"f"}, "flatten");
  b.initializer("w", {2, 3}, w);
  set_int(b.node("Gemm", {"f", "w"}, {"y"}, "fc"), "transB", 1);
  b.output("y", 2);
  Graph g = import_onnx_model(b.model(), "m.onnx");
  ASSERT_EQ(g.nodes.size(), 4u);
  EXPECT_EQ(g.nodes[1].op, OpKind::kReshape);
  EXPECT_EQ(g.value(g.nodes[1].output).shape, (Shape{1, 1, 1, 3}));
  normalise(g);
  FloatExecutor executor(g);
  const std::vector<float> x = random_floats(48, 44);
  const std::vector<float> y = executor.run(x);
  for (int o = 0; o < 2; ++o) {
    double want = 0.0;
    for (int c = 0; c < 3; ++c) {
      double mean = 0.0;
      for (int i = 0; i < 16; ++i) mean += x[size_t(c * 16 + i)];
      want += w[size_t(o * 3 + c)] * mean / 16.0;
    }
    EXPECT_NEAR(y[size_t(o)], want, 1e-5);
  }

  OnnxBuilder bad(11);
  bad.input("x", {1, 3, 4, 5});
  set_ints(bad.node("Transpose", {"x"}, {"y"}, "nchw_to_nhwc"), "perm", {0, 2, 3, 1});
  bad.output("y", 4);
  std::string e = error_of<ConversionError>([&] { import_onnx_model(bad.model(), "m.onnx"); });
  EXPECT_NE(e.find("Transpose node 'nchw_to_nhwc': transposing [1,3,4,5] with perm [0,2,3,1] (opset 11) is not "
                   "supported"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("NHWC layout cannot express"), std::string::npos) << e;
}

}  // namespace
}  // namespace nestrt::converter

#include "test_util.h"

#include <stdlib.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

namespace nestrt::converter::testing {

std::string source_file(const std::string& relative) {
  return std::string(NESTRT_SOURCE_DIR) + "/" + relative;
}

void write_npy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<float>& values) {
  nestrt::testing::write_file(path, nestrt::testing::npy_f32(shape, values));
}

OnnxBuilder tiny_cnn(int64_t opset) {
  OnnxBuilder b(opset);
  b.input("image", {-1, 1, 8, 8});
  // stem: Conv 1->4 3x3 pad 1, BatchNormalization, Relu          -> [1,4,8,8]
  b.initializer("stem.w", {4, 1, 3, 3}, random_floats(36, 1));
  b.initializer("stem.b", {4}, random_floats(4, 2, -0.1f, 0.1f));
  auto& stem = b.node("Conv", {"image", "stem.w", "stem.b"}, {"stem"}, "stem_conv");
  set_ints(stem, "pads", {1, 1, 1, 1});
  b.initializer("bn.scale", {4}, random_floats(4, 3, 0.5f, 1.5f));
  b.initializer("bn.bias", {4}, random_floats(4, 4, -0.2f, 0.2f));
  b.initializer("bn.mean", {4}, random_floats(4, 5, -0.3f, 0.3f));
  b.initializer("bn.var", {4}, random_floats(4, 6, 0.2f, 2.0f));
  b.node("BatchNormalization", {"stem", "bn.scale", "bn.bias", "bn.mean", "bn.var"}, {"stem_bn"}, "stem_bn");
  b.node("Relu", {"stem_bn"}, {"stem_relu"}, "stem_relu");
  // MaxPool 2x2                                                    -> [1,4,4,4]
  auto& pool = b.node("MaxPool", {"stem_relu"}, {"pooled"}, "pool");
  set_ints(pool, "kernel_shape", {2, 2});
  set_ints(pool, "strides", {2, 2});
  // depthwise 3x3 (weights from a Constant node), Relu           -> [1,4,4,4]
  b.constant("dw.w", {4, 1, 3, 3}, random_floats(36, 7));
  auto& dw = b.node("Conv", {"pooled", "dw.w"}, {"dw"}, "dw_conv");
  set_int(dw, "group", 4);
  set_string(dw, "auto_pad", "SAME_UPPER");
  b.node("Relu", {"dw"}, {"dw_relu"}, "dw_relu");
  // residual Add + Relu
  b.node("Add", {"dw_relu", "pooled"}, {"sum"}, "residual_add");
  b.node("Relu", {"sum"}, {"sum_relu"}, "sum_relu");
  // 1x1 Conv 4->8 stride 2 + Clip(0, 6)                            -> [1,8,2,2]
  b.initializer("proj.w", {8, 4, 1, 1}, random_floats(32, 8));
  b.initializer("proj.b", {8}, random_floats(8, 9, -0.1f, 0.1f));
  auto& proj = b.node("Conv", {"sum_relu", "proj.w", "proj.b"}, {"proj"}, "proj_conv");
  set_ints(proj, "strides", {2, 2});
  if (opset < 11) {
    auto& clip = b.node("Clip", {"proj"}, {"proj_clip"}, "proj_clip");
    set_float(clip, "min", 0.0f);
    set_float(clip, "max", 6.0f);
  } else {
    b.initializer("clip.min", {}, {0.0f});
    b.initializer("clip.max", {}, {6.0f});
    b.node("Clip", {"proj", "clip.min", "clip.max"}, {"proj_clip"}, "proj_clip");
  }
  // AveragePool 2x2 stride 1 with end padding (count_include_pad 0) -> [1,8,2,2]
  auto& avg = b.node("AveragePool", {"proj_clip"}, {"avg"}, "avg_pool");
  set_ints(avg, "kernel_shape", {2, 2});
  set_ints(avg, "pads", {0, 0, 1, 1});
  // Flatten of the 2x2 map into Gemm(transB, alpha, beta)          -> [1,3]
  b.node("Flatten", {"avg"}, {"flat"}, "flatten");
  b.initializer("fc.w", {3, 32}, random_floats(96, 10));
  b.initializer("fc.b", {3}, random_floats(3, 11));
  auto& fc = b.node("Gemm", {"flat", "fc.w", "fc.b"}, {"logits"}, "fc");
  set_int(fc, "transB", 1);
  set_float(fc, "alpha", 0.5f);
  set_float(fc, "beta", 2.0f);
  b.output("logits");
  return b;
}

}  // namespace nestrt::converter::testing

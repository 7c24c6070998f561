// Writes the fuzzers' seed corpora (tests/fuzz/corpus/<target>/): small valid inputs each target
// should accept, from which libFuzzer mutates. Usage: nestrt_fuzz_make_seeds <corpus dir>.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "nestrt/format/model_file.h"
#include "onnx_builder.h"
#include "protocol.h"
#include "tiny_model.h"

namespace fs = std::filesystem;
namespace proto = nestrt::daemon::protocol;
using nestrt::converter::testing::OnnxBuilder;
using nestrt::converter::testing::random_floats;
using nestrt::converter::testing::set_float;
using nestrt::converter::testing::set_int;
using nestrt::converter::testing::set_ints;

namespace {

void write(const fs::path& path, const std::vector<uint8_t>& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void append(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}

void append_sized(std::vector<uint8_t>& out, std::span<const uint8_t> bytes) {
  const auto n = static_cast<uint32_t>(bytes.size());
  const auto* p = reinterpret_cast<const uint8_t*>(&n);
  out.insert(out.end(), p, p + sizeof n);
  append(out, bytes);
}

void model_seeds(const fs::path& dir) {
  const std::vector<std::pair<std::string, nestrt::testing::TinyModelSpec>> specs = {
      {"tiny86", {}},
      {"tiny84", {.height = 4, .width = 4, .in_channels = 1, .conv_channels = 8, .classes = 2, .high_bits = 4}},
      {"tiny85", {.height = 3, .width = 7, .in_channels = 2, .conv_channels = 5, .classes = 4, .high_bits = 5}},
      // Bit-packed planes (format v2, as the converter writes them): 6+3 and 4+5 bits per weight.
      {"tiny86-packed", {.packed = true}},
      {"tiny84-packed",
       {.height = 4, .width = 4, .in_channels = 1, .conv_channels = 8, .classes = 2, .high_bits = 4, .packed = true}},
      // Regression: a conv pad near INT_MAX once overflowed the output-size arithmetic (UBSan).
      {"regress-pad-overflow", {.conv_pad_bottom = 2130706433}},
  };
  for (const auto& [name, spec] : specs) {
    nestrt::testing::TempPath path(name + ".nest");
    nestrt::testing::write_tiny_model(path.str(), spec);
    const auto file = nestrt::format::ModelFile::open(path.str());
    std::vector<uint8_t> load;  // model_load_fuzzer's layout: sized metadata, sized high, low
    append_sized(load, file->section_bytes(0));
    append_sized(load, file->section_bytes(1));
    append(load, file->section_bytes(2));
    write(dir / "model_load_fuzzer" / name, load);
    if (name.rfind("tiny86", 0) == 0) write(dir / "model_file_fuzzer" / name, nestrt::testing::read_file(path.str()));
  }
}

std::vector<uint8_t> serialized(const OnnxBuilder& b) {
  std::string bytes;
  b.model().SerializeToString(&bytes);
  return {bytes.begin(), bytes.end()};
}

void onnx_seeds(const fs::path& dir) {
  const fs::path out = dir / "onnx_import_fuzzer";
  {  // conv -> bn -> relu -> global pool -> flatten -> gemm
    OnnxBuilder b(13);
    b.input("x", {1, 2, 6, 6});
    b.initializer("w", {3, 2, 3, 3}, random_floats(54, 1));
    b.initializer("s", {3}, {1.f, .5f, 2.f});
    b.initializer("bb", {3}, {0.f, .1f, -.1f});
    b.initializer("m", {3}, {0.f, .2f, .1f});
    b.initializer("v", {3}, {1.f, 2.f, .5f});
    auto& conv = b.node("Conv", {"x", "w"}, {"c"}, "conv");
    set_ints(conv, "pads", {1, 1, 1, 1});
    b.node("BatchNormalization", {"c", "s", "bb", "m", "v"}, {"n"}, "bn");
    b.node("Relu", {"n"}, {"r"}, "relu");
    b.node("GlobalAveragePool", {"r"}, {"g"}, "gap");
    b.node("Flatten", {"g"}, {"f"}, "flat");
    b.initializer("fw", {4, 3}, random_floats(12, 2));
    auto& gemm = b.node("Gemm", {"f", "fw"}, {"y"}, "fc");
    set_int(gemm, "transB", 1);
    b.output("y");
    write(out / "conv_bn_gemm", serialized(b));
  }
  {  // residual add, clip, max and average pooling (opset 11 Clip takes min/max inputs)
    OnnxBuilder b(11);
    b.input("x", {1, 1, 8, 8});
    b.initializer("w", {1, 1, 3, 3}, random_floats(9, 3));
    auto& conv = b.node("Conv", {"x", "w"}, {"c"}, "conv");
    set_ints(conv, "pads", {1, 1, 1, 1});
    b.node("Add", {"c", "x"}, {"a"}, "residual");
    b.initializer("lo", {}, {0.f});
    b.initializer("hi", {}, {6.f});
    b.node("Clip", {"a", "lo", "hi"}, {"k"}, "relu6");
    auto& mp = b.node("MaxPool", {"k"}, {"p"}, "maxpool");
    set_ints(mp, "kernel_shape", {2, 2});
    set_ints(mp, "strides", {2, 2});
    auto& ap = b.node("AveragePool", {"p"}, {"y"}, "avgpool");
    set_ints(ap, "kernel_shape", {2, 2});
    b.output("y", 4);
    write(out / "residual_pool", serialized(b));
  }
  {  // depthwise conv with stride, Reshape by a constant shape, opset 9 attributes
    OnnxBuilder b(9);
    b.input("x", {1, 2, 5, 5});
    b.initializer("w", {2, 1, 3, 3}, random_floats(18, 4));
    auto& dw = b.node("Conv", {"x", "w"}, {"c"}, "dw");
    set_int(dw, "group", 2);
    set_ints(dw, "strides", {2, 2});
    b.initializer_i64("shape", {2}, {1, -1});
    b.node("Reshape", {"c", "shape"}, {"y"}, "reshape");
    b.output("y");
    write(out / "depthwise_reshape", serialized(b));
  }
  {  // MobileNetV3 block as paddle2onnx writes it: HardSwish spelled out, squeeze-excite with
     // HardSigmoid, the Shape/Slice/Concat flatten, MatMul and Softmax (opset 9)
    OnnxBuilder b(9);
    b.input("x", {1, 2, 4, 6});
    b.initializer("w", {4, 2, 3, 3}, random_floats(72, 5));
    auto& conv = b.node("Conv", {"x", "w"}, {"c"}, "conv");
    set_ints(conv, "pads", {1, 1, 1, 1});
    set_ints(conv, "strides", {2, 1});
    b.constant("three", {1}, {3.f});
    b.constant("six", {1}, {6.f});
    b.node("Add", {"c", "three"}, {"c3"}, "hs_add");
    auto& clip = b.node("Clip", {"c3"}, {"cc"}, "hs_clip");
    set_float(clip, "min", 0.f);
    set_float(clip, "max", 6.f);
    b.node("Mul", {"c", "cc"}, {"cm"}, "hs_mul");
    b.node("Div", {"cm", "six"}, {"h"}, "hardswish");
    b.node("GlobalAveragePool", {"h"}, {"g"}, "se_pool");
    b.initializer("sw", {4, 4, 1, 1}, random_floats(16, 6));
    b.node("Conv", {"g", "sw"}, {"s"}, "se_conv");
    auto& gate = b.node("HardSigmoid", {"s"}, {"gate"}, "se_gate");
    set_float(gate, "alpha", 0.2f);
    set_float(gate, "beta", 0.5f);
    b.node("Mul", {"h", "gate"}, {"se"}, "se_scale");
    b.node("GlobalAveragePool", {"se"}, {"p"}, "pool");
    b.node("Shape", {"p"}, {"shape"}, "shape");
    auto& slice = b.node("Slice", {"shape"}, {"n"}, "slice");
    set_ints(slice, "axes", {0});
    set_ints(slice, "starts", {0});
    set_ints(slice, "ends", {1});
    b.initializer_i64("rest", {1}, {-1});
    set_int(b.node("Concat", {"n", "rest"}, {"target"}, "concat"), "axis", 0);
    b.node("Reshape", {"p", "target"}, {"f"}, "flatten");
    b.initializer("fw", {4, 2}, random_floats(8, 7));
    b.node("MatMul", {"f", "fw"}, {"logits"}, "fc");
    set_int(b.node("Softmax", {"logits"}, {"y"}, "softmax"), "axis", 1);
    b.output("y");
    write(out / "mobilenetv3_block", serialized(b));
  }
}

void protocol_seeds(const fs::path& dir) {
  const fs::path out = dir / "daemon_protocol_fuzzer";
  auto stream = [](uint8_t chunk, std::initializer_list<std::vector<uint8_t>> frames) {
    std::vector<uint8_t> s = {chunk};
    for (const auto& f : frames) append(s, f);
    return s;
  };
  const std::vector<int64_t> dims = {1, 1, 2, 2};
  const std::vector<float> data = {0.f, .25f, .5f, 1.f};
  write(out / "requests", stream(63, {proto::encode_status(1), proto::encode_infer(2, "fashion", dims, data),
                                      proto::encode_switch(3, 1), proto::encode_policy(4, false),
                                      proto::encode_model_info(5, "fashion"), proto::encode_budget(6, 1 << 20)}));
  proto::InferResult result{.mode = 1, .dims = {1, 3}, .data = {.1f, .2f, .7f}};
  proto::ModelInfo info;
  info.input_dims = dims;
  info.output_dims = {1, 3};
  info.channels = 1;
  info.labels = {"a", "b", "c"};
  const auto infer_type = static_cast<uint8_t>(proto::Type::kInfer) | proto::kResponseBit;
  const auto info_type = static_cast<uint8_t>(proto::Type::kModelInfo) | proto::kResponseBit;
  write(out / "responses",
        stream(7, {proto::encode_response(infer_type, 2, proto::Code::kOk, "", proto::encode_infer_result(result)),
                   proto::encode_response(info_type, 5, proto::Code::kOk, "", proto::encode_model_info_result(info)),
                   proto::encode_response(static_cast<uint8_t>(proto::Type::kError), 0, proto::Code::kBadFrame,
                                          "bad magic")}));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: nestrt_fuzz_make_seeds <corpus dir>\n";
    return 2;
  }
  const fs::path dir = argv[1];
  model_seeds(dir);
  onnx_seeds(dir);
  protocol_seeds(dir);
  std::cout << "seeds written to " << dir << "\n";
  return 0;
}

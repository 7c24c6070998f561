#include "tiny_model.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>

#include "nestrt/format/model_file.h"

namespace nestrt::testing {
namespace {

using nestrt::format::SectionKind;

struct Planes {
  std::vector<uint8_t> high, low;
};

// Random int8 weights nested per design §4 (nearest): q = high * 2^l + low.
fb::BufferRef add_weights(Planes& planes, size_t count, int low_bits, int high_bits, std::mt19937& rng,
                          fb::BufferRef* low_ref) {
  std::uniform_int_distribution<int> dist(-127, 127);
  const int step = 1 << low_bits;
  const int hi_max = (1 << (high_bits - 1)) - 1, hi_min = -(1 << (high_bits - 1));
  const uint64_t offset = planes.high.size();
  for (size_t i = 0; i < count; ++i) {
    const int q = dist(rng);
    int h = static_cast<int>(std::nearbyint(static_cast<double>(q) / step));
    h = std::min(std::max(h, hi_min), hi_max);
    planes.high.push_back(static_cast<uint8_t>(static_cast<int8_t>(h)));
    planes.low.push_back(static_cast<uint8_t>(static_cast<int8_t>(q - h * step)));
  }
  *low_ref = fb::BufferRef(2, 0, offset, count);
  return fb::BufferRef(1, 0, offset, count);
}

flatbuffers::Offset<fb::ModeParams> mode_params(flatbuffers::FlatBufferBuilder& b, int channels, float multiplier,
                                                std::mt19937& rng, int32_t bias_override = 0) {
  std::uniform_int_distribution<int32_t> bias(-2000, 2000);
  std::vector<float> scale(static_cast<size_t>(channels), 0.01f), mult(static_cast<size_t>(channels), multiplier);
  std::vector<int32_t> zp(static_cast<size_t>(channels), 0), biases;
  for (int c = 0; c < channels; ++c) biases.push_back(bias_override != 0 ? bias_override : bias(rng));
  return fb::CreateModeParamsDirect(b, &scale, &zp, &biases, &mult);
}

flatbuffers::Offset<fb::Tensor> tensor(flatbuffers::FlatBufferBuilder& b, const char* name, std::vector<int32_t> shape,
                                       float scale, int zp) {
  return fb::CreateTensorDirect(b, name, &shape, fb::DataType::Int8, fb::CreateActivationQuant(b, scale, zp, -1, 1));
}

}  // namespace

void write_tiny_model(const std::string& path, const TinyModelSpec& s) {
  std::mt19937 rng(s.seed);
  flatbuffers::FlatBufferBuilder b;
  const int l = s.total_bits - s.high_bits;
  Planes planes;

  std::vector<flatbuffers::Offset<fb::Tensor>> tensors = {
      tensor(b, "input", {1, s.height, s.width, s.in_channels}, 0.02f, -3),
      tensor(b, "conv", {1, s.height, s.width, s.conv_channels}, 0.05f, -128),
      tensor(b, "pool", {1, 1, 1, s.conv_channels}, 0.04f, -100),
      tensor(b, "flat", {1, s.conv_channels}, 0.04f, -100),
      tensor(b, "logits", {1, s.classes}, s.logits_scale, 5),
  };

  fb::BufferRef conv_low, fc_low;
  const fb::BufferRef conv_high =
      add_weights(planes, size_t(s.conv_channels) * 9 * size_t(s.in_channels), l, s.high_bits, rng, &conv_low);
  const auto conv_weights_shape = std::vector<int32_t>{s.conv_channels, 3, 3, s.in_channels};
  const auto conv_w = fb::CreateNestedWeightsDirect(b, fb::WeightLayout::OHWI, &conv_weights_shape, &conv_high,
                                                    &conv_low, mode_params(b, s.conv_channels, 0.004f, rng),
                                                    mode_params(b, s.conv_channels, 0.016f, rng));
  while (planes.high.size() % 64) planes.high.push_back(0), planes.low.push_back(0);
  fb::BufferRef fc_high =
      add_weights(planes, size_t(s.classes) * size_t(s.conv_channels), l, s.high_bits, rng, &fc_low);
  fc_high = fb::BufferRef(1, 0, fc_high.offset() + s.fc_high_offset_shift, fc_high.size());
  const auto fc_weights_shape = std::vector<int32_t>{s.classes, 1, 1, s.conv_channels};
  const auto fc_w = fb::CreateNestedWeightsDirect(b, fb::WeightLayout::OHWI, &fc_weights_shape, &fc_high, &fc_low,
                                                  mode_params(b, s.classes, 0.003f, rng, s.fc_bias),
                                                  mode_params(b, s.classes, 0.012f, rng, s.fc_bias));

  auto io = [&](std::vector<int32_t> v) { return b.CreateVector(v); };
  const auto conv_opts = fb::CreateConv2DOptions(b, 1, 1, 1, 1, 1, 1, 1, 1, 1);
  const int pool_h = s.strided_average_pool ? s.height - 1 : s.height, pool_stride = s.strided_average_pool ? 2 : 1;
  const auto pool_opts = fb::CreatePool2DOptions(b, pool_h, s.width, pool_stride, 1, 0, 0, 0, 0, false, 0.05f / 0.04f);
  std::vector<flatbuffers::Offset<fb::Operator>> ops = {
      fb::CreateOperator(b, b.CreateString("conv"), fb::OpCode::Conv2D, io({0}), io({1}), fb::OpOptions::Conv2DOptions,
                         conv_opts.Union(), conv_w, -128, 127),
      fb::CreateOperator(b, b.CreateString("gap"),
                         s.strided_average_pool ? fb::OpCode::AveragePool2D : fb::OpCode::GlobalAveragePool, io({1}),
                         io({2}), fb::OpOptions::Pool2DOptions, pool_opts.Union()),
      fb::CreateOperator(b, b.CreateString("flatten"), fb::OpCode::Reshape, io({2}), io({3})),
      fb::CreateOperator(b, b.CreateString("fc"), fb::OpCode::FullyConnected, io({3}), io({4}), fb::OpOptions::NONE, 0,
                         fc_w),
  };
  const auto graph = fb::CreateGraph(b, b.CreateVector(tensors), b.CreateVector(ops), io({0}), io({4}));
  const std::vector<int32_t> input_nchw = {1, s.in_channels, s.height, s.width};
  std::vector<flatbuffers::Offset<flatbuffers::String>> labels;
  for (int c = 0; c < s.classes; ++c) labels.push_back(b.CreateString("class" + std::to_string(c)));
  const auto model = fb::CreateModel(b, fb::CreateNesting(b, uint8_t(s.total_bits), uint8_t(s.high_bits)), graph,
                                     b.CreateVector(input_nchw), fb::CreatePreprocessDirect(b), b.CreateVector(labels),
                                     fb::CreateProvenanceDirect(b, "tiny_model test builder"));
  fb::FinishModelBuffer(b, model);
  format::write_model_file(path, {b.GetBufferPointer(), b.GetSize()},
                           {{SectionKind::kHighPlanes, 0, planes.high}, {SectionKind::kLowPlanes, 1, planes.low}});
}

TempPath::TempPath(const std::string& name) {
  const char* dir = std::getenv("TMPDIR");
  path_ = std::string(dir ? dir : "/tmp") + "/nestrt-test-" + std::to_string(getpid()) + "-" + name;
}
TempPath::~TempPath() {
  std::remove(path_.c_str());
}

}  // namespace nestrt::testing

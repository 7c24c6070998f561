#include "tiny_model.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>

#include "nestrt/format/model_file.h"
#include "nestrt/format/plane_coding.h"

namespace nestrt::testing {
namespace {

using nestrt::format::SectionKind;

struct Planes {
  std::vector<uint8_t> high, low;
};

struct LayerPlanes {
  fb::BufferRef high, low;
  format::PlaneCoding high_coding, low_coding;
};

// Appends a plane at the next 64-byte boundary of its section, as one int8 per element or (packed)
// in its narrowest coding.
fb::BufferRef append_plane(std::vector<uint8_t>& section, uint32_t index, const std::vector<int8_t>& values,
                           bool packed, format::PlaneCoding* coding) {
  while (section.size() % 64) section.push_back(0);
  const uint64_t offset = section.size();
  *coding = packed ? format::narrowest_plane_coding(values) : format::PlaneCoding{};
  const std::vector<uint8_t> bytes = format::pack_plane(values, *coding);
  section.insert(section.end(), bytes.begin(), bytes.end());
  return fb::BufferRef(index, 0, offset, bytes.size());
}

// Random int8 weights nested per design §4 (nearest, or the bit-plane floor split): q = high * 2^l + low.
LayerPlanes add_weights(Planes& planes, size_t count, int low_bits, int high_bits, bool packed, bool bitplane,
                        std::mt19937& rng) {
  std::uniform_int_distribution<int> dist(-127, 127);
  const int step = 1 << low_bits;
  const int hi_max = (1 << (high_bits - 1)) - 1, hi_min = -(1 << (high_bits - 1));
  std::vector<int8_t> high, low;
  for (size_t i = 0; i < count; ++i) {
    const int q = dist(rng);
    int h = static_cast<int>(std::nearbyint(static_cast<double>(q) / step));
    h = std::min(std::max(h, hi_min), hi_max);
    if (bitplane) h = q >> low_bits;
    high.push_back(static_cast<int8_t>(h));
    low.push_back(static_cast<int8_t>(q - h * step));
  }
  LayerPlanes p;
  p.high = append_plane(planes.high, 1, high, packed, &p.high_coding);
  p.low = append_plane(planes.low, 2, low, packed, &p.low_coding);
  return p;
}

flatbuffers::Offset<fb::NestedWeights> nested_weights(flatbuffers::FlatBufferBuilder& b,
                                                      const std::vector<int32_t>& shape, const LayerPlanes& p,
                                                      flatbuffers::Offset<fb::ModeParams> full,
                                                      flatbuffers::Offset<fb::ModeParams> part) {
  return fb::CreateNestedWeightsDirect(b, fb::WeightLayout::OHWI, &shape, &p.high, &p.low, full, part, 0.0f, 0.0f, 1.0f,
                                       -1, uint8_t(p.high_coding.width), int8_t(p.high_coding.offset),
                                       uint8_t(p.low_coding.width), int8_t(p.low_coding.offset));
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

// The Preprocess table; with an all-zero geometry exactly what writers before the geometry fields wrote.
flatbuffers::Offset<fb::Preprocess> preprocess(flatbuffers::FlatBufferBuilder& b, const std::array<int32_t, 5>& g) {
  if (g == std::array<int32_t, 5>{}) return fb::CreatePreprocessDirect(b);
  return fb::CreatePreprocessDirect(b, 0.00392156863f, nullptr, nullptr, fb::ColorOrder::Gray, g[0], g[1], g[2], g[3],
                                    g[4]);
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

  const LayerPlanes conv_planes = add_weights(planes, size_t(s.conv_channels) * 9 * size_t(s.in_channels), l,
                                              s.high_bits, s.packed, s.bitplane, rng);
  const auto conv_weights_shape = std::vector<int32_t>{s.conv_channels, 3, 3, s.in_channels};
  const auto conv_w = nested_weights(b, conv_weights_shape, conv_planes, mode_params(b, s.conv_channels, 0.004f, rng),
                                     mode_params(b, s.conv_channels, 0.016f, rng));
  LayerPlanes fc_planes =
      add_weights(planes, size_t(s.classes) * size_t(s.conv_channels), l, s.high_bits, s.packed, s.bitplane, rng);
  fc_planes.high = fb::BufferRef(1, 0, fc_planes.high.offset() + s.fc_high_offset_shift, fc_planes.high.size());
  const auto fc_weights_shape = std::vector<int32_t>{s.classes, 1, 1, s.conv_channels};
  const auto fc_w = nested_weights(b, fc_weights_shape, fc_planes, mode_params(b, s.classes, 0.003f, rng, s.fc_bias),
                                   mode_params(b, s.classes, 0.012f, rng, s.fc_bias));

  auto io = [&](std::vector<int32_t> v) { return b.CreateVector(v); };
  const auto conv_opts = fb::CreateConv2DOptions(b, 1, 1, 1, 1, 1, 1, s.conv_pad_bottom, 1, 1);
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
  const auto model = fb::CreateModel(b,
                                     fb::CreateNesting(b, uint8_t(s.total_bits), uint8_t(s.high_bits),
                                                       s.bitplane ? fb::NestMethod::Bitplane : fb::NestMethod::Nearest),
                                     graph, b.CreateVector(input_nchw), preprocess(b, s.geometry),
                                     b.CreateVector(labels), fb::CreateProvenanceDirect(b, "tiny_model test builder"));
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

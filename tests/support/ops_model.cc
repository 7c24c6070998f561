#include "ops_model.h"

#include <cmath>

#include "nestrt/format/model_file.h"

namespace nestrt::testing {
namespace {

flatbuffers::Offset<fb::Tensor> tensor(flatbuffers::FlatBufferBuilder& b, const char* name, std::vector<int32_t> shape,
                                       float scale, int zp) {
  return fb::CreateTensorDirect(b, name, &shape, fb::DataType::Int8, fb::CreateActivationQuant(b, scale, zp, -1, 1));
}

// Options of the named type (with this spec's contents where it is the op's own type).
std::pair<fb::OpOptions, flatbuffers::Offset<void>> options(flatbuffers::FlatBufferBuilder& b, const std::string& type,
                                                            const OpsModelSpec& s) {
  if (type == "LookupOptions") {
    const std::vector<int8_t> table = ops_model_lookup_table(s);
    return {fb::OpOptions::LookupOptions, fb::CreateLookupOptionsDirect(b, &table).Union()};
  }
  if (type == "MulOptions") return {fb::OpOptions::MulOptions, fb::CreateMulOptions(b, s.mul_multiplier).Union()};
  if (type == "SoftmaxOptions") {
    const std::vector<float> table = ops_model_exp_table(s);
    return {fb::OpOptions::SoftmaxOptions, fb::CreateSoftmaxOptionsDirect(b, &table).Union()};
  }
  if (type == "AddOptions") return {fb::OpOptions::AddOptions, fb::CreateAddOptions(b, 1.f, 1.f).Union()};
  return {fb::OpOptions::NONE, 0};
}

}  // namespace

std::vector<int8_t> ops_model_lookup_table(const OpsModelSpec& s) {
  if (!s.lookup_table.empty()) return s.lookup_table;
  std::vector<int8_t> table;
  for (int i = 0; i < s.lookup_table_entries; ++i) table.push_back(static_cast<int8_t>((i * 77 + 13) % 256 - 128));
  return table;
}

std::vector<float> ops_model_exp_table(const OpsModelSpec& s) {
  if (!s.exp_table.empty()) return s.exp_table;
  std::vector<float> table;
  for (int d = 0; d < s.exp_table_entries; ++d) table.push_back(static_cast<float>(std::exp(-double(s.mul_scale) * d)));
  return table;
}

void write_ops_model(const std::string& path, const OpsModelSpec& s) {
  flatbuffers::FlatBufferBuilder b;
  const int h = s.height, w = s.width, c = s.channels;
  const int kh = s.pool_kernel_h ? s.pool_kernel_h : h, kw = s.pool_kernel_w ? s.pool_kernel_w : w;
  const std::vector<int32_t> nhwc = {1, h, w, c};
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors = {
      tensor(b, "input", nhwc, s.input_scale, s.input_zero_point),
      tensor(b, "lut", s.lookup_output_shape.empty() ? nhwc : s.lookup_output_shape, s.lut_scale, s.lut_zero_point),
      tensor(b, "pool", {1, h - kh + 1, w - kw + 1, c}, s.input_scale, s.input_zero_point),
      tensor(b, "mul", nhwc, s.mul_scale, s.mul_zero_point),
      tensor(b, "flat", {1, h * w * c}, s.mul_scale, s.mul_zero_point),
      tensor(b, "probs", s.softmax_rank4 ? nhwc : std::vector<int32_t>{1, h * w * c}, s.softmax_scale,
             s.softmax_zero_point),
  };
  auto io = [&](std::vector<int32_t> v) { return b.CreateVector(v); };
  const auto lut = options(b, s.lookup_options, s);
  const auto mul = options(b, s.mul_options, s);
  const auto softmax = options(b, s.softmax_options, s);
  const auto pool = fb::CreatePool2DOptions(b, kh, kw, 1, 1);
  const std::vector<int32_t> mul_inputs = s.mul_inputs == 2 ? std::vector<int32_t>{1, 2} : std::vector<int32_t>{1};
  std::vector<flatbuffers::Offset<fb::Operator>> ops = {
      fb::CreateOperator(b, b.CreateString("lut"), fb::OpCode::Lookup, io({0}), io({1}), lut.first, lut.second, 0, -128,
                         s.lookup_output_max),
      fb::CreateOperator(b, b.CreateString("pool"), fb::OpCode::MaxPool2D, io({0}), io({2}),
                         fb::OpOptions::Pool2DOptions, pool.Union()),
      fb::CreateOperator(b, b.CreateString("mul"), fb::OpCode::Mul, io(mul_inputs), io({3}), mul.first, mul.second),
      fb::CreateOperator(b, b.CreateString("flatten"), fb::OpCode::Reshape, io({3}), io({4})),
      fb::CreateOperator(b, b.CreateString("softmax"), fb::OpCode::Softmax, io({s.softmax_rank4 ? 3 : 4}), io({5}),
                         softmax.first, softmax.second),
  };
  const auto graph = fb::CreateGraph(b, b.CreateVector(tensors), b.CreateVector(ops), io({0}), io({5}));
  const std::vector<int32_t> input_nchw = {1, c, h, w};
  const auto model =
      fb::CreateModel(b, fb::CreateNesting(b, 8, 6), graph, b.CreateVector(input_nchw), fb::CreatePreprocessDirect(b),
                      0, fb::CreateProvenanceDirect(b, "ops_model test builder"));
  fb::FinishModelBuffer(b, model);
  format::write_model_file(path, {b.GetBufferPointer(), b.GetSize()}, {});
}

std::vector<int8_t> concat_model_table(int which) {
  std::vector<int8_t> table;
  for (int i = 0; i < 256; ++i) {
    table.push_back(static_cast<int8_t>(which == 0 ? (i * 77 + 13) % 256 - 128 : (i * 45 + 101) % 256 - 128));
  }
  return table;
}

void write_concat_model(const std::string& path, const ConcatModelSpec& s) {
  flatbuffers::FlatBufferBuilder b;
  const std::vector<int32_t> nhwc = {1, 2, 4, 3};
  const std::vector<int32_t> up_shape =
      s.up_shape.empty() ? std::vector<int32_t>{1, s.resize_scale_h, 2 * s.resize_scale_w, 12} : s.up_shape;
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors = {
      tensor(b, "input", nhwc, s.input_scale, s.input_zero_point),
      tensor(b, "lut", nhwc, s.lut_scale, s.lut_zero_point),
      tensor(b, "fold", {1, 1, 2, 12}, s.input_scale, s.input_zero_point),
      tensor(b, "up", up_shape, s.up_scale, s.up_zero_point),
      tensor(b, "lut2", nhwc, s.lut2_scale, s.lut2_zero_point),
      tensor(b, "cat", s.cat_shape.empty() ? std::vector<int32_t>{1, 2, 4, 18} : s.cat_shape, s.cat_scale,
             s.cat_zero_point),
  };
  auto io = [&](std::vector<int32_t> v) { return b.CreateVector(v); };
  const std::vector<int8_t> table0 = concat_model_table(0), table1 = concat_model_table(1);
  const auto lut = fb::CreateLookupOptionsDirect(b, &table0).Union();
  const auto lut2 = fb::CreateLookupOptionsDirect(b, &table1).Union();
  std::vector<float> multipliers = s.cat_multipliers;
  const float scales[] = {s.lut_scale, s.up_scale, s.lut2_scale};
  if (multipliers.empty()) {
    for (int i = 0; i < s.cat_inputs; ++i) multipliers.push_back(scales[i] / s.cat_scale);
  }
  const std::vector<int32_t> all_inputs = {1, 3, 4};
  const std::vector<int32_t> cat_inputs(all_inputs.begin(), all_inputs.begin() + s.cat_inputs);
  std::pair<fb::OpOptions, flatbuffers::Offset<void>> cat = {fb::OpOptions::NONE, 0}, up = cat;
  if (s.cat_options == "ConcatOptions") {
    cat = {fb::OpOptions::ConcatOptions, fb::CreateConcatOptionsDirect(b, &multipliers).Union()};
  }
  if (s.resize_options == "ResizeOptions") {
    up = {fb::OpOptions::ResizeOptions, fb::CreateResizeOptions(b, s.resize_scale_h, s.resize_scale_w).Union()};
  }
  std::vector<flatbuffers::Offset<fb::Operator>> ops = {
      fb::CreateOperator(b, b.CreateString("fold"), fb::OpCode::Reshape, io({0}), io({2})),
      fb::CreateOperator(b, b.CreateString("up"), fb::OpCode::Resize, io({2}), io({3}), up.first, up.second),
      fb::CreateOperator(b, b.CreateString("lut"), fb::OpCode::Lookup, io({0}), io({1}), fb::OpOptions::LookupOptions,
                         lut),
      fb::CreateOperator(b, b.CreateString("lut2"), fb::OpCode::Lookup, io({0}), io({4}), fb::OpOptions::LookupOptions,
                         lut2),
      fb::CreateOperator(b, b.CreateString("cat"), fb::OpCode::Concat, io(cat_inputs), io({5}), cat.first, cat.second,
                         0, s.cat_output_min, s.cat_output_max),
  };
  const auto graph = fb::CreateGraph(b, b.CreateVector(tensors), b.CreateVector(ops), io({0}), io({5}));
  const std::vector<int32_t> input_nchw = {1, 3, 2, 4};
  const auto model =
      fb::CreateModel(b, fb::CreateNesting(b, 8, 6), graph, b.CreateVector(input_nchw), fb::CreatePreprocessDirect(b),
                      0, fb::CreateProvenanceDirect(b, "ops_model test builder"));
  fb::FinishModelBuffer(b, model);
  format::write_model_file(path, {b.GetBufferPointer(), b.GetSize()}, {});
}

void write_zero_insert_model(const std::string& path, const ZeroInsertModelSpec& s) {
  flatbuffers::FlatBufferBuilder b;
  const std::vector<int32_t> out_shape =
      s.out_shape.empty() ? std::vector<int32_t>{1, 2 * s.stride_h + 1, 3 * s.stride_w + 1, 5} : s.out_shape;
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors = {
      tensor(b, "input", {1, 3, 4, 5}, s.input_scale, s.input_zero_point),
      tensor(b, "zeros", out_shape, s.output_scale, s.output_zero_point),
  };
  auto io = [&](std::vector<int32_t> v) { return b.CreateVector(v); };
  std::pair<fb::OpOptions, flatbuffers::Offset<void>> options = {fb::OpOptions::NONE, 0};
  if (s.options == "ZeroInsertOptions") {
    options = {fb::OpOptions::ZeroInsertOptions, fb::CreateZeroInsertOptions(b, s.stride_h, s.stride_w).Union()};
  }
  std::vector<flatbuffers::Offset<fb::Operator>> ops = {
      fb::CreateOperator(b, b.CreateString("zeros"), fb::OpCode::ZeroInsert, io({0}), io({1}), options.first,
                         options.second, 0, s.output_min, s.output_max),
  };
  const auto graph = fb::CreateGraph(b, b.CreateVector(tensors), b.CreateVector(ops), io({0}), io({1}));
  const std::vector<int32_t> input_nchw = {1, 5, 3, 4};
  const auto model =
      fb::CreateModel(b, fb::CreateNesting(b, 8, 6), graph, b.CreateVector(input_nchw), fb::CreatePreprocessDirect(b),
                      0, fb::CreateProvenanceDirect(b, "ops_model test builder"));
  fb::FinishModelBuffer(b, model);
  format::write_model_file(path, {b.GetBufferPointer(), b.GetSize()}, {});
}

}  // namespace nestrt::testing

#include "nestrt/converter/emit.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <map>

#include "nestrt/format/plane_coding.h"

namespace nestrt::converter {
namespace {

constexpr uint32_t kHighSection = 1;  // file section index = 1 + payload index
constexpr uint32_t kLowSection = 2;

struct EmittedPlane {
  fb::BufferRef ref;
  format::PlaneCoding coding;
};

// Bit-packs a plane in its narrowest coding and appends it at the next kPlaneAlignment boundary of
// its section.
EmittedPlane append_plane(std::vector<uint8_t>& section, uint32_t index, const std::vector<int8_t>& plane) {
  const format::PlaneCoding coding = format::narrowest_plane_coding(plane);
  const std::vector<uint8_t> bytes = format::pack_plane(plane, coding);
  const uint64_t offset = (section.size() + kPlaneAlignment - 1) / kPlaneAlignment * kPlaneAlignment;
  section.resize(offset, 0);
  section.insert(section.end(), bytes.begin(), bytes.end());
  return {fb::BufferRef(index, 0, offset, bytes.size()), coding};
}

flatbuffers::Offset<fb::ModeParams> build_mode(flatbuffers::FlatBufferBuilder& b, const ModeParamsData& p) {
  return fb::CreateModeParamsDirect(b, &p.weight_scale, &p.weight_zero_point, &p.bias, &p.multiplier);
}

fb::NestMethod nest_method(NestMethod method) {
  switch (method) {
    case NestMethod::kNearest: return fb::NestMethod::Nearest;
    case NestMethod::kSquant: return fb::NestMethod::SQuant;
    case NestMethod::kTruncate: return fb::NestMethod::Truncate;
    case NestMethod::kGptq: return fb::NestMethod::Gptq;
    case NestMethod::kBitplane: return fb::NestMethod::Bitplane;
  }
  return fb::NestMethod::Nearest;
}

fb::ColorOrder color_order(io::Preprocess::Color color) {
  switch (color) {
    case io::Preprocess::Color::Gray: return fb::ColorOrder::Gray;
    case io::Preprocess::Color::RGB: return fb::ColorOrder::RGB;
    case io::Preprocess::Color::BGR: return fb::ColorOrder::BGR;
  }
  return fb::ColorOrder::Gray;
}

std::pair<fb::OpOptions, flatbuffers::Offset<void>> build_options(flatbuffers::FlatBufferBuilder& b,
                                                                  const QuantOperator& op) {
  const auto i32 = [](int64_t v) { return static_cast<int32_t>(v); };
  switch (op.code) {
    case fb::OpCode::Conv2D:
    case fb::OpCode::DepthwiseConv2D: {
      const ConvAttrs& c = op.conv;
      return {
          fb::OpOptions::Conv2DOptions,
          fb::CreateConv2DOptions(b, i32(c.stride_h), i32(c.stride_w), i32(c.dilation_h), i32(c.dilation_w),
                                  i32(c.pad_top), i32(c.pad_left), i32(c.pad_bottom), i32(c.pad_right), i32(c.groups))
              .Union()};
    }
    case fb::OpCode::MaxPool2D:
    case fb::OpCode::AveragePool2D:
    case fb::OpCode::GlobalAveragePool: {
      const PoolAttrs& p = op.pool;
      return {fb::OpOptions::Pool2DOptions,
              fb::CreatePool2DOptions(b, i32(p.kernel_h), i32(p.kernel_w), i32(p.stride_h), i32(p.stride_w),
                                      i32(p.pad_top), i32(p.pad_left), i32(p.pad_bottom), i32(p.pad_right),
                                      p.count_include_pad, op.pool_multiplier)
                  .Union()};
    }
    case fb::OpCode::Add:
      return {fb::OpOptions::AddOptions, fb::CreateAddOptions(b, op.add_multipliers[0], op.add_multipliers[1]).Union()};
    case fb::OpCode::Lookup:
      return {fb::OpOptions::LookupOptions, fb::CreateLookupOptionsDirect(b, &op.lookup_table).Union()};
    case fb::OpCode::Mul: return {fb::OpOptions::MulOptions, fb::CreateMulOptions(b, op.mul_multiplier).Union()};
    case fb::OpCode::Softmax:
      return {fb::OpOptions::SoftmaxOptions, fb::CreateSoftmaxOptionsDirect(b, &op.softmax_exp_table).Union()};
    case fb::OpCode::Concat:
      return {fb::OpOptions::ConcatOptions, fb::CreateConcatOptionsDirect(b, &op.concat_multipliers).Union()};
    case fb::OpCode::Resize:
      return {fb::OpOptions::ResizeOptions, fb::CreateResizeOptions(b, op.resize_h, op.resize_w).Union()};
    case fb::OpCode::ZeroInsert:
      return {fb::OpOptions::ZeroInsertOptions,
              fb::CreateZeroInsertOptions(b, op.zero_insert_h, op.zero_insert_w).Union()};
    case fb::OpCode::FullyConnected:
    case fb::OpCode::Reshape: break;
  }
  return {fb::OpOptions::NONE, 0};
}

}  // namespace

EmittedModel emit_model(const QuantisedModel& model, const ModelInfo& info) {
  EmittedModel out;
  out.payloads = {{format::SectionKind::kHighPlanes, 0, {}}, {format::SectionKind::kLowPlanes, 1, {}}};
  std::vector<uint8_t>& high_section = out.payloads[0].bytes;
  std::vector<uint8_t>& low_section = out.payloads[1].bytes;

  flatbuffers::FlatBufferBuilder b(1 << 16);
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (const QuantTensor& t : model.tensors) {
    const auto quant = fb::CreateActivationQuant(b, t.quant.scale, t.quant.zero_point, t.quant.min, t.quant.max);
    tensors.push_back(fb::CreateTensorDirect(b, t.name.c_str(), &t.shape, fb::DataType::Int8, quant));
  }
  // Low planes go in release order (low_rank), so graded switching releases a prefix of the section.
  std::vector<const QuantOperator*> by_rank;
  for (const QuantOperator& op : model.operators) {
    if (op.weights) by_rank.push_back(&op);
  }
  std::stable_sort(by_rank.begin(), by_rank.end(), [](const QuantOperator* x, const QuantOperator* y) {
    return x->weights->low_rank < y->weights->low_rank;
  });
  std::map<const QuantOperator*, EmittedPlane> low_planes;
  for (const QuantOperator* op : by_rank) low_planes[op] = append_plane(low_section, kLowSection, op->weights->low);

  std::vector<flatbuffers::Offset<fb::Operator>> operators;
  for (const QuantOperator& op : model.operators) {
    flatbuffers::Offset<fb::NestedWeights> weights = 0;
    if (op.weights) {
      const NestedLayerWeights& w = *op.weights;
      const EmittedPlane high = append_plane(high_section, kHighSection, w.high);
      const EmittedPlane& low = low_planes.at(&op);
      const auto full = build_mode(b, w.full);
      const auto part = build_mode(b, w.part);
      weights = fb::CreateNestedWeightsDirect(
          b, fb::WeightLayout::OHWI, &w.shape, &high.ref, &low.ref, full, part, static_cast<float>(w.sensitivity),
          static_cast<float>(w.step_error), static_cast<float>(w.step_agreement), w.nested ? -1 : 0,
          static_cast<uint8_t>(high.coding.width), static_cast<int8_t>(high.coding.offset),
          static_cast<uint8_t>(low.coding.width), static_cast<int8_t>(low.coding.offset));
    }
    const auto [options_type, options] = build_options(b, op);
    operators.push_back(fb::CreateOperatorDirect(b, op.name.c_str(), op.code, &op.inputs, &op.outputs, options_type,
                                                 options, weights, op.output_min, op.output_max));
  }
  const std::vector<int32_t> graph_inputs = {model.input}, graph_outputs = {model.output};
  const auto graph = fb::CreateGraphDirect(b, &tensors, &operators, &graph_inputs, &graph_outputs);

  const auto nesting =
      fb::CreateNesting(b, static_cast<uint8_t>(model.nesting.total_bits),
                        static_cast<uint8_t>(model.nesting.high_bits), nest_method(model.nesting.method));
  const std::vector<int32_t> input_shape(model.input_shape_nchw.begin(), model.input_shape_nchw.end());
  const io::Preprocess& pre = info.preprocess;
  // Zero geometry fields are not written (FlatBuffers defaults): a direct-resize model's metadata
  // is what it was before the fields existed.
  const auto preprocess =
      fb::CreatePreprocessDirect(b, pre.scale, &pre.mean, &pre.std, color_order(pre.color), pre.resize_shorter,
                                 pre.resize_height, pre.resize_width, pre.crop_height, pre.crop_width);
  std::vector<flatbuffers::Offset<flatbuffers::String>> labels;
  for (const std::string& label : info.labels) labels.push_back(b.CreateString(label));
  const auto provenance =
      fb::CreateProvenanceDirect(b, info.producer.c_str(), info.source_model.c_str(), info.source_xxh64,
                                 info.calibration.c_str(), info.calibration_samples);
  const auto root = fb::CreateModel(b, nesting, graph, b.CreateVector(input_shape), preprocess,
                                    info.labels.empty() ? 0 : b.CreateVector(labels), provenance);
  fb::FinishModelBuffer(b, root);
  out.metadata.assign(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
  return out;
}

}  // namespace nestrt::converter

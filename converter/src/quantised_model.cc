#include "nestrt/converter/quantised_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "nestrt/converter/error.h"
#include "weight_layout.h"

namespace nestrt::converter {
namespace {

// Runtime tensor shape: NHWC for 4-D, [N, C] for 2-D.
std::vector<int32_t> runtime_shape(const Graph& graph, int v) {
  const Shape& s = graph.value(v).shape;
  for (int64_t d : s) {
    if (d <= 0 || d > std::numeric_limits<int32_t>::max()) {
      throw ConversionError(graph.source_path + ": tensor '" + graph.value(v).name + "' has shape " + shape_string(s) +
                            ", which the file format cannot hold");
    }
  }
  if (s.size() == 4)
    return {static_cast<int32_t>(s[0]), static_cast<int32_t>(s[2]), static_cast<int32_t>(s[3]),
            static_cast<int32_t>(s[1])};
  if (s.size() == 2) return {static_cast<int32_t>(s[0]), static_cast<int32_t>(s[1])};
  throw ConversionError(graph.source_path + ": tensor '" + graph.value(v).name + "' has shape " + shape_string(s) +
                        "; the runtime supports 4-D and 2-D tensors");
}

// Conv weights [O, I, KH, KW] -> [O, KH, KW, I]; FullyConnected [O, I] is already [O, 1, 1, I].
std::vector<float> to_ohwi(const Node& node, std::vector<int32_t>& shape) {
  const Shape& s = node.weight_shape;
  if (node.op == OpKind::kFullyConnected) {
    shape = {static_cast<int32_t>(s[0]), 1, 1, static_cast<int32_t>(s[1])};
    return node.weights;
  }
  const int64_t out = s[0], in = s[1], kh = s[2], kw = s[3];
  shape = {static_cast<int32_t>(out), static_cast<int32_t>(kh), static_cast<int32_t>(kw), static_cast<int32_t>(in)};
  return convert_weight_layout(node.weights, WeightLayout::kOihw, out, in, kh, kw);
}

ModeParamsData mode_params(const std::vector<float>& scales, const std::vector<float>& bias, float input_scale,
                           float output_scale) {
  ModeParamsData p;
  p.weight_scale = scales;
  p.weight_zero_point.assign(scales.size(), 0);
  for (size_t c = 0; c < scales.size(); ++c) {
    p.bias.push_back(quantise_bias(bias[c], input_scale, scales[c]));
    p.multiplier.push_back(requant_multiplier(input_scale, scales[c], output_scale));
  }
  return p;
}

// --no-nest: the high plane holds the whole n-bit weights, the low plane is zero, and part mode
// runs with the full-mode parameters, so the layer computes the same in both modes.
NestedLayerWeights keep_full_precision(NestedLayerWeights layer, const std::vector<float>& weights,
                                       const ChannelQuant& quant, const Node& node, float input_scale,
                                       float output_scale) {
  std::vector<float> dequantised(weights.size());
  const size_t per_channel = weights.size() / quant.scales.size();
  for (size_t k = 0; k < weights.size(); ++k) dequantised[k] = quant.scales[k / per_channel] * quant.q[k];
  layer.nested = false;
  layer.sqnr_full_db = layer.sqnr_part_db = sqnr_db(weights, dequantised);
  layer.full = layer.part = mode_params(quant.scales, node.bias, input_scale, output_scale);
  layer.high = quant.q;
  layer.low.assign(quant.q.size(), 0);
  return layer;
}

NestedLayerWeights nest_layer(const Node& node, float input_scale, float output_scale, const NestConfig& nesting,
                              bool nested, const LayerHessians* hessians, std::vector<std::string>& notes) {
  NestedLayerWeights layer;
  const std::vector<float> weights = to_ohwi(node, layer.shape);
  const int64_t channels = layer.shape[0];
  ChannelQuant quant = quantise_weights(weights, channels, nesting.total_bits);
  const size_t per_channel = weights.size() / static_cast<size_t>(channels);
  for (size_t c = 0; c < static_cast<size_t>(channels); ++c) {
    // An all-zero channel's scale is free: pick it so the bias (its whole output) fits int32 with
    // room to spare instead of saturating.
    const bool all_zero = std::all_of(quant.q.begin() + c * per_channel, quant.q.begin() + (c + 1) * per_channel,
                                      [](int8_t q) { return q == 0; });
    if (all_zero) {
      quant.scales[c] = std::max(quant.scales[c], static_cast<float>(std::fabs(node.bias[c]) /
                                                                     (static_cast<double>(input_scale) * (1 << 24))));
    }
  }
  if (!nested) return keep_full_precision(std::move(layer), weights, quant, node, input_scale, output_scale);
  const LayerHessian* hessian = nullptr;
  if (hessians != nullptr && hessians->count(node.name) != 0) hessian = &hessians->at(node.name);
  NestedPlanes planes = nest_weights(quant.q, layer.shape, nesting, hessian);
  if (planes.method != nesting.method) {
    notes.push_back("layer '" + node.name + "': no usable calibration data for " + nest_method_name(nesting.method) +
                    ", nested with " + nest_method_name(planes.method));
  }
  const std::vector<int8_t> part = converter::part_weights(planes.high, planes.method);
  std::vector<float> part_scales(static_cast<size_t>(channels));
  std::vector<float> full_weights(weights.size()), part_weights(weights.size());
  for (size_t c = 0; c < part_scales.size(); ++c) {
    const size_t begin = c * per_channel;
    // Truncation is the naive baseline: its part scale stays s_c * 2^l. Bit-plane part mode runs on
    // 2 * high + 1 (the bucket midpoints) with the refit of s_c * 2^(l-1).
    part_scales[c] = nesting.method == NestMethod::kTruncate
                         ? default_part_scale(quant.scales[c], nesting)
                         : refit_part_scale(std::span(quant.q).subspan(begin, per_channel),
                                            std::span(part).subspan(begin, per_channel), quant.scales[c], nesting);
    for (size_t k = begin; k < begin + per_channel; ++k) {
      full_weights[k] = quant.scales[c] * quant.q[k];
      part_weights[k] = part_scales[c] * part[k];
    }
  }
  layer.sqnr_full_db = sqnr_db(weights, full_weights);
  layer.sqnr_part_db = sqnr_db(weights, part_weights);
  layer.full = mode_params(quant.scales, node.bias, input_scale, output_scale);
  layer.part = mode_params(part_scales, node.bias, input_scale, output_scale);
  layer.part_midpoint = planes.method == NestMethod::kBitplane;
  layer.high = std::move(planes.high);
  layer.low = std::move(planes.low);
  return layer;
}

// The unary function tabulated for every int8 input: out[q + 128] = quantise_bound(f(dequantise(q)))
// (round half to even, saturating; NaN, which no finite function of ours gives, maps to 0).
std::vector<int8_t> lookup_table(const UnaryFunction& f, const ActivationQuant& in, const ActivationQuant& out) {
  std::vector<int8_t> table(256);
  for (int q = -128; q <= 127; ++q) {
    const float y = f.apply(in.scale * static_cast<float>(q - in.zero_point));
    table[static_cast<size_t>(q + 128)] = std::isnan(y) ? int8_t{0} : quantise_bound(y, out);
  }
  return table;
}

// Softmax's exp(x_i - max) for the 256 possible int8 distances below the maximum.
std::vector<float> softmax_exp_table(float input_scale) {
  std::vector<float> table(256);
  for (int d = 0; d < 256; ++d) table[static_cast<size_t>(d)] = static_cast<float>(std::exp(-double{input_scale} * d));
  return table;
}

// Softmax outputs lie in [0, 1]: the whole int8 range over them, as TFLite does.
constexpr ActivationQuant kSoftmaxOutput{1.0f / 256.0f, -128, 0.0f, 1.0f};

float ratio(float numerator, float denominator) {
  return static_cast<float>(static_cast<double>(numerator) / static_cast<double>(denominator));
}

// Every --no-nest name must be a weighted node, or the user's intent silently does nothing.
void check_not_nested_names(const Graph& graph, const std::set<std::string>& not_nested) {
  std::set<std::string> weighted;
  for (const Node& node : graph.nodes) {
    if (node.op == OpKind::kConv || node.op == OpKind::kFullyConnected) weighted.insert(node.name);
  }
  for (const std::string& name : not_nested) {
    if (weighted.count(name) != 0) continue;
    std::string names;
    for (const std::string& w : weighted) names += (names.empty() ? "" : ", ") + w;
    throw ConversionError(graph.source_path + ": --no-nest '" + name +
                          "': no Conv or fully connected node has that name (they are: " + names + ")");
  }
}

}  // namespace

QuantisedModel quantise_graph(const Graph& graph, const std::vector<Range>& ranges, const NestConfig& nesting,
                              const std::set<std::string>& not_nested, const LayerHessians* hessians) {
  check_not_nested_names(graph, not_nested);
  QuantisedModel model;
  model.nesting = nesting;
  model.input_shape_nchw = graph.value(graph.input).shape;
  std::map<int, int32_t> tensor_of;  // graph value -> model tensor
  const auto add_tensor = [&](int v, const ActivationQuant& quant) {
    tensor_of[v] = static_cast<int32_t>(model.tensors.size());
    model.tensors.push_back({graph.value(v).name, runtime_shape(graph, v), quant});
  };
  const auto quant_of = [&](int v) -> const ActivationQuant& {
    return model.tensors[static_cast<size_t>(tensor_of.at(v))].quant;
  };
  const Range& input_range = ranges.at(static_cast<size_t>(graph.input));
  add_tensor(graph.input, quantise_activation(input_range.min, input_range.max));

  for (const Node& node : graph.nodes) {
    const ActivationQuant in_quant = quant_of(node.inputs[0]);
    const Range& range = ranges.at(static_cast<size_t>(node.output));
    // MaxPool, Reshape, Resize and ZeroInsert move values without changing them (ZeroInsert's zeros
    // are the zero point): same quantisation, no requantisation.
    const bool reuse = node.op == OpKind::kMaxPool || node.op == OpKind::kReshape || node.op == OpKind::kResize ||
                       node.op == OpKind::kZeroInsert;
    add_tensor(node.output, reuse                         ? in_quant
                            : node.op == OpKind::kSoftmax ? kSoftmaxOutput
                                                          : quantise_activation(range.min, range.max));
    const ActivationQuant& out_quant = quant_of(node.output);

    QuantOperator op;
    op.name = node.name;
    op.source_op = node.onnx_op;
    for (int v : node.inputs) op.inputs.push_back(tensor_of.at(v));
    op.outputs = {tensor_of.at(node.output)};
    if (!node.activation.is_identity()) {
      op.output_min = quantise_bound(node.activation.min, out_quant);
      op.output_max = quantise_bound(node.activation.max, out_quant);
    }
    const Shape& in_shape = graph.value(node.inputs[0]).shape;
    switch (node.op) {
      case OpKind::kConv: {
        const int64_t in_channels = in_shape[1], out_channels = node.weight_shape[0];
        const bool depthwise = node.conv.groups > 1 && node.conv.groups == in_channels && out_channels == in_channels;
        op.code = depthwise ? fb::OpCode::DepthwiseConv2D : fb::OpCode::Conv2D;
        op.conv = node.conv;
        op.weights = nest_layer(node, in_quant.scale, out_quant.scale, nesting, not_nested.count(node.name) == 0,
                                hessians, model.notes);
        break;
      }
      case OpKind::kFullyConnected:
        op.code = fb::OpCode::FullyConnected;
        op.weights = nest_layer(node, in_quant.scale, out_quant.scale, nesting, not_nested.count(node.name) == 0,
                                hessians, model.notes);
        break;
      case OpKind::kAdd:
        op.code = fb::OpCode::Add;
        op.add_multipliers[0] = ratio(in_quant.scale, out_quant.scale);
        op.add_multipliers[1] = ratio(quant_of(node.inputs[1]).scale, out_quant.scale);
        break;
      case OpKind::kMaxPool:
        op.code = fb::OpCode::MaxPool2D;
        op.pool = node.pool;
        break;
      case OpKind::kAveragePool:
        op.code = fb::OpCode::AveragePool2D;
        op.pool = node.pool;
        op.pool_multiplier = ratio(in_quant.scale, out_quant.scale);
        break;
      case OpKind::kGlobalAveragePool:
        op.code = fb::OpCode::GlobalAveragePool;
        op.pool.kernel_h = in_shape[2];
        op.pool.kernel_w = in_shape[3];
        op.pool_multiplier = ratio(in_quant.scale, out_quant.scale);
        break;
      case OpKind::kReshape: op.code = fb::OpCode::Reshape; break;
      case OpKind::kUnary:
        op.code = fb::OpCode::Lookup;
        op.lookup_table = lookup_table(node.unary, in_quant, out_quant);
        break;
      case OpKind::kMul:
        op.code = fb::OpCode::Mul;
        op.mul_multiplier = requant_multiplier(in_quant.scale, quant_of(node.inputs[1]).scale, out_quant.scale);
        break;
      case OpKind::kSoftmax:
        op.code = fb::OpCode::Softmax;
        op.softmax_exp_table = softmax_exp_table(in_quant.scale);
        break;
      case OpKind::kConcat:
        op.code = fb::OpCode::Concat;
        for (int v : node.inputs) op.concat_multipliers.push_back(ratio(quant_of(v).scale, out_quant.scale));
        break;
      case OpKind::kResize:
        op.code = fb::OpCode::Resize;
        op.resize_h = static_cast<int32_t>(node.resize_h);
        op.resize_w = static_cast<int32_t>(node.resize_w);
        break;
      case OpKind::kZeroInsert:
        op.code = fb::OpCode::ZeroInsert;
        op.zero_insert_h = static_cast<int32_t>(node.zero_insert_h);
        op.zero_insert_w = static_cast<int32_t>(node.zero_insert_w);
        break;
      default:
        throw ConversionError(graph.source_path + ": " + graph.describe(node) +
                              ": internal error: not a runtime operator after normalisation");
    }
    model.operators.push_back(std::move(op));
  }
  model.input = tensor_of.at(graph.input);
  model.output = tensor_of.at(graph.output);
  return model;
}

}  // namespace nestrt::converter

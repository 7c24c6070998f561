#include "graph.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "nestrt/kernels/reference.h"

namespace nestrt::runtime {
namespace {

using format::ErrorCode;
using format::FormatError;
namespace fb = nestrt::fb;

// Bound on strides, dilations, pads and pool windows read from a file: far above any real network,
// low enough that no window arithmetic can overflow.
constexpr int kMaxWindowParameter = 1 << 16;

std::string shape_string(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

class PlanBuilder {
 public:
  explicit PlanBuilder(const format::ModelFile& file) : file_(file), model_(file.model()) {}

  GraphPlan build() {
    const fb::Graph& graph = *model_.graph();
    for (const fb::Tensor* t : *graph.tensors()) plan_.tensors.push_back(tensor_info(*t));
    if (graph.inputs()->size() != 1 || graph.outputs()->size() != 1) {
      fail("graph", "this version runs graphs with exactly one input and one output");
    }
    plan_.input = graph.inputs()->Get(0);
    plan_.output = graph.outputs()->Get(0);
    std::vector<bool> produced(plan_.tensors.size(), false);
    produced[static_cast<size_t>(plan_.input)] = true;
    for (const fb::Operator* op : *graph.operators()) {
      OpPlan p = op_plan(*op);
      for (int32_t in : p.inputs) {
        if (!produced[static_cast<size_t>(in)])
          fail(p.label(), "reads tensor " + std::to_string(in) + " before any operator writes it");
      }
      if (produced[static_cast<size_t>(p.output)]) fail(p.label(), "writes a tensor that is already written");
      produced[static_cast<size_t>(p.output)] = true;
      plan_.ops.push_back(std::move(p));
    }
    if (!produced[static_cast<size_t>(plan_.output)]) fail("graph", "no operator writes the graph output");
    io_shapes();
    release_order(graph);
    return std::move(plan_);
  }

 private:
  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw FormatError(ErrorCode::kBadMetadata, file_.path() + ": invalid graph: " + where + ": " + what);
  }

  static TensorInfo tensor_info(const fb::Tensor& t) {
    TensorInfo info;
    info.name = t.name() ? t.name()->str() : "";
    info.shape.assign(t.shape()->begin(), t.shape()->end());
    info.elements = 1;
    for (int32_t d : info.shape) info.elements *= static_cast<size_t>(d);
    info.scale = t.quant()->scale();
    info.zero_point = t.quant()->zero_point();
    return info;
  }

  const TensorInfo& tensor(int32_t index) const { return plan_.tensors[static_cast<size_t>(index)]; }

  void expect_shape(const OpPlan& p, int32_t index, const std::vector<int32_t>& expected, const char* role) const {
    if (tensor(index).shape != expected) {
      fail(p.label(),
           std::string(role) + " shape " + shape_string(tensor(index).shape) + " should be " + shape_string(expected));
    }
  }

  // The metadata validator checks input counts per opcode already; this keeps the plan safe on its own.
  void expect_inputs(const OpPlan& p, const char* type, size_t count) const {
    if (p.inputs.size() != count) {
      fail(p.label(),
           std::string(type) + " needs " + std::to_string(count) + " input(s), has " + std::to_string(p.inputs.size()));
    }
  }

  void expect_rank4(const OpPlan& p, int32_t index) const {
    if (tensor(index).shape.size() != 4)
      fail(p.label(), "needs an NHWC (rank-4) input, got " + shape_string(tensor(index).shape));
  }

  OpPlan op_plan(const fb::Operator& op) {
    OpPlan p;
    p.name = op.name() ? op.name()->str() : std::string();
    p.code = op.code();
    p.inputs.assign(op.inputs()->begin(), op.inputs()->end());
    p.output = op.outputs()->Get(0);
    const TensorInfo& in = tensor(p.inputs[0]);
    const TensorInfo& out = tensor(p.output);
    p.activation = {in.zero_point, out.zero_point, op.output_min(), op.output_max()};
    switch (op.code()) {
      case fb::OpCode::Conv2D:
      case fb::OpCode::DepthwiseConv2D: conv_plan(op, p); break;
      case fb::OpCode::FullyConnected: fc_plan(op, p); break;
      case fb::OpCode::Add: add_plan(op, p); break;
      case fb::OpCode::MaxPool2D:
      case fb::OpCode::AveragePool2D:
      case fb::OpCode::GlobalAveragePool: pool_plan(op, p); break;
      case fb::OpCode::Reshape:
        if (in.elements != out.elements || in.scale != out.scale || in.zero_point != out.zero_point) {
          fail(p.label(), "Reshape must keep the element count and the quantisation");
        }
        break;
      case fb::OpCode::Lookup: lookup_plan(op, p); break;
      case fb::OpCode::Mul: mul_plan(op, p); break;
      case fb::OpCode::Softmax: softmax_plan(op, p); break;
      case fb::OpCode::Concat: concat_plan(op, p); break;
      case fb::OpCode::Resize: resize_plan(op, p); break;
      case fb::OpCode::ZeroInsert: zero_insert_plan(op, p); break;
    }
    return p;
  }

  // The converter writes the low planes in release order, so the order is their order in the file.
  void release_order(const fb::Graph& graph) {
    for (size_t i = 0; i < plan_.ops.size(); ++i) {
      const fb::NestedWeights* w = graph.operators()->Get(static_cast<uint32_t>(i))->weights();
      if (w == nullptr) continue;  // not a weighted op
      const auto* begin = static_cast<const uint8_t*>(plan_.ops[i].planes.low.data);
      plan_.release.push_back({i, w->low()->section(), begin, begin + w->low()->size(), w->sensitivity(),
                               w->step_error(), w->step_agreement()});
    }
    std::stable_sort(plan_.release.begin(), plan_.release.end(),
                     [](const ReleaseStep& a, const ReleaseStep& b) { return a.low_begin < b.low_begin; });
    plan_.graded = true;
    for (size_t r = 0; r < plan_.release.size(); ++r) {
      plan_.ops[plan_.release[r].op].low_rank = static_cast<int>(r);
      if (plan_.release[r].section != plan_.release[0].section) plan_.graded = false;
    }
  }

  void weights_plan(const fb::NestedWeights& w, OpPlan& p) {
    const auto high = file_.resolve(*w.high());
    const auto low = file_.resolve(*w.low());
    p.planes.high = {high.data(), w.high_width(), w.high_offset()};
    p.planes.low = {low.data(), w.low_width(), w.low_offset()};
    p.planes.count = format::weight_element_count(w);
    p.planes.low_bits =
        w.low_bits() >= 0 ? w.low_bits() : model_.nesting()->total_bits() - model_.nesting()->high_bits();
    // Bit-plane files: part mode runs on 2 * high + 1 (the validator keeps it inside int8); a layer
    // kept out of nesting (low_bits 0) holds its whole weights in the high plane and decodes as is.
    p.planes.part_midpoint = model_.nesting()->method() == fb::NestMethod::Bitplane && p.planes.low_bits > 0;
    auto quant = [](const fb::ModeParams& m) {
      return kernels::ChannelQuant{m.bias()->data(), m.multiplier()->data(), m.weight_zero_point()->data()};
    };
    p.full_quant = quant(*w.full());
    p.part_quant = quant(*w.part());
    check_accumulator_range(p, *w.full(), "full");
    check_accumulator_range(p, *w.part(), "part");
    plan_.max_weight_elements = std::max(plan_.max_weight_elements, p.planes.count);
  }

  // Every kernel accumulates bias + sum((x - x_zp) * (w - w_zp)) in int32, in whatever order its
  // ISA prefers: the file must keep the worst case inside int32, or results would depend on the ISA
  // (and the C++ reference would overflow, which is undefined).
  void check_accumulator_range(const OpPlan& p, const fb::ModeParams& m, const char* mode) const {
    const int64_t channels = static_cast<int64_t>(m.bias()->size());
    const int64_t k = channels > 0 ? static_cast<int64_t>(p.planes.count) / channels : 0;
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t wzp = std::abs(static_cast<int64_t>(m.weight_zero_point()->Get(static_cast<uint32_t>(c))));
      const int64_t bias = std::abs(static_cast<int64_t>(m.bias()->Get(static_cast<uint32_t>(c))));
      if (wzp > 255 || bias + k * 256 * (128 + wzp) > INT32_MAX) {
        fail(p.label(), std::string(mode) + "-mode channel " + std::to_string(c) + ": bias " + std::to_string(bias) +
                            " and weight zero point " + std::to_string(wzp) + " over " + std::to_string(k) +
                            " products can overflow the int32 accumulator");
      }
    }
  }

  void conv_plan(const fb::Operator& op, OpPlan& p) {
    expect_rank4(p, p.inputs[0]);
    const auto& o = *op.options_as_Conv2DOptions();
    const auto& ws = *op.weights()->shape();
    const auto& is = tensor(p.inputs[0]).shape;
    kernels::ConvGeometry& g = p.conv;
    g.batch = is[0], g.in_h = is[1], g.in_w = is[2], g.in_c = is[3];
    g.out_c = ws.Get(0), g.kernel_h = ws.Get(1), g.kernel_w = ws.Get(2);
    g.stride_h = o.stride_h(), g.stride_w = o.stride_w();
    g.dilation_h = o.dilation_h(), g.dilation_w = o.dilation_w();
    g.pad_top = o.pad_top(), g.pad_left = o.pad_left();
    g.groups = op.code() == fb::OpCode::DepthwiseConv2D ? g.in_c : o.groups();
    if (g.stride_h < 1 || g.stride_w < 1 || g.dilation_h < 1 || g.dilation_w < 1 || o.pad_top() < 0 ||
        o.pad_left() < 0 || o.pad_bottom() < 0 || o.pad_right() < 0 || g.groups < 1) {
      fail(p.label(), "strides and dilations must be >= 1, pads >= 0, groups >= 1");
    }
    for (const int v : {g.stride_h, g.stride_w, g.dilation_h, g.dilation_w, o.pad_top(), o.pad_left(), o.pad_bottom(),
                        o.pad_right()}) {
      if (v > kMaxWindowParameter) {
        fail(p.label(),
             "stride, dilation or pad " + std::to_string(v) + " exceeds " + std::to_string(kMaxWindowParameter));
      }
    }
    if (op.code() == fb::OpCode::DepthwiseConv2D) {
      if (ws.Get(3) != 1 || g.out_c % g.in_c != 0) fail(p.label(), "depthwise weights must be [k*C, KH, KW, 1]");
    } else if (g.in_c % g.groups != 0 || g.out_c % g.groups != 0 || ws.Get(3) != g.in_c / g.groups) {
      fail(p.label(), "weights [" + std::to_string(g.out_c) + ",.,.," + std::to_string(ws.Get(3)) + "] do not match " +
                          std::to_string(g.in_c) + " input channels in " + std::to_string(g.groups) + " group(s)");
    }
    g.out_h = kernels::conv_output_size(g.in_h, g.kernel_h, g.stride_h, g.dilation_h, o.pad_top(), o.pad_bottom());
    g.out_w = kernels::conv_output_size(g.in_w, g.kernel_w, g.stride_w, g.dilation_w, o.pad_left(), o.pad_right());
    expect_shape(p, p.output, {g.batch, g.out_h, g.out_w, g.out_c}, "output");
    weights_plan(*op.weights(), p);
  }

  void fc_plan(const fb::Operator& op, OpPlan& p) {
    const auto& ws = *op.weights()->shape();
    const auto& is = tensor(p.inputs[0]).shape;
    if (is.size() != 2 || ws.Get(1) != 1 || ws.Get(2) != 1 || ws.Get(3) != is[1]) {
      fail(p.label(), "fully connected input " + shape_string(is) + " does not match weights [O,1,1," +
                          std::to_string(ws.Get(3)) + "]");
    }
    p.fc_batch = is[0], p.fc_in = is[1], p.fc_out = ws.Get(0);
    expect_shape(p, p.output, {p.fc_batch, p.fc_out}, "output");
    weights_plan(*op.weights(), p);
  }

  void add_plan(const fb::Operator& op, OpPlan& p) {
    const auto& a = tensor(p.inputs[0]);
    const auto& b = tensor(p.inputs[1]);
    expect_shape(p, p.inputs[1], a.shape, "second input");
    expect_shape(p, p.output, a.shape, "output");
    const auto& o = *op.options_as_AddOptions();
    p.add = {a.zero_point,    b.zero_point,   tensor(p.output).zero_point, o.input1_multiplier(), o.input2_multiplier(),
             op.output_min(), op.output_max()};
  }

  void lookup_plan(const fb::Operator& op, OpPlan& p) {
    expect_inputs(p, "Lookup", 1);
    const fb::LookupOptions* o = op.options_as_LookupOptions();
    if (o == nullptr || o->table() == nullptr)
      fail(p.label(), "Lookup needs LookupOptions with a table of 256 entries");
    if (o->table()->size() != 256) {
      fail(p.label(),
           "Lookup table has " + std::to_string(o->table()->size()) + " entries, needs 256 (one per int8 input value)");
    }
    expect_shape(p, p.output, tensor(p.inputs[0]).shape, "output");
    for (uint32_t i = 0; i < 256; ++i) {
      p.lookup_table[i] =
          static_cast<int8_t>(std::clamp<int32_t>(o->table()->Get(i), op.output_min(), op.output_max()));
    }
  }

  void mul_plan(const fb::Operator& op, OpPlan& p) {
    expect_inputs(p, "Mul", 2);
    const fb::MulOptions* o = op.options_as_MulOptions();
    if (o == nullptr) fail(p.label(), "Mul needs MulOptions");
    if (!(std::isfinite(o->multiplier()) && o->multiplier() > 0.f)) {
      fail(p.label(), "Mul multiplier " + std::to_string(o->multiplier()) + " must be positive and finite");
    }
    const TensorInfo& a = tensor(p.inputs[0]);
    const TensorInfo& b = tensor(p.inputs[1]);
    if (b.shape != a.shape) {
      if (a.shape.size() != 4 || b.shape != std::vector<int32_t>{a.shape[0], 1, 1, a.shape[3]}) {
        fail(p.label(), "Mul second input shape " + shape_string(b.shape) + " neither equals the first input's " +
                            shape_string(a.shape) + " nor is [N,1,1,C] broadcastable over an [N,H,W,C] first input");
      }
      p.mul_broadcast = true;
      p.mul_batch = static_cast<size_t>(a.shape[0]);
      p.mul_spatial = static_cast<size_t>(a.shape[1]) * static_cast<size_t>(a.shape[2]);
      p.mul_channels = static_cast<size_t>(a.shape[3]);
    }
    expect_shape(p, p.output, a.shape, "output");
    p.mul = {a.zero_point,    b.zero_point,    tensor(p.output).zero_point,
             o->multiplier(), op.output_min(), op.output_max()};
  }

  void softmax_plan(const fb::Operator& op, OpPlan& p) {
    expect_inputs(p, "Softmax", 1);
    const fb::SoftmaxOptions* o = op.options_as_SoftmaxOptions();
    if (o == nullptr || o->exp_table() == nullptr) {
      fail(p.label(), "Softmax needs SoftmaxOptions with an exp_table of 256 entries");
    }
    const auto& table = *o->exp_table();
    if (table.size() != 256) {
      fail(p.label(), "Softmax exp_table has " + std::to_string(table.size()) +
                          " entries, needs 256 (one per distance from the row maximum)");
    }
    // exp(-input_scale * d) lies in [0, 1] and is 1 at d = 0, so every row sums to at least 1 and
    // 1 / (sum * output_scale) stays finite: no NaN reaches the rounding.
    for (uint32_t d = 0; d < 256; ++d) {
      if (!(table.Get(d) >= 0.f && table.Get(d) <= 1.f)) {
        fail(p.label(), "Softmax exp_table[" + std::to_string(d) + "] = " + std::to_string(table.Get(d)) +
                            " lies outside [0, 1] (entries are exp(-input_scale * d))");
      }
    }
    if (table.Get(0) != 1.f) fail(p.label(), "Softmax exp_table[0] must be 1 (exp(0))");
    const TensorInfo& in = tensor(p.inputs[0]);
    if (in.shape.size() != 2) {
      fail(p.label(), "Softmax needs an [N, C] (rank-2) input, got " + shape_string(in.shape));
    }
    expect_shape(p, p.output, in.shape, "output");
    const TensorInfo& out = tensor(p.output);
    p.softmax = {table.data(), out.scale, out.zero_point, op.output_min(), op.output_max()};
    p.softmax_rows = static_cast<size_t>(in.shape[0]);
    p.softmax_channels = static_cast<size_t>(in.shape[1]);
  }

  void concat_plan(const fb::Operator& op, OpPlan& p) {
    const size_t n = p.inputs.size();
    if (n < 2) fail(p.label(), "Concat needs at least 2 inputs, has " + std::to_string(n));
    const fb::ConcatOptions* o = op.options_as_ConcatOptions();
    if (o == nullptr || o->input_multipliers() == nullptr) {
      fail(p.label(), "Concat needs ConcatOptions with one input multiplier per input");
    }
    const auto& multipliers = *o->input_multipliers();
    if (multipliers.size() != n) {
      fail(p.label(), "Concat has " + std::to_string(multipliers.size()) + " input multipliers for " +
                          std::to_string(n) + " inputs, needs one per input");
    }
    const std::vector<int32_t>& first = tensor(p.inputs[0]).shape;
    if (first.size() != 4 && first.size() != 2) {
      fail(p.label(), "Concat needs NHWC (rank-4) or [N, C] (rank-2) inputs, got " + shape_string(first));
    }
    const TensorInfo& out = tensor(p.output);
    std::vector<int32_t> expected = first;
    int64_t channels = 0;
    for (size_t i = 0; i < n; ++i) {
      const float m = multipliers.Get(static_cast<uint32_t>(i));
      if (!(std::isfinite(m) && m > 0.f)) {
        fail(p.label(), "Concat input_multipliers[" + std::to_string(i) + "] = " + std::to_string(m) +
                            " must be positive and finite");
      }
      const TensorInfo& in = tensor(p.inputs[i]);
      if (in.shape.size() != first.size() || !std::equal(first.begin(), first.end() - 1, in.shape.begin())) {
        fail(p.label(), "Concat input " + std::to_string(i) + " shape " + shape_string(in.shape) +
                            " does not match input 0's " + shape_string(first) + " outside the channel (last) axis");
      }
      channels += in.shape.back();
      p.concat.push_back({in.zero_point, out.zero_point, m, op.output_min(), op.output_max()});
      p.concat_channels.push_back(static_cast<size_t>(in.shape.back()));
    }
    if (channels > INT32_MAX) fail(p.label(), "Concat output has too many channels");
    expected.back() = static_cast<int32_t>(channels);
    expect_shape(p, p.output, expected, "output");
    p.concat_output_channels = static_cast<size_t>(channels);
    p.concat_rows = out.elements / std::max<size_t>(p.concat_output_channels, 1);
  }

  // Checks shared by the value copies into a larger NHWC grid (Resize, ZeroInsert): factors in
  // [1, 64], a rank-4 input, the output shape out_size(extent, factor) per axis, unchanged
  // quantisation and no fused clamp. Returns the input tensor.
  template <typename OutSize>
  const TensorInfo& grid_copy_plan(const fb::Operator& op, OpPlan& p, const std::string& name, const char* factor,
                                   int32_t factor_h, int32_t factor_w, OutSize out_size) {
    for (const auto& [axis, f] : {std::pair{"_h", factor_h}, std::pair{"_w", factor_w}}) {
      if (f < 1 || f > 64) {
        fail(p.label(), name + " " + factor + axis + " " + std::to_string(f) + " lies outside [1, 64]");
      }
    }
    const TensorInfo& in = tensor(p.inputs[0]);
    if (in.shape.size() != 4) fail(p.label(), name + " needs an NHWC (rank-4) input, got " + shape_string(in.shape));
    const int64_t out_h = out_size(in.shape[1], factor_h), out_w = out_size(in.shape[2], factor_w);
    if (out_h > INT32_MAX || out_w > INT32_MAX) fail(p.label(), name + " output is too large");
    expect_shape(p, p.output, {in.shape[0], static_cast<int32_t>(out_h), static_cast<int32_t>(out_w), in.shape[3]},
                 "output");
    const TensorInfo& out = tensor(p.output);
    if (in.scale != out.scale || in.zero_point != out.zero_point) {
      fail(p.label(), name + " must keep the quantisation: input scale " + std::to_string(in.scale) + " zero point " +
                          std::to_string(in.zero_point) + ", output scale " + std::to_string(out.scale) +
                          " zero point " + std::to_string(out.zero_point));
    }
    if (op.output_min() != -128 || op.output_max() != 127) {
      fail(p.label(),
           name + " copies values: a fused clamp (output_min/output_max other than -128/127) is not supported");
    }
    return in;
  }

  void resize_plan(const fb::Operator& op, OpPlan& p) {
    expect_inputs(p, "Resize", 1);
    const fb::ResizeOptions* o = op.options_as_ResizeOptions();
    if (o == nullptr) fail(p.label(), "Resize needs ResizeOptions");
    const TensorInfo& in = grid_copy_plan(op, p, "Resize", "scale", o->scale_h(), o->scale_w(),
                                          [](int32_t extent, int32_t scale) { return int64_t{extent} * scale; });
    p.resize = {static_cast<size_t>(in.shape[0]), static_cast<size_t>(in.shape[1]),  static_cast<size_t>(in.shape[2]),
                static_cast<size_t>(in.shape[3]), static_cast<size_t>(o->scale_h()), static_cast<size_t>(o->scale_w())};
  }

  void zero_insert_plan(const fb::Operator& op, OpPlan& p) {
    expect_inputs(p, "ZeroInsert", 1);
    const fb::ZeroInsertOptions* o = op.options_as_ZeroInsertOptions();
    if (o == nullptr) fail(p.label(), "ZeroInsert needs ZeroInsertOptions");
    // Stride-1 zeros between the input pixels: (extent - 1) * stride + 1.
    const TensorInfo& in =
        grid_copy_plan(op, p, "ZeroInsert", "stride", o->stride_h(), o->stride_w(),
                       [](int32_t extent, int32_t stride) { return int64_t{extent - 1} * stride + 1; });
    p.zero_insert = {static_cast<size_t>(in.shape[0]),   static_cast<size_t>(in.shape[1]),
                     static_cast<size_t>(in.shape[2]),   static_cast<size_t>(in.shape[3]),
                     static_cast<size_t>(o->stride_h()), static_cast<size_t>(o->stride_w())};
  }

  void pool_plan(const fb::Operator& op, OpPlan& p) {
    expect_rank4(p, p.inputs[0]);
    const auto& o = *op.options_as_Pool2DOptions();
    const auto& is = tensor(p.inputs[0]).shape;
    kernels::PoolGeometry& g = p.pool;
    g.batch = is[0], g.in_h = is[1], g.in_w = is[2], g.channels = is[3];
    g.kernel_h = o.kernel_h(), g.kernel_w = o.kernel_w(), g.stride_h = o.stride_h(), g.stride_w = o.stride_w();
    g.pad_top = o.pad_top(), g.pad_left = o.pad_left(), g.count_include_pad = o.count_include_pad();
    if (g.kernel_h < 1 || g.kernel_w < 1 || g.stride_h < 1 || g.stride_w < 1 || o.pad_top() < 0 || o.pad_left() < 0 ||
        o.pad_bottom() < 0 || o.pad_right() < 0 || o.pad_top() >= g.kernel_h || o.pad_bottom() >= g.kernel_h ||
        o.pad_left() >= g.kernel_w || o.pad_right() >= g.kernel_w) {
      fail(p.label(), "pool kernel and strides must be >= 1 and pads smaller than the kernel");
    }
    if (g.kernel_h > kMaxWindowParameter || g.kernel_w > kMaxWindowParameter || g.stride_h > kMaxWindowParameter ||
        g.stride_w > kMaxWindowParameter) {
      fail(p.label(), "pool kernel or stride exceeds " + std::to_string(kMaxWindowParameter));
    }
    if (op.code() == fb::OpCode::GlobalAveragePool && (g.kernel_h != g.in_h || g.kernel_w != g.in_w)) {
      fail(p.label(), "global average pool kernel must cover the whole input");
    }
    if (op.code() == fb::OpCode::MaxPool2D) {
      const TensorInfo& in = tensor(p.inputs[0]);
      const TensorInfo& out = tensor(p.output);
      if (in.scale != out.scale || in.zero_point != out.zero_point)
        fail(p.label(), "max pool must keep the quantisation");
    }
    p.pool_multiplier = o.multiplier();
    g.out_h = kernels::conv_output_size(g.in_h, g.kernel_h, g.stride_h, 1, o.pad_top(), o.pad_bottom());
    g.out_w = kernels::conv_output_size(g.in_w, g.kernel_w, g.stride_w, 1, o.pad_left(), o.pad_right());
    expect_shape(p, p.output, {g.batch, g.out_h, g.out_w, g.channels}, "output");
  }

  // The float I/O shapes the C API exposes: the source model's layout (NCHW), not ours (NHWC).
  void io_shapes() {
    const auto nchw = [](const std::vector<int32_t>& s) {
      if (s.size() == 4) return std::vector<int64_t>{s[0], s[3], s[1], s[2]};
      return std::vector<int64_t>(s.begin(), s.end());
    };
    plan_.input_shape = nchw(tensor(plan_.input).shape);
    plan_.output_shape = nchw(tensor(plan_.output).shape);
    if (const auto* declared = model_.input_shape_nchw(); declared != nullptr && declared->size() > 0) {
      const std::vector<int64_t> d(declared->begin(), declared->end());
      if (d != plan_.input_shape) fail("graph", "declared input shape does not match the input tensor");
    }
  }

  const format::ModelFile& file_;
  const fb::Model& model_;
  GraphPlan plan_;
};

}  // namespace

GraphPlan build_graph_plan(const format::ModelFile& file) {
  return PlanBuilder(file).build();
}

}  // namespace nestrt::runtime

#include "xnnpack_backend.h"

#include <xnnpack.h>
#include <chrono>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <string>

namespace nestrt::runtime {
namespace {

namespace fb = nestrt::fb;
using kernels::NestMode;

const char* status_name(xnn_status s) {
  switch (s) {
    case xnn_status_success: return "success";
    case xnn_status_uninitialized: return "uninitialized";
    case xnn_status_invalid_parameter: return "invalid parameter";
    case xnn_status_invalid_state: return "invalid state";
    case xnn_status_unsupported_parameter: return "unsupported parameter";
    case xnn_status_unsupported_hardware: return "unsupported hardware";
    case xnn_status_out_of_memory: return "out of memory";
  }
  return "unknown status";
}

// Padding after the input that gives XNNPACK the output size we planned: its floor-mode formula
// is ours, and any padding that yields the same size reads the same input pixels.
uint32_t pad_after(int in, int out, int kernel, int stride, int dilation, int pad_before) {
  const int needed = (out - 1) * stride + (kernel - 1) * dilation + 1 - in - pad_before;
  return static_cast<uint32_t>(std::max(needed, 0));
}

bool fits_int8(int32_t v) {
  return v >= -128 && v <= 127;
}

// The range of the weights a mode decodes to: int8 in full mode, the high part's bits in part mode
// (bit-plane nesting: 2 * high + 1, odd values in [-2^h + 1, 2^h - 1]).
std::pair<int32_t, int32_t> weight_range(const kernels::NestedPlanes& planes, bool part) {
  if (!part) return {-128, 127};
  const int high_bits = 8 - planes.low_bits;
  if (planes.part_midpoint) return {-(1 << high_bits) + 1, (1 << high_bits) - 1};
  return {-(1 << (high_bits - 1)), (1 << (high_bits - 1)) - 1};
}

int out_channels(const OpPlan& op) {
  return op.code == fb::OpCode::FullyConnected ? op.fc_out : op.conv.out_c;
}

bool is_global_pool(const OpPlan& op) {
  const kernels::PoolGeometry& g = op.pool;
  return op.code == fb::OpCode::GlobalAveragePool ||
         (op.code == fb::OpCode::AveragePool2D && g.kernel_h == g.in_h && g.kernel_w == g.in_w && g.pad_top == 0 &&
          g.pad_left == 0 && g.out_h == 1 && g.out_w == 1);
}

}  // namespace

XnnpackBackend::XnnpackBackend(const GraphPlan& plan, int8_t* const* tensors, pthreadpool_t pool, uint32_t level)
    : plan_(plan), tensors_(tensors), pool_(pool), ops_(plan.ops.size()), level_(level) {
  if (const xnn_status s = xnn_initialize(nullptr); s != xnn_status_success) {
    throw XnnpackUnsupported(std::string("XNNPACK backend: xnn_initialize failed (") + status_name(s) +
                             "): this CPU or build cannot run XNNPACK");
  }
  for (const OpPlan& op : plan.ops) {
    auto unsupported = [&](const std::string& why) {
      throw XnnpackUnsupported("XNNPACK backend: " + op.label() + ": " + why);
    };
    for (int32_t t : op.inputs) {
      if (!fits_int8(plan.tensors[static_cast<size_t>(t)].zero_point)) unsupported("input zero point outside int8");
    }
    if (!fits_int8(plan.tensors[static_cast<size_t>(op.output)].zero_point))
      unsupported("output zero point outside int8");
    if (!fits_int8(op.activation.output_min) || !fits_int8(op.activation.output_max))
      unsupported("activation clamp outside int8");
    if (op.code == fb::OpCode::Lookup || op.code == fb::OpCode::Mul || op.code == fb::OpCode::Softmax ||
        op.code == fb::OpCode::Concat || op.code == fb::OpCode::Resize || op.code == fb::OpCode::ZeroInsert) {
      unsupported(std::string(fb::EnumNameOpCode(op.code)) +
                  " is not supported by the xnnpack backend (use the native backend)");
    }
    if (op.code == fb::OpCode::AveragePool2D && !is_global_pool(op)) {
      unsupported("AveragePool2D with a window smaller than the input: this XNNPACK has no qs8 average pooling");
    }
    if (op.planes.count == 0) continue;
    // qc8 weights are symmetric: (w - z_c) must still be int8 in both modes.
    for (bool part : {false, true}) {
      const kernels::ChannelQuant& q = part ? op.part_quant : op.full_quant;
      const auto [lo, hi] = weight_range(op.planes, part);
      for (int c = 0; c < out_channels(op); ++c) {
        const int32_t z = q.weight_zero_point ? q.weight_zero_point[c] : 0;
        if (!fits_int8(lo - z) || !fits_int8(hi - z)) {
          unsupported(std::string(part ? "part" : "full") + "-mode weight zero point " + std::to_string(z) +
                      " of channel " + std::to_string(c) + " moves the weights outside int8");
        }
      }
    }
  }
  // Build every op in the mode `level` gives it; weighted ops are also built once in their other
  // mode, so parameters only that mode uses (its multipliers) are refused here and not mid-run.
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const bool part = plan.ops[i].part_at(level);
    if (plan.ops[i].planes.count != 0) build(i, !part, false);
    build(i, part);
  }
}

size_t XnnpackBackend::extra_bytes() {
  return XNN_EXTRA_BYTES;
}

void XnnpackBackend::OpDeleter::operator()(xnn_operator_t op) const {
  xnn_delete_operator(op);
}

XnnpackBackend::~XnnpackBackend() = default;

void XnnpackBackend::build(size_t index, bool part, bool read_weights) {
  const OpPlan& op = plan_.ops[index];
  const int8_t* in = tensors_[op.inputs[0]];
  int8_t* out = tensors_[op.output];
  const auto& act = op.activation;
  const int8_t zi = static_cast<int8_t>(act.input_zero_point), zo = static_cast<int8_t>(act.output_zero_point);
  const int8_t lo = static_cast<int8_t>(act.output_min), hi = static_cast<int8_t>(act.output_max);
  xnn_operator_t created = nullptr;
  auto check = [&](xnn_status s, const char* call) {
    if (s == xnn_status_success) return;
    xnn_delete_operator(created);
    if (s == xnn_status_out_of_memory) throw std::bad_alloc();
    throw XnnpackUnsupported("XNNPACK backend: " + op.label() + ": " + call + " failed (" + status_name(s) + ") in " +
                             (part ? "part" : "full") + " mode");
  };
  switch (op.code) {
    case fb::OpCode::Conv2D:
    case fb::OpCode::DepthwiseConv2D:
    case fb::OpCode::FullyConnected: {
      const bool fc = op.code == fb::OpCode::FullyConnected;
      const kernels::ConvGeometry g =
          fc ? kernels::fully_connected_geometry(op.fc_batch, op.fc_in, op.fc_out) : op.conv;
      const kernels::ChannelQuant& q = part ? op.part_quant : op.full_quant;
      // The materialised int8 copy: OHWI is XNNPACK's [groups][group out][KH][KW][group in] layout
      // (output channel c belongs to group c / (out_c / groups), as in our kernels).
      std::vector<int8_t> w(op.planes.count);
      if (read_weights) kernels::nest_qs8_decode__ref(op.planes, part ? NestMode::kPart : NestMode::kFull, w.data());
      const size_t per_channel = w.size() / static_cast<size_t>(g.out_c);
      for (size_t c = 0; c < static_cast<size_t>(g.out_c); ++c) {
        const int32_t z = q.weight_zero_point ? q.weight_zero_point[c] : 0;
        if (!read_weights) break;
        for (size_t k = 0; k < per_channel; ++k)
          w[c * per_channel + k] = static_cast<int8_t>(w[c * per_channel + k] - z);
      }
      // Scales of 1 make XNNPACK's per-channel requantisation scale (input * kernel[c] / output)
      // exactly our multiplier m_c, so its fp32 requantisation is ours bit for bit.
      const uint32_t groups = static_cast<uint32_t>(g.groups);
      check(
          xnn_create_convolution2d_nhwc_qc8(
              static_cast<uint32_t>(g.pad_top),
              pad_after(g.in_w, g.out_w, g.kernel_w, g.stride_w, g.dilation_w, g.pad_left),
              pad_after(g.in_h, g.out_h, g.kernel_h, g.stride_h, g.dilation_h, g.pad_top),
              static_cast<uint32_t>(g.pad_left), static_cast<uint32_t>(g.kernel_h), static_cast<uint32_t>(g.kernel_w),
              static_cast<uint32_t>(g.stride_h), static_cast<uint32_t>(g.stride_w), static_cast<uint32_t>(g.dilation_h),
              static_cast<uint32_t>(g.dilation_w), groups, static_cast<size_t>(g.in_c) / groups,
              static_cast<size_t>(g.out_c) / groups, static_cast<size_t>(g.in_c), static_cast<size_t>(g.out_c), zi,
              1.0f, q.multiplier, w.data(), q.bias, zo, 1.0f, lo, hi, 0, &created),
          "xnn_create_convolution2d_nhwc_qc8");
      check(xnn_setup_convolution2d_nhwc_qc8(created, static_cast<size_t>(g.batch), static_cast<size_t>(g.in_h),
                                             static_cast<size_t>(g.in_w), in, out, pool_),
            "xnn_setup_convolution2d_nhwc_qc8");
      break;
    }
    case fb::OpCode::Add: {
      const auto& a = op.add;
      check(xnn_create_add_nd_qs8(static_cast<int8_t>(a.a_zero_point), a.a_multiplier,
                                  static_cast<int8_t>(a.b_zero_point), a.b_multiplier,
                                  static_cast<int8_t>(a.output_zero_point), 1.0f, static_cast<int8_t>(a.output_min),
                                  static_cast<int8_t>(a.output_max), 0, &created),
            "xnn_create_add_nd_qs8");
      const size_t n = plan_.tensors[static_cast<size_t>(op.output)].elements;  // same shapes: flat is fine
      check(xnn_setup_add_nd_qs8(created, 1, &n, 1, &n, in, tensors_[op.inputs[1]], out, pool_),
            "xnn_setup_add_nd_qs8");
      break;
    }
    case fb::OpCode::MaxPool2D: {
      const kernels::PoolGeometry& g = op.pool;
      check(xnn_create_max_pooling2d_nhwc_s8(
                static_cast<uint32_t>(g.pad_top), pad_after(g.in_w, g.out_w, g.kernel_w, g.stride_w, 1, g.pad_left),
                pad_after(g.in_h, g.out_h, g.kernel_h, g.stride_h, 1, g.pad_top), static_cast<uint32_t>(g.pad_left),
                static_cast<uint32_t>(g.kernel_h), static_cast<uint32_t>(g.kernel_w), static_cast<uint32_t>(g.stride_h),
                static_cast<uint32_t>(g.stride_w), 1, 1, static_cast<size_t>(g.channels),
                static_cast<size_t>(g.channels), static_cast<size_t>(g.channels), lo, hi, 0, &created),
            "xnn_create_max_pooling2d_nhwc_s8");
      check(xnn_setup_max_pooling2d_nhwc_s8(created, static_cast<size_t>(g.batch), static_cast<size_t>(g.in_h),
                                            static_cast<size_t>(g.in_w), in, out, pool_),
            "xnn_setup_max_pooling2d_nhwc_s8");
      break;
    }
    case fb::OpCode::AveragePool2D:
    case fb::OpCode::GlobalAveragePool: {
      const kernels::PoolGeometry& g = op.pool;
      const size_t c = static_cast<size_t>(g.channels);
      // Scales as for convolutions: XNNPACK's scale input / (output * width) is our multiplier / count.
      check(xnn_create_global_average_pooling_nwc_qs8(c, c, c, zi, op.pool_multiplier, zo, 1.0f, lo, hi, 0, &created),
            "xnn_create_global_average_pooling_nwc_qs8");
      check(xnn_setup_global_average_pooling_nwc_qs8(created, static_cast<size_t>(g.batch),
                                                     static_cast<size_t>(g.in_h) * static_cast<size_t>(g.in_w), in, out,
                                                     pool_),
            "xnn_setup_global_average_pooling_nwc_qs8");
      break;
    }
    case fb::OpCode::Reshape: return;  // a copy at run time, if the arena did not alias it
    case fb::OpCode::Lookup:
    case fb::OpCode::Mul:
    case fb::OpCode::Softmax:
    case fb::OpCode::Concat:
    case fb::OpCode::Resize:
    case fb::OpCode::ZeroInsert: return;  // refused by the constructor
  }
  ops_[index].op.reset(created);
  ops_[index].part = part;
}

void XnnpackBackend::run(uint32_t level, uint64_t* op_ns) {
  if (level != level_) {
    for (size_t i = 0; i < plan_.ops.size(); ++i) {
      const OpPlan& op = plan_.ops[i];
      if (op.planes.count != 0 && op.part_at(level) != ops_[i].part) build(i, op.part_at(level));
    }
    level_ = level;
  }
  for (size_t i = 0; i < plan_.ops.size(); ++i) {
    const auto start = op_ns ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    run_op(i);
    if (op_ns) {
      op_ns[i] += static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
    }
  }
}

void XnnpackBackend::run_op(size_t index) {
  const OpPlan& op = plan_.ops[index];
  if (op.code == fb::OpCode::Reshape) {
    const int8_t* in = tensors_[op.inputs[0]];
    int8_t* out = tensors_[op.output];
    if (in != out) std::memcpy(out, in, plan_.tensors[static_cast<size_t>(op.output)].elements);
    return;
  }
  if (const xnn_status s = xnn_run_operator(ops_[index].op.get(), pool_); s != xnn_status_success) {
    throw std::runtime_error("XNNPACK backend: " + op.label() + ": xnn_run_operator failed (" + status_name(s) + ")");
  }
}

}  // namespace nestrt::runtime

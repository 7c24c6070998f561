#include "xnnpack_float_ops.h"

#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "nestrt/converter/error.h"

namespace nestrt::converter {
namespace {

// Padding after the input that gives XNNPACK's floor-mode output size the IR's: any padding that
// yields the same size reads the same input pixels (also covers MaxPool's ceil_mode).
uint32_t pad_after(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t dilation, int64_t pad_before) {
  const int64_t needed = (out - 1) * stride + (kernel - 1) * dilation + 1 - in - pad_before;
  return static_cast<uint32_t>(std::max<int64_t>(needed, 0));
}

void nchw_to_nhwc(const float* in, int64_t channels, int64_t pixels, float* out) {
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t p = 0; p < pixels; ++p) out[p * channels + c] = in[c * pixels + p];
  }
}

void nhwc_to_nchw(const float* in, int64_t channels, int64_t pixels, float* out) {
  for (int64_t p = 0; p < pixels; ++p) {
    for (int64_t c = 0; c < channels; ++c) out[c * pixels + p] = in[p * channels + c];
  }
}

// The IR's OIHW weights [O, I/groups, KH, KW] in XNNPACK's [groups][O/groups][KH][KW][I/groups].
std::vector<float> ohwi_weights(const Node& node) {
  const int64_t out_c = node.weight_shape[0], group_in = node.weight_shape[1];
  const int64_t kh = node.weight_shape[2], kw = node.weight_shape[3];
  std::vector<float> ohwi(node.weights.size());
  for (int64_t o = 0; o < out_c; ++o)
    for (int64_t ci = 0; ci < group_in; ++ci)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x)
          ohwi[static_cast<size_t>(((o * kh + y) * kw + x) * group_in + ci)] =
              node.weights[static_cast<size_t>(((o * group_in + ci) * kh + y) * kw + x)];
  return ohwi;
}

enum class Kind { kNone, kConv, kFullyConnected, kAdd, kPool, kGlobalPool };

struct NodeOp {
  Kind kind = Kind::kNone;
  xnn_operator_t op = nullptr;
};

}  // namespace

struct XnnpackFloatOps::Impl {
  const Graph& graph;
  std::vector<NodeOp> ops;
  pthreadpool_t pool = nullptr;
  std::vector<float> in_nhwc, out_nhwc;  // scratch for the layout changes

  explicit Impl(const Graph& g) : graph(g), ops(g.nodes.size()) {}
  ~Impl() {
    for (NodeOp& n : ops) {
      if (n.op != nullptr) xnn_delete_operator(n.op);
    }
    if (pool != nullptr) pthreadpool_destroy(pool);
  }

  // Creates the node's operator; leaves it to the reference loops when XNNPACK refuses it.
  void create(size_t index) {
    const Node& node = graph.nodes[index];
    const Shape& in = graph.value(node.inputs[0]).shape;
    const Shape& out = graph.value(node.output).shape;
    const float lo = node.activation.min, hi = node.activation.max;
    xnn_operator_t op = nullptr;
    xnn_status status = xnn_status_unsupported_parameter;
    Kind kind = Kind::kNone;
    switch (node.op) {
      case OpKind::kConv: {
        if (in.size() != 4 || out.size() != 4 || node.weight_shape.size() != 4) return;
        const ConvAttrs& a = node.conv;
        const int64_t group_in = node.weight_shape[1], group_out = node.weight_shape[0] / a.groups;
        const std::vector<float> weights = ohwi_weights(node);
        status = xnn_create_convolution2d_nhwc_f32(
            static_cast<uint32_t>(a.pad_top),
            pad_after(in[3], out[3], node.weight_shape[3], a.stride_w, a.dilation_w, a.pad_left),
            pad_after(in[2], out[2], node.weight_shape[2], a.stride_h, a.dilation_h, a.pad_top),
            static_cast<uint32_t>(a.pad_left), static_cast<uint32_t>(node.weight_shape[2]),
            static_cast<uint32_t>(node.weight_shape[3]), static_cast<uint32_t>(a.stride_h),
            static_cast<uint32_t>(a.stride_w), static_cast<uint32_t>(a.dilation_h), static_cast<uint32_t>(a.dilation_w),
            static_cast<uint32_t>(a.groups), static_cast<size_t>(group_in), static_cast<size_t>(group_out),
            static_cast<size_t>(in[1]), static_cast<size_t>(out[1]), weights.data(), node.bias.data(), lo, hi, 0, &op);
        kind = Kind::kConv;
        break;
      }
      case OpKind::kFullyConnected:
        status = xnn_create_fully_connected_nc_f32(
            static_cast<size_t>(node.weight_shape[1]), static_cast<size_t>(node.weight_shape[0]),
            static_cast<size_t>(node.weight_shape[1]), static_cast<size_t>(node.weight_shape[0]), node.weights.data(),
            node.bias.data(), lo, hi, 0, &op);
        kind = Kind::kFullyConnected;
        break;
      case OpKind::kAdd:
        status = xnn_create_add_nd_f32(lo, hi, 0, &op);
        kind = Kind::kAdd;
        break;
      case OpKind::kMaxPool:
      case OpKind::kAveragePool: {
        if (in.size() != 4 || out.size() != 4) return;
        const PoolAttrs& a = node.pool;
        const uint32_t bottom = pad_after(in[2], out[2], a.kernel_h, a.stride_h, 1, a.pad_top);
        const uint32_t right = pad_after(in[3], out[3], a.kernel_w, a.stride_w, 1, a.pad_left);
        const size_t channels = static_cast<size_t>(in[1]);
        if (node.op == OpKind::kMaxPool) {
          status = xnn_create_max_pooling2d_nhwc_f32(
              static_cast<uint32_t>(a.pad_top), right, bottom, static_cast<uint32_t>(a.pad_left),
              static_cast<uint32_t>(a.kernel_h), static_cast<uint32_t>(a.kernel_w), static_cast<uint32_t>(a.stride_h),
              static_cast<uint32_t>(a.stride_w), 1, 1, channels, channels, channels, lo, hi, 0, &op);
        } else {
          // XNNPACK divides by the pixels inside the input; counting padding stays with the reference.
          const bool padded = a.pad_top != 0 || a.pad_left != 0 || bottom != 0 || right != 0;
          if (a.count_include_pad && padded) return;
          status = xnn_create_average_pooling2d_nhwc_f32(
              static_cast<uint32_t>(a.pad_top), right, bottom, static_cast<uint32_t>(a.pad_left),
              static_cast<uint32_t>(a.kernel_h), static_cast<uint32_t>(a.kernel_w), static_cast<uint32_t>(a.stride_h),
              static_cast<uint32_t>(a.stride_w), channels, channels, channels, lo, hi, 0, &op);
        }
        kind = Kind::kPool;
        break;
      }
      case OpKind::kGlobalAveragePool: {
        if (in.size() != 4) return;
        const size_t channels = static_cast<size_t>(in[1]);
        status = xnn_create_global_average_pooling_nwc_f32(channels, channels, channels, lo, hi, 0, &op);
        kind = Kind::kGlobalPool;
        break;
      }
      default: return;
    }
    if (status != xnn_status_success) {
      if (op != nullptr) xnn_delete_operator(op);
      return;  // e.g. a 1x1 pooling window, which XNNPACK rejects: the reference runs it
    }
    ops[index] = {kind, op};
  }

  void check(xnn_status status, size_t index) const {
    if (status != xnn_status_success) {
      throw ConversionError("float executor: XNNPACK failed on " + graph.describe(graph.nodes[index]) + " (status " +
                            std::to_string(static_cast<int>(status)) + ")");
    }
  }

  void run(size_t index, const std::vector<const std::vector<float>*>& inputs, std::vector<float>& out) {
    const Node& node = graph.nodes[index];
    const NodeOp& n = ops[index];
    const Shape& in_shape = graph.value(node.inputs[0]).shape;
    const Shape& out_shape = graph.value(node.output).shape;
    const std::vector<float>& x = *inputs[0];
    switch (n.kind) {
      case Kind::kFullyConnected:
        check(xnn_setup_fully_connected_nc_f32(n.op, 1, x.data(), out.data(), pool), index);
        break;
      case Kind::kAdd: {
        const size_t shape[1] = {out.size()};
        check(xnn_setup_add_nd_f32(n.op, 1, shape, 1, shape, x.data(), inputs[1]->data(), out.data(), pool), index);
        break;
      }
      case Kind::kConv:
      case Kind::kPool:
      case Kind::kGlobalPool: {
        const int64_t channels = in_shape[1], pixels = in_shape[2] * in_shape[3];
        in_nhwc.resize(x.size());
        nchw_to_nhwc(x.data(), channels, pixels, in_nhwc.data());
        const size_t h = static_cast<size_t>(in_shape[2]), w = static_cast<size_t>(in_shape[3]);
        float* y = n.kind == Kind::kGlobalPool ? out.data() : (out_nhwc.resize(out.size()), out_nhwc.data());
        if (n.kind == Kind::kConv) {
          check(xnn_setup_convolution2d_nhwc_f32(n.op, 1, h, w, in_nhwc.data(), y, pool), index);
        } else if (n.kind == Kind::kGlobalPool) {
          check(xnn_setup_global_average_pooling_nwc_f32(n.op, 1, h * w, in_nhwc.data(), y, pool), index);
        } else if (node.op == OpKind::kMaxPool) {
          check(xnn_setup_max_pooling2d_nhwc_f32(n.op, 1, h, w, in_nhwc.data(), y, pool), index);
        } else {
          check(xnn_setup_average_pooling2d_nhwc_f32(n.op, 1, h, w, in_nhwc.data(), y, pool), index);
        }
        check(xnn_run_operator(n.op, pool), index);
        if (n.kind != Kind::kGlobalPool) nhwc_to_nchw(y, out_shape[1], out_shape[2] * out_shape[3], out.data());
        return;
      }
      case Kind::kNone: throw ConversionError("float executor: XNNPACK has no operator for this node");
    }
    check(xnn_run_operator(n.op, pool), index);
  }
};

XnnpackFloatOps::XnnpackFloatOps(const Graph& graph) : impl_(std::make_unique<Impl>(graph)) {
  if (const xnn_status s = xnn_initialize(nullptr); s != xnn_status_success) {
    throw ConversionError("float executor: XNNPACK cannot run on this machine (xnn_initialize status " +
                          std::to_string(static_cast<int>(s)) + "); use --float-engine reference");
  }
  impl_->pool = pthreadpool_create(0);  // every core: the f32 results do not depend on the count
  for (size_t i = 0; i < graph.nodes.size(); ++i) impl_->create(i);
}

XnnpackFloatOps::~XnnpackFloatOps() = default;

bool XnnpackFloatOps::handles(size_t index) const {
  return impl_->ops[index].kind != Kind::kNone;
}

void XnnpackFloatOps::run(size_t index, const std::vector<const std::vector<float>*>& inputs, std::vector<float>& out) {
  impl_->run(index, inputs, out);
}

size_t XnnpackFloatOps::count() const {
  return static_cast<size_t>(
      std::count_if(impl_->ops.begin(), impl_->ops.end(), [](const NodeOp& n) { return n.kind != Kind::kNone; }));
}

}  // namespace nestrt::converter

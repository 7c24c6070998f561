#include "nestrt/converter/float_executor.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "nestrt/converter/error.h"
#include "xnnpack_float_ops.h"

namespace nestrt::converter {
namespace {

// First and one-past-last output index o with 0 <= o * stride + offset < size.
std::pair<int64_t, int64_t> valid_range(int64_t offset, int64_t stride, int64_t size, int64_t outputs) {
  int64_t first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int64_t last = size - 1 - offset >= 0 ? (size - 1 - offset) / stride + 1 : 0;
  return {std::min(first, outputs), std::clamp<int64_t>(last, 0, outputs)};
}

float clamp_activation(double v, const Activation& a) {
  return std::clamp(static_cast<float>(v), a.min, a.max);
}

void conv(const Node& node, const Shape& in_shape, const std::vector<float>& in, const Shape& out_shape,
          std::vector<float>& out) {
  const ConvAttrs& a = node.conv;
  const int64_t in_h = in_shape[2], in_w = in_shape[3];
  const int64_t out_c = out_shape[1], out_h = out_shape[2], out_w = out_shape[3];
  const int64_t group_in = node.weight_shape[1], kh = node.weight_shape[2], kw = node.weight_shape[3];
  const int64_t group_out = out_c / a.groups;
  std::vector<double> acc(static_cast<size_t>(out_h * out_w));
  for (int64_t o = 0; o < out_c; ++o) {
    std::fill(acc.begin(), acc.end(), static_cast<double>(node.bias[o]));
    const int64_t first_channel = (o / group_out) * group_in;
    for (int64_t ci = 0; ci < group_in; ++ci) {
      const float* plane = in.data() + (first_channel + ci) * in_h * in_w;
      for (int64_t ky = 0; ky < kh; ++ky) {
        const auto [y0, y1] = valid_range(ky * a.dilation_h - a.pad_top, a.stride_h, in_h, out_h);
        for (int64_t kx = 0; kx < kw; ++kx) {
          const double w = node.weights[((o * group_in + ci) * kh + ky) * kw + kx];
          const int64_t x_offset = kx * a.dilation_w - a.pad_left;
          const auto [x0, x1] = valid_range(x_offset, a.stride_w, in_w, out_w);
          for (int64_t y = y0; y < y1; ++y) {
            const int64_t row = (y * a.stride_h + ky * a.dilation_h - a.pad_top) * in_w + x_offset;
            double* dst = acc.data() + y * out_w;
            for (int64_t x = x0; x < x1; ++x) dst[x] += w * plane[row + x * a.stride_w];
          }
        }
      }
    }
    float* dst = out.data() + o * out_h * out_w;
    for (size_t i = 0; i < acc.size(); ++i) dst[i] = clamp_activation(acc[i], node.activation);
  }
}

void fully_connected(const Node& node, const std::vector<float>& in, std::vector<float>& out) {
  const int64_t outputs = node.weight_shape[0], inputs = node.weight_shape[1];
  for (int64_t o = 0; o < outputs; ++o) {
    double acc = node.bias[o];
    const float* w = node.weights.data() + o * inputs;
    for (int64_t i = 0; i < inputs; ++i) acc += static_cast<double>(w[i]) * in[i];
    out[o] = clamp_activation(acc, node.activation);
  }
}

void pool(const Node& node, bool average, const Shape& in_shape, const std::vector<float>& in, const Shape& out_shape,
          std::vector<float>& out) {
  const PoolAttrs& a = node.pool;
  const int64_t in_h = in_shape[2], in_w = in_shape[3], out_h = out_shape[2], out_w = out_shape[3];
  for (int64_t c = 0; c < in_shape[1]; ++c) {
    const float* plane = in.data() + c * in_h * in_w;
    for (int64_t oy = 0; oy < out_h; ++oy) {
      for (int64_t ox = 0; ox < out_w; ++ox) {
        const int64_t y0 = oy * a.stride_h - a.pad_top, x0 = ox * a.stride_w - a.pad_left;
        double sum = 0.0;
        float max = -std::numeric_limits<float>::infinity();
        int64_t count = 0;
        for (int64_t y = std::max<int64_t>(y0, 0); y < std::min(y0 + a.kernel_h, in_h); ++y) {
          for (int64_t x = std::max<int64_t>(x0, 0); x < std::min(x0 + a.kernel_w, in_w); ++x) {
            sum += plane[y * in_w + x];
            max = std::max(max, plane[y * in_w + x]);
            ++count;
          }
        }
        if (a.count_include_pad) count = a.kernel_h * a.kernel_w;
        out[(c * out_h + oy) * out_w + ox] = average ? static_cast<float>(sum / static_cast<double>(count)) : max;
      }
    }
  }
}

}  // namespace

const char* float_engine_name(FloatEngine engine) {
  return engine == FloatEngine::kXnnpack ? "xnnpack" : "reference";
}

bool parse_float_engine(const std::string& text, FloatEngine* engine) {
  for (FloatEngine e : {FloatEngine::kReference, FloatEngine::kXnnpack}) {
    if (text == float_engine_name(e)) {
      *engine = e;
      return true;
    }
  }
  return false;
}

FloatExecutor::FloatExecutor(const Graph& graph, FloatEngine engine) : graph_(graph), values_(graph.values.size()) {
  if (engine == FloatEngine::kXnnpack) xnnpack_ = std::make_unique<XnnpackFloatOps>(graph);
}

FloatExecutor::~FloatExecutor() = default;

size_t FloatExecutor::xnnpack_nodes() const {
  return xnnpack_ ? xnnpack_->count() : 0;
}

std::vector<float> FloatExecutor::run(const std::vector<float>& input) {
  return run_all(input)[static_cast<size_t>(graph_.output)];
}

const std::vector<std::vector<float>>& FloatExecutor::run_all(const std::vector<float>& input) {
  const Value& in = graph_.value(graph_.input);
  if (static_cast<int64_t>(input.size()) != element_count(in.shape)) {
    throw ConversionError("float executor: input '" + in.name + "' needs " + std::to_string(element_count(in.shape)) +
                          " values " + shape_string(in.shape) + ", got " + std::to_string(input.size()));
  }
  values_[static_cast<size_t>(graph_.input)] = input;
  for (size_t n = 0; n < graph_.nodes.size(); ++n) execute(n);
  return values_;
}

const std::vector<float>& FloatExecutor::run_from(size_t first_node) {
  if (values_[static_cast<size_t>(graph_.input)].empty())
    throw ConversionError("float executor: run_from before run_all");
  for (size_t n = first_node; n < graph_.nodes.size(); ++n) execute(n);
  return values_[static_cast<size_t>(graph_.output)];
}

void FloatExecutor::restore_from(const std::vector<std::vector<float>>& values, size_t first_node) {
  for (size_t n = first_node; n < graph_.nodes.size(); ++n) {
    const size_t v = static_cast<size_t>(graph_.nodes[n].output);
    values_[v] = values.at(v);  // same size: the vector keeps its storage
  }
}

void FloatExecutor::execute(size_t index) {
  const Node& node = graph_.nodes[index];
  const Shape& in_shape = graph_.value(node.inputs[0]).shape;
  const Shape& out_shape = graph_.value(node.output).shape;
  const std::vector<float>& in = values_[static_cast<size_t>(node.inputs[0])];
  std::vector<float>& out = values_[static_cast<size_t>(node.output)];
  const size_t count = static_cast<size_t>(element_count(out_shape));
  if (xnnpack_ && xnnpack_->handles(index)) {
    // XNNPACK writes every output element: sized only (the reference kernels below accumulate
    // into zeros).
    out.resize(count);
    std::vector<const std::vector<float>*> inputs;
    for (int v : node.inputs) inputs.push_back(&values_[static_cast<size_t>(v)]);
    xnnpack_->run(index, inputs, out);
    return;
  }
  out.assign(count, 0.0f);
  switch (node.op) {
    case OpKind::kConv: conv(node, in_shape, in, out_shape, out); break;
    case OpKind::kFullyConnected: fully_connected(node, in, out); break;
    case OpKind::kAdd: {
      const std::vector<float>& other = values_[static_cast<size_t>(node.inputs[1])];
      for (size_t i = 0; i < out.size(); ++i) out[i] = clamp_activation(in[i] + other[i], node.activation);
      break;
    }
    case OpKind::kAddConstant:
      for (size_t i = 0; i < out.size(); ++i) out[i] = in[i] + node.bias[i];
      break;
    case OpKind::kRelu:
    case OpKind::kClip:
      for (size_t i = 0; i < out.size(); ++i) out[i] = std::clamp(in[i], node.activation.min, node.activation.max);
      break;
    case OpKind::kBatchNorm: {
      const BatchNormParams& bn = node.batch_norm;
      const size_t channels = static_cast<size_t>(in_shape[1]);
      const size_t plane = in.size() / channels;
      for (size_t c = 0; c < channels; ++c) {
        const double factor = bn.scale[c] / std::sqrt(static_cast<double>(bn.variance[c]) + bn.epsilon);
        for (size_t i = c * plane; i < (c + 1) * plane; ++i) {
          out[i] = static_cast<float>((in[i] - static_cast<double>(bn.mean[c])) * factor + bn.bias[c]);
        }
      }
      break;
    }
    case OpKind::kMaxPool: pool(node, false, in_shape, in, out_shape, out); break;
    case OpKind::kAveragePool: pool(node, true, in_shape, in, out_shape, out); break;
    case OpKind::kGlobalAveragePool: {
      const size_t plane = static_cast<size_t>(in_shape[2] * in_shape[3]);
      for (size_t c = 0; c < out.size(); ++c) {
        double sum = 0.0;
        for (size_t i = 0; i < plane; ++i) sum += in[c * plane + i];
        out[c] = static_cast<float>(sum / static_cast<double>(plane));
      }
      break;
    }
    case OpKind::kUnary:
      for (size_t i = 0; i < out.size(); ++i) out[i] = node.unary.apply(in[i]);
      break;
    case OpKind::kMul:
    case OpKind::kBinary: {
      // The second operand is either as large as the output or one value per channel (NCHW).
      const std::vector<float>& other = values_[static_cast<size_t>(node.inputs[1])];
      const size_t plane = out.size() / other.size();
      for (size_t i = 0; i < out.size(); ++i) {
        const float a = in[i], b = other[i / plane];
        const char op = node.op == OpKind::kMul ? '*' : node.binary_op;
        out[i] = clamp_activation(op == '+' ? a + b : op == '-' ? a - b : op == '*' ? a * b : a / b, node.activation);
      }
      break;
    }
    case OpKind::kSoftmax: {
      const size_t classes = static_cast<size_t>(in_shape.back());
      for (size_t row = 0; row < out.size(); row += classes) {
        const float peak = *std::max_element(in.begin() + row, in.begin() + row + classes);
        double sum = 0.0;
        for (size_t c = row; c < row + classes; ++c) sum += out[c] = std::exp(in[c] - peak);
        for (size_t c = row; c < row + classes; ++c) out[c] = static_cast<float>(out[c] / sum);
      }
      break;
    }
    case OpKind::kConcat: {  // NCHW, batch 1: the inputs' channel blocks one after the other
      size_t at = 0;
      for (int v : node.inputs) {
        const std::vector<float>& part = values_[static_cast<size_t>(v)];
        std::copy(part.begin(), part.end(), out.begin() + static_cast<std::ptrdiff_t>(at));
        at += part.size();
      }
      break;
    }
    case OpKind::kResize: {
      const int64_t in_h = in_shape[2], in_w = in_shape[3], out_h = out_shape[2], out_w = out_shape[3];
      for (int64_t c = 0; c < in_shape[1]; ++c)
        for (int64_t y = 0; y < out_h; ++y)
          for (int64_t x = 0; x < out_w; ++x)
            out[static_cast<size_t>((c * out_h + y) * out_w + x)] =
                in[static_cast<size_t>((c * in_h + y / node.resize_h) * in_w + x / node.resize_w)];
      break;
    }
    case OpKind::kZeroInsert: {  // out is all zeros; the input lands at multiples of the strides
      const int64_t in_h = in_shape[2], in_w = in_shape[3], out_h = out_shape[2], out_w = out_shape[3];
      for (int64_t c = 0; c < in_shape[1]; ++c)
        for (int64_t y = 0; y < in_h; ++y)
          for (int64_t x = 0; x < in_w; ++x)
            out[static_cast<size_t>((c * out_h + y * node.zero_insert_h) * out_w + x * node.zero_insert_w)] =
                in[static_cast<size_t>((c * in_h + y) * in_w + x)];
      break;
    }
    case OpKind::kReshape:
      if (!node.flatten_hwc) {
        out = in;
        break;
      }
      {
        const size_t channels = static_cast<size_t>(in_shape[1]),
                     pixels = static_cast<size_t>(in_shape[2] * in_shape[3]);
        for (size_t c = 0; c < channels; ++c) {
          for (size_t p = 0; p < pixels; ++p) out[p * channels + c] = in[c * pixels + p];
        }
      }
      break;
  }
}

}  // namespace nestrt::converter

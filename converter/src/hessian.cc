#include "nestrt/converter/hessian.h"

#include <algorithm>
#include <cmath>

#include "nestrt/converter/error.h"
#include "nestrt/converter/float_executor.h"
#include "nestrt/converter/quantise.h"

namespace nestrt::converter {
namespace {

struct Collector {
  const Node* node;
  int input;  // graph value
  ActivationQuant quant;
  LayerHessian* hessian;
};

// What the runtime computes with: the int8 value of x, dequantised.
float fake_quantise(float x, const ActivationQuant& q) {
  return static_cast<float>(static_cast<double>(q.scale) * (quantise_bound(x, q) - q.zero_point));
}

// h += x x^T on the upper triangle; rows of a ReLU input are sparse, so zeros are skipped.
void add_row(const std::vector<double>& x, double* h) {
  const size_t k = x.size();
  for (size_t a = 0; a < k; ++a) {
    if (x[a] == 0.0) continue;
    double* row = h + a * k;
    for (size_t b = a; b < k; ++b) row[b] += x[a] * x[b];
  }
}

// Every output pixel's im2col row of every group of a Conv (weights [O, I/groups, KH, KW]).
void add_conv_rows(const Node& node, const Shape& in_shape, const std::vector<float>& in, const Shape& out_shape,
                   LayerHessian& h) {
  const ConvAttrs& a = node.conv;
  const int64_t in_h = in_shape[2], in_w = in_shape[3], out_h = out_shape[2], out_w = out_shape[3];
  const int64_t group_in = node.weight_shape[1], kh = node.weight_shape[2], kw = node.weight_shape[3];
  std::vector<double> x(h.columns);
  for (size_t g = 0; g < h.groups; ++g) {
    for (int64_t oy = 0; oy < out_h; ++oy) {
      for (int64_t ox = 0; ox < out_w; ++ox) {
        for (int64_t ky = 0; ky < kh; ++ky) {
          const int64_t iy = oy * a.stride_h + ky * a.dilation_h - a.pad_top;
          for (int64_t kx = 0; kx < kw; ++kx) {
            const int64_t ix = ox * a.stride_w + kx * a.dilation_w - a.pad_left;
            const bool inside = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w;
            for (int64_t ci = 0; ci < group_in; ++ci) {
              const int64_t c = static_cast<int64_t>(g) * group_in + ci;
              x[static_cast<size_t>((ky * kw + kx) * group_in + ci)] = inside ? in[(c * in_h + iy) * in_w + ix] : 0.0;
            }
          }
        }
        add_row(x, h.xx.data() + g * h.columns * h.columns);
      }
    }
  }
  h.rows += static_cast<size_t>(out_h * out_w);
}

}  // namespace

LayerHessians collect_hessians(const Graph& graph, const QuantisedModel& model, const io::SampleSource& samples,
                               size_t count, const ProgressFn& progress) {
  LayerHessians hessians;
  std::vector<Collector> collectors;
  for (const QuantOperator& op : model.operators) {
    if (!op.weights || !op.weights->nested) continue;
    const auto node =
        std::find_if(graph.nodes.begin(), graph.nodes.end(), [&](const Node& n) { return n.name == op.name; });
    if (node == graph.nodes.end())
      throw ConversionError("internal error: no graph node for operator '" + op.name + "'");
    LayerHessian& h = hessians[op.name];
    const std::vector<int32_t>& ohwi = op.weights->shape;
    h.groups = node->op == OpKind::kConv ? static_cast<size_t>(node->conv.groups) : 1;
    h.columns = static_cast<size_t>(ohwi[1]) * static_cast<size_t>(ohwi[2]) * static_cast<size_t>(ohwi[3]);
    h.xx.assign(h.groups * h.columns * h.columns, 0.0);
    collectors.push_back({&*node, node->inputs[0], model.tensors.at(static_cast<size_t>(op.inputs[0])).quant, &h});
  }
  if (collectors.empty()) return hessians;
  count = std::min(count, samples.size());
  FloatExecutor executor(graph);
  std::vector<float> input;
  for (size_t s = 0; s < count; ++s) {
    const std::vector<std::vector<float>>& values = executor.run_all(samples.get(s));
    for (const Collector& c : collectors) {
      input = values[static_cast<size_t>(c.input)];
      for (float& v : input) v = fake_quantise(v, c.quant);
      if (c.node->op == OpKind::kConv) {
        add_conv_rows(*c.node, graph.value(c.input).shape, input, graph.value(c.node->output).shape, *c.hessian);
      } else {
        add_row(std::vector<double>(input.begin(), input.end()), c.hessian->xx.data());
        ++c.hessian->rows;
      }
    }
    if (progress) progress(s + 1, count);
  }
  for (auto& [name, h] : hessians) {  // mirror the upper triangle
    for (size_t g = 0; g < h.groups; ++g) {
      double* m = h.xx.data() + g * h.columns * h.columns;
      for (size_t a = 0; a < h.columns; ++a) {
        for (size_t b = 0; b < a; ++b) m[a * h.columns + b] = m[b * h.columns + a];
      }
    }
  }
  return hessians;
}

}  // namespace nestrt::converter

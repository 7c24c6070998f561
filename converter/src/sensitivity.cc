#include "nestrt/converter/sensitivity.h"

#include <algorithm>
#include <numeric>

#include "nestrt/converter/float_executor.h"
#include "nestrt/format/plane_coding.h"
#include "weight_layout.h"

namespace nestrt::converter {
namespace {

// The bytes releasing the layer's low plane frees: its packed size in the file (at least 1, so
// a layer kept out of nesting, with an empty low plane, ranks by its zero cost).
double low_plane_bytes(const NestedLayerWeights& w) {
  const int width = format::narrowest_plane_coding(w.low).width;
  return static_cast<double>(std::max<uint64_t>(format::packed_plane_bytes(w.low.size(), width), 1));
}

// Dequantised weights of one mode, back in the node's own layout (the inverse of to_ohwi).
std::vector<float> dequantised(const Node& node, const NestedLayerWeights& w, bool part, int low_bits) {
  const size_t channels = static_cast<size_t>(w.shape[0]), per_channel = w.high.size() / channels;
  std::vector<float> ohwi(w.high.size());
  for (size_t k = 0; k < ohwi.size(); ++k) {
    const size_t c = k / per_channel;
    ohwi[k] = part ? w.part.weight_scale[c] * static_cast<float>(w.high[k])
                   : w.full.weight_scale[c] * static_cast<float>(w.high[k] * (1 << low_bits) + w.low[k]);
  }
  if (node.op == OpKind::kFullyConnected) return ohwi;
  return convert_weight_layout(ohwi, WeightLayout::kOhwi, w.shape[0], w.shape[3], w.shape[1], w.shape[2]);
}

struct Layer {
  size_t node;  // index in graph.nodes
  NestedLayerWeights* weights;
  std::vector<float> full, part;
};

struct Deviation {
  double relative_error = 0.0;  // sum (y - y_full)^2 / sum y_full^2 over the samples
  double agreement = 1.0;       // fraction of samples with the same top-1 as full mode
};

size_t argmax(const std::vector<float>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

}  // namespace

void rank_by_sensitivity(const Graph& graph, const io::SampleSource& samples, size_t count, QuantisedModel& model) {
  Graph g = graph;  // its weights are swapped between modes below
  std::vector<Layer> layers;
  for (QuantOperator& op : model.operators) {
    if (!op.weights) continue;
    const auto it = std::find_if(g.nodes.begin(), g.nodes.end(), [&](const Node& n) { return n.name == op.name; });
    if (it == g.nodes.end()) continue;
    const size_t node = static_cast<size_t>(it - g.nodes.begin());
    const int l = model.nesting.low_bits();
    layers.push_back({node, &*op.weights, dequantised(*it, *op.weights, false, op.weights->nested ? l : 0),
                      dequantised(*it, *op.weights, true, op.weights->nested ? l : 0)});
  }
  if (std::none_of(layers.begin(), layers.end(), [](const Layer& l) { return l.weights->nested; })) return;
  for (const Layer& layer : layers) g.nodes[layer.node].weights = layer.full;

  count = std::min(count, samples.size());
  std::vector<std::vector<float>> inputs, reference;
  FloatExecutor executor(g);
  for (size_t s = 0; s < count; ++s) {
    inputs.push_back(samples.get(s));
    reference.push_back(executor.run(inputs.back()));
  }
  const auto deviation = [&]() {
    Deviation d;
    double error = 0.0, energy = 0.0;
    size_t same = 0;
    for (size_t s = 0; s < inputs.size(); ++s) {
      const std::vector<float> y = executor.run(inputs[s]);
      for (size_t i = 0; i < y.size(); ++i) {
        const double diff = static_cast<double>(y[i]) - reference[s][i];
        error += diff * diff;
        energy += static_cast<double>(reference[s][i]) * reference[s][i];
      }
      same += argmax(y) == argmax(reference[s]);
    }
    d.relative_error = energy > 0.0 ? error / energy : error;
    d.agreement = inputs.empty() ? 1.0 : static_cast<double>(same) / static_cast<double>(inputs.size());
    return d;
  };

  // A layer kept out of nesting computes the same in both modes: no error, and no pass needed
  // (a plain --nest N model needs none at all).
  for (Layer& layer : layers) {
    if (!layer.weights->nested) continue;
    g.nodes[layer.node].weights = layer.part;
    layer.weights->sensitivity = deviation().relative_error;
    g.nodes[layer.node].weights = layer.full;
  }
  // Cheapest accuracy per byte first; ties (e.g. layers no sample reaches) keep graph order.
  std::vector<size_t> order(layers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return layers[a].weights->sensitivity / low_plane_bytes(*layers[a].weights) <
           layers[b].weights->sensitivity / low_plane_bytes(*layers[b].weights);
  });
  Deviation d;  // every layer so far in part mode; unchanged by a layer kept out of nesting
  for (size_t rank = 0; rank < order.size(); ++rank) {
    Layer& layer = layers[order[rank]];
    layer.weights->low_rank = static_cast<int>(rank);
    if (layer.weights->nested) {
      g.nodes[layer.node].weights = layer.part;
      d = deviation();
    }
    layer.weights->step_error = d.relative_error;
    layer.weights->step_agreement = d.agreement;
  }
}

}  // namespace nestrt::converter

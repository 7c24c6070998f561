#include "nestrt/converter/sensitivity.h"

#include <algorithm>
#include <numeric>

#include "dequantised_weights.h"
#include "nestrt/converter/float_executor.h"
#include "nestrt/format/plane_coding.h"

namespace nestrt::converter {
namespace {

// The bytes releasing the layer's low plane frees: its packed size in the file (at least 1, so
// a layer kept out of nesting, with an empty low plane, ranks by its zero cost).
double low_plane_bytes(const NestedLayerWeights& w) {
  const int width = format::narrowest_plane_coding(w.low).width;
  return static_cast<double>(std::max<uint64_t>(format::packed_plane_bytes(w.low.size(), width), 1));
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

// Sums over samples of the output error against full mode, the full-mode energy and top-1 matches.
struct Accumulator {
  double error = 0.0, energy = 0.0;
  size_t same = 0;
  void add(const std::vector<float>& y, const std::vector<float>& reference) {
    for (size_t i = 0; i < y.size(); ++i) {
      const double diff = static_cast<double>(y[i]) - reference[i];
      error += diff * diff;
      energy += static_cast<double>(reference[i]) * reference[i];
    }
    same += argmax(y) == argmax(reference);
  }
  Deviation deviation(size_t samples) const {
    return {energy > 0.0 ? error / energy : error,
            samples == 0 ? 1.0 : static_cast<double>(same) / static_cast<double>(samples)};
  }
};

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
  // Sample by sample, so only one sample's values are held: each change re-runs the graph from
  // the changed node on (FloatExecutor::run_from); the values before it are unchanged.
  FloatExecutor executor(g);
  std::vector<Accumulator> alone(layers.size());
  std::vector<std::vector<float>> references;
  for (size_t s = 0; s < count; ++s) {
    const std::vector<std::vector<float>> full_values = executor.run_all(samples.get(s));
    references.push_back(full_values[static_cast<size_t>(g.output)]);
    // A layer kept out of nesting computes the same in both modes: no error, and no pass needed
    // (a plain --nest N model needs none at all).
    for (size_t i = 0; i < layers.size(); ++i) {
      if (!layers[i].weights->nested) continue;
      g.nodes[layers[i].node].weights = layers[i].part;
      alone[i].add(executor.run_from(layers[i].node), references.back());
      g.nodes[layers[i].node].weights = layers[i].full;
      executor.restore_from(full_values, layers[i].node);
    }
  }
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].weights->nested) layers[i].weights->sensitivity = alone[i].deviation(count).relative_error;
  }
  // Cheapest accuracy per byte first; ties (e.g. layers no sample reaches) keep graph order.
  std::vector<size_t> order(layers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return layers[a].weights->sensitivity / low_plane_bytes(*layers[a].weights) <
           layers[b].weights->sensitivity / low_plane_bytes(*layers[b].weights);
  });
  // Step r runs the layers of rank <= r in part mode: one more layer than step r - 1, so the values
  // before that layer are step r - 1's. A layer kept out of nesting changes nothing.
  std::vector<Accumulator> steps(layers.size());
  for (size_t s = 0; s < count; ++s) {
    executor.run_all(samples.get(s));
    const std::vector<float>* y = &references[s];
    for (size_t rank = 0; rank < order.size(); ++rank) {
      const Layer& layer = layers[order[rank]];
      if (layer.weights->nested) {
        g.nodes[layer.node].weights = layer.part;
        y = &executor.run_from(layer.node);
      }
      steps[rank].add(*y, references[s]);
    }
    for (const Layer& layer : layers) g.nodes[layer.node].weights = layer.full;
  }
  for (size_t rank = 0; rank < order.size(); ++rank) {
    const Deviation d = steps[rank].deviation(count);
    Layer& layer = layers[order[rank]];
    layer.weights->low_rank = static_cast<int>(rank);
    layer.weights->step_error = d.relative_error;
    layer.weights->step_agreement = d.agreement;
  }
}

}  // namespace nestrt::converter

#include "nestrt/converter/output_sqnr.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "dequantised_weights.h"
#include "nestrt/converter/float_executor.h"

namespace nestrt::converter {
namespace {

struct Tracked {
  size_t node;  // index in graph.nodes
  NestedLayerWeights* weights;
  double signal = 0.0, noise_full = 0.0, noise_part = 0.0;
};

double db(double signal, double noise) {
  if (noise == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

}  // namespace

void measure_output_sqnr(const Graph& graph, const io::SampleSource& samples, size_t count, QuantisedModel& model) {
  Graph full = graph, part = graph;
  std::vector<Tracked> tracked;
  for (QuantOperator& op : model.operators) {
    if (!op.weights) continue;
    const auto it =
        std::find_if(graph.nodes.begin(), graph.nodes.end(), [&](const Node& n) { return n.name == op.name; });
    if (it == graph.nodes.end()) continue;
    const size_t n = static_cast<size_t>(it - graph.nodes.begin());
    const int low_bits = op.weights->nested ? model.nesting.low_bits() : 0;
    full.nodes[n].weights = dequantised(*it, *op.weights, false, low_bits);
    part.nodes[n].weights = dequantised(*it, *op.weights, true, low_bits);
    tracked.push_back({n, &*op.weights});
  }
  FloatExecutor reference(graph), full_run(full), part_run(part);
  count = std::min(count, samples.size());
  for (size_t s = 0; s < count; ++s) {
    const std::vector<float> input = samples.get(s);
    const auto& y = reference.run_all(input);
    const auto& yf = full_run.run_all(input);
    const auto& yp = part_run.run_all(input);
    for (Tracked& t : tracked) {
      const size_t v = static_cast<size_t>(graph.nodes[t.node].output);
      for (size_t i = 0; i < y[v].size(); ++i) {
        const double r = y[v][i], df = r - yf[v][i], dp = r - yp[v][i];
        t.signal += r * r;
        t.noise_full += df * df;
        t.noise_part += dp * dp;
      }
    }
  }
  for (const Tracked& t : tracked) {
    t.weights->output_sqnr_full_db = db(t.signal, t.noise_full);
    t.weights->output_sqnr_part_db = db(t.signal, t.noise_part);
  }
}

}  // namespace nestrt::converter

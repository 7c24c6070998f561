// A nested layer's weights as the float model sees them in one serving mode.
#pragma once

#include <vector>

#include "nestrt/converter/graph.h"
#include "nestrt/converter/quantised_model.h"
#include "weight_layout.h"

namespace nestrt::converter {

// Dequantised weights of one mode, back in the node's own layout (the inverse of to_ohwi).
// low_bits: the layer's (0 for a layer kept out of nesting).
inline std::vector<float> dequantised(const Node& node, const NestedLayerWeights& w, bool part, int low_bits) {
  const size_t channels = static_cast<size_t>(w.shape[0]), per_channel = w.high.size() / channels;
  std::vector<float> ohwi(w.high.size());
  for (size_t k = 0; k < ohwi.size(); ++k) {
    const size_t c = k / per_channel;
    const int8_t part_q = w.part_midpoint ? part_weight(w.high[k], NestMethod::kBitplane) : w.high[k];
    ohwi[k] = part ? w.part.weight_scale[c] * static_cast<float>(part_q)
                   : w.full.weight_scale[c] * static_cast<float>(w.high[k] * (1 << low_bits) + w.low[k]);
  }
  if (node.op == OpKind::kFullyConnected) return ohwi;
  return convert_weight_layout(ohwi, WeightLayout::kOhwi, w.shape[0], w.shape[3], w.shape[1], w.shape[2]);
}

}  // namespace nestrt::converter

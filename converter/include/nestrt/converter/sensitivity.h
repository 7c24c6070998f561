// Ranking of the nested layers for graded switching (design §6): which layers' low planes a device
// should release first when memory gets tight. The order is written into the file as the order
// of the low planes in their section, so releasing k layers is releasing one prefix of it.
#pragma once

#include <cstddef>

#include "nestrt/converter/graph.h"
#include "nestrt/converter/quantised_model.h"
#include "nestrt/io/sample_source.h"

namespace nestrt::converter {

// Measures, on the first `count` samples and with the float graph running dequantised weights,
// how much switching each nested layer alone to part mode changes the model output (relative
// squared error of the outputs against all layers in full mode), ranks the layers by that cost
// per low-plane byte saved (cheapest first) and then measures every prefix of the ranking: the
// error and the top-1 agreement with full mode when the first k layers run in part mode.
// Fills NestedLayerWeights::{sensitivity, low_rank, step_error, step_agreement}.
void rank_by_sensitivity(const Graph& graph, const io::SampleSource& samples, size_t count, QuantisedModel& model);

}  // namespace nestrt::converter

// Per-layer output SQNR of both serving modes for the conversion report.
#pragma once

#include <cstddef>

#include "nestrt/converter/graph.h"
#include "nestrt/converter/quantised_model.h"
#include "nestrt/io/sample_source.h"

namespace nestrt::converter {

// On the first `count` samples, runs the float graph with its float weights (the reference), then
// with every weighted layer's dequantised full-mode weights, then part-mode weights, and compares
// each weighted layer's output with the reference's: 10 log10(sum y^2 / sum (y - y_mode)^2). The
// error of the layers before a layer reaches its output, as in the served model; activations stay
// float, so the figure is the weights' share of the quantisation error. Fills
// NestedLayerWeights::{output_sqnr_full_db, output_sqnr_part_db}.
void measure_output_sqnr(const Graph& graph, const io::SampleSource& samples, size_t count, QuantisedModel& model);

}  // namespace nestrt::converter

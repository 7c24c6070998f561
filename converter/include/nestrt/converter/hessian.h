// Calibration statistics for data-driven nesting (method gptq, LayerHessian in nest.h).
#pragma once

#include <cstddef>

#include "nestrt/converter/calibrate.h"
#include "nestrt/converter/graph.h"
#include "nestrt/converter/nest.h"
#include "nestrt/converter/quantised_model.h"
#include "nestrt/io/sample_source.h"

namespace nestrt::converter {

// Runs the float graph on the first `count` samples and accumulates H for every nested Conv and
// FullyConnected operator of `model` (quantised from `graph`; only its activation quantisation is
// used): each layer's input is quantised and dequantised with its tensor's parameters, as the int8
// runtime sees it (padding is the zero point, i.e. exactly 0).
LayerHessians collect_hessians(const Graph& graph, const QuantisedModel& model, const io::SampleSource& samples,
                               size_t count, const ProgressFn& progress = {});

}  // namespace nestrt::converter

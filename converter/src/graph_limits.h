// Sanity limits on an imported graph, so that a malformed or hostile model is refused with a
// message instead of exhausting memory in calibration or quantising NaNs into a silently wrong file.
#pragma once

#include <cstdint>
#include <string>

#include "nestrt/converter/graph.h"

namespace nestrt::converter {

// Largest tensor the converter accepts: 2^28 elements (1 GiB as float; an int8 model that large
// could not run on our boards anyway).
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 28;

// The element count of a shape, or -1 if a dimension is not positive or the product exceeds
// kMaxTensorElements (computed without overflow).
int64_t checked_element_count(const Shape& shape);

// Throws ConversionError naming `source` and the value or node when a value has a non-positive or
// absurd shape, or when weights, biases or batch-norm parameters hold NaN or infinity.
void check_graph_limits(const Graph& graph, const std::string& source);

}  // namespace nestrt::converter

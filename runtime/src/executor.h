// Runs a graph plan over a session's buffers in one mode, with the reference kernels.
#pragma once

#include <cstdint>
#include <vector>

#include "graph.h"
#include "nestrt/nestrt.h"

namespace nestrt::runtime {

// buffers[i] holds tensor i (NHWC int8); decode_scratch holds plan.max_weight_elements bytes.
void execute(const GraphPlan& plan, nestrt_mode mode, std::vector<std::vector<int8_t>>& buffers,
             int8_t* decode_scratch);

// Float (source layout, NCHW) -> int8 NHWC with the tensor's quantisation, and back.
void quantize_input(const TensorInfo& tensor, const float* nchw, int8_t* nhwc);
void dequantize_output(const TensorInfo& tensor, const int8_t* nhwc, float* nchw);

}  // namespace nestrt::runtime

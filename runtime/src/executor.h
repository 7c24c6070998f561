// Runs a graph plan over a session's buffers at one level (model.h: weighted ops of release rank
// < level run in part mode, the others in full mode). Conv2D (groups == 1) and FullyConnected use
// the active kernel variant (nestrt/kernels/dispatch.h: cpuinfo, NESTRT_KERNELS); the rest runs
// the reference kernels. Every variant gives the reference's output bits.
#pragma once

#include <cstdint>
#include <vector>

#include "graph.h"
#include "nestrt/nestrt.h"

namespace nestrt::runtime {

// Scratch bytes one operator needs (decoded weight panels, im2col rows, ...). A session
// allocates the maximum over its plan once, so running allocates nothing.
size_t op_scratch_bytes(const OpPlan& op);

// tensors[i] points at tensor i (NHWC int8, plan.tensors[i].elements bytes); scratch holds at
// least the maximum of op_scratch_bytes over the plan.
void execute(const GraphPlan& plan, uint32_t level, int8_t* const* tensors, int8_t* scratch);

// Float (source layout, NCHW) -> int8 NHWC with the tensor's quantisation, and back.
void quantize_input(const TensorInfo& tensor, const float* nchw, int8_t* nhwc);
void dequantize_output(const TensorInfo& tensor, const int8_t* nhwc, float* nchw);

}  // namespace nestrt::runtime

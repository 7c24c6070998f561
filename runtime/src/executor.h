// Runs a graph plan over a session's buffers at one level (model.h: weighted ops of release rank
// < level run in part mode, the others in full mode). Conv2D (groups == 1) and FullyConnected use
// the active kernel variant (nestrt/kernels/dispatch.h: cpuinfo, NESTRT_KERNELS); the rest runs
// the reference kernels. Every variant gives the reference's output bits.
#pragma once

#include <cstdint>
#include <vector>

#include "graph.h"
#include "nestrt/kernels/gemm.h"
#include "nestrt/nestrt.h"

namespace nestrt::runtime {

// Scratch bytes one operator needs (decoded weight panels, im2col rows, ...) on `threads`
// threads. A session allocates the maximum over its plan once, so running allocates nothing.
size_t op_scratch_bytes(const OpPlan& op, size_t threads = 1);

// tensors[i] points at tensor i (NHWC int8, plan.tensors[i].elements bytes); scratch holds at
// least the maximum of op_scratch_bytes over the plan for the pool's thread count. pool: null
// runs on the calling thread; every operator but Reshape and Softmax spreads over its threads (the
// reference variant runs on the calling thread). Outputs do not depend on the thread count.
// op_ns: null, or plan.ops.size() counters to which each operator's wall time is added (profiling).
void execute(const GraphPlan& plan, uint32_t level, int8_t* const* tensors, int8_t* scratch,
             pthreadpool_t pool = nullptr, uint64_t* op_ns = nullptr);

// Multiply-accumulates of one run of an operator (0 for operators without weights).
uint64_t op_macs(const OpPlan& op);

// The op type's name as the model file spells it ("Conv2D", ...).
const char* op_type_name(const OpPlan& op);

// Float (source layout, NCHW) -> int8 NHWC with the tensor's quantisation, and back.
void quantize_input(const TensorInfo& tensor, const float* nchw, int8_t* nhwc);
void dequantize_output(const TensorInfo& tensor, const int8_t* nhwc, float* nchw);

}  // namespace nestrt::runtime

#include "session.h"

#include <algorithm>

#include "executor.h"

namespace nestrt::runtime {

Session::Session(Model& model) : model_(model) {
  const GraphPlan& plan = model.plan();
  buffers_.reserve(plan.tensors.size());
  for (const TensorInfo& t : plan.tensors) {
    buffers_.emplace_back(t.elements);
    tensors_.push_back(buffers_.back().data());
  }
  size_t scratch = 0;
  for (const OpPlan& op : plan.ops) scratch = std::max(scratch, op_scratch_bytes(op));
  scratch_.resize(scratch);
  model_.sessions.fetch_add(1);
}

Session::~Session() {
  model_.sessions.fetch_sub(1);
}

nestrt_mode Session::run(const float* input, float* output) {
  const GraphPlan& plan = model_.plan();
  RunGuard guard(model_);  // pins one mode for the whole run
  quantize_input(plan.tensors[static_cast<size_t>(plan.input)], input, tensors_[static_cast<size_t>(plan.input)]);
  execute(plan, guard.mode(), tensors_.data(), scratch_.data());
  dequantize_output(plan.tensors[static_cast<size_t>(plan.output)], tensors_[static_cast<size_t>(plan.output)], output);
  return guard.mode();
}

}  // namespace nestrt::runtime

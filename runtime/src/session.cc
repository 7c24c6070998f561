#include "session.h"

#include "executor.h"

namespace nestrt::runtime {

Session::Session(Model& model) : model_(model) {
  const GraphPlan& plan = model.plan();
  buffers_.reserve(plan.tensors.size());
  for (const TensorInfo& t : plan.tensors) buffers_.emplace_back(t.elements);
  decode_scratch_.resize(plan.max_weight_elements);
  model_.sessions.fetch_add(1);
}

Session::~Session() {
  model_.sessions.fetch_sub(1);
}

nestrt_mode Session::run(const float* input, float* output) {
  const GraphPlan& plan = model_.plan();
  RunGuard guard(model_);  // pins one mode for the whole run
  quantize_input(plan.tensors[static_cast<size_t>(plan.input)], input,
                 buffers_[static_cast<size_t>(plan.input)].data());
  execute(plan, guard.mode(), buffers_, decode_scratch_.data());
  dequantize_output(plan.tensors[static_cast<size_t>(plan.output)], buffers_[static_cast<size_t>(plan.output)].data(),
                    output);
  return guard.mode();
}

}  // namespace nestrt::runtime

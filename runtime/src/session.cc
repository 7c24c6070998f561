#include "session.h"

#include <pthreadpool.h>

#include <algorithm>
#include <new>

#include "executor.h"
#include "nestrt/kernels/dispatch.h"
#include "xnnpack_backend.h"

namespace nestrt::runtime {

void Session::PoolDeleter::operator()(pthreadpool_t pool) const {
  pthreadpool_destroy(pool);
}

Session::Session(Model& model, const SessionOptions& options) : model_(model), options_(options) {
  // Resolve the kernel dispatch now: the first resolution probes the CPU and may allocate, which
  // the inference path must not (found by the allocation-failure test on the neon CPUs).
  kernels::active_variant();
  const GraphPlan& plan = model.plan();
  const ArenaPlan& arena = model.arena();
  std::vector<size_t> offsets = arena.offsets;
  size_t bytes = arena.arena_bytes;
  if (!options.share_memory) {  // consecutive, disjoint buffers
    bytes = 0;
    for (size_t i = 0; i < plan.tensors.size(); ++i) offsets[i] = bytes, bytes += plan.tensors[i].elements;
  }
  const bool xnnpack = options.backend == NESTRT_BACKEND_XNNPACK;
  arena_.resize(bytes + (xnnpack ? XnnpackBackend::extra_bytes() : 0));
  for (size_t i = 0; i < plan.tensors.size(); ++i) tensors_.push_back(arena_.data() + offsets[i]);
  if (options.threads > 1) {
    pool_.reset(pthreadpool_create(options.threads));
    if (!pool_) throw std::bad_alloc();
  }
  if (xnnpack) {
    RunGuard guard(model_);  // the level whose weights it packs stays resident meanwhile
    xnnpack_ = std::make_unique<XnnpackBackend>(plan, tensors_.data(), pool_.get(), guard.level());
  } else {
    size_t scratch = 0;
    for (const OpPlan& op : plan.ops) scratch = std::max(scratch, op_scratch_bytes(op, threads()));
    scratch_.resize(scratch);
  }
  if (options.profile) op_ns_.assign(plan.ops.size(), 0);
  model_.sessions.fetch_add(1);
}

void Session::reset_profile() {
  std::fill(op_ns_.begin(), op_ns_.end(), 0);
  profiled_runs_ = 0;
}

Session::~Session() {
  model_.sessions.fetch_sub(1);
}

size_t Session::threads() const {
  return pool_ ? pthreadpool_get_threads_count(pool_.get()) : 1;
}

uint32_t Session::run(const float* input, float* output) {
  const GraphPlan& plan = model_.plan();
  model_.check_mapping_intact();
  RunGuard guard(model_);  // pins one level for the whole run
  // A run that read a byte nobody wrote this run would see the pattern and give a wrong answer.
  if (options_.poison) std::fill_n(arena_.data(), arena_.size(), int8_t{0x5a});
  quantize_input(plan.tensors[static_cast<size_t>(plan.input)], input, tensors_[static_cast<size_t>(plan.input)]);
  uint64_t* op_ns = options_.profile ? op_ns_.data() : nullptr;
  if (xnnpack_) {
    xnnpack_->run(guard.level(), op_ns);
  } else {
    execute(plan, guard.level(), tensors_.data(), scratch_.data(), pool_.get(), op_ns);
  }
  if (op_ns) ++profiled_runs_;
  model_.check_mapping_intact();  // a SIGBUS during the run: fail before touching the caller's output
  dequantize_output(plan.tensors[static_cast<size_t>(plan.output)], tensors_[static_cast<size_t>(plan.output)], output);
  return guard.level();
}

}  // namespace nestrt::runtime

// A session: one caller's activation buffers, decode scratch and thread pool, allocated once at
// creation so the inference path allocates nothing (the XNNPACK backend repacks, and so
// allocates, in the first run after a level change).
#pragma once

#include <cstdint>
#include <memory>
#include <new>
#include <vector>

#include "model.h"
#include "nestrt/kernels/gemm.h"

namespace nestrt::runtime {

// Bytes aligned to kArenaAlignment, so planned offsets (multiples of it) stay aligned.
class AlignedBuffer {
 public:
  void resize(size_t size) {
    data_.reset(size ? static_cast<int8_t*>(::operator new[](size, std::align_val_t{kArenaAlignment})) : nullptr);
    size_ = size;
  }
  int8_t* data() { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(int8_t* p) const { ::operator delete[](p, std::align_val_t{kArenaAlignment}); }
  };
  std::unique_ptr<int8_t[], Free> data_;
  size_t size_ = 0;
};

struct SessionOptions {
  bool share_memory = true;  // false: one buffer per tensor (a reference to check the plan against)
  bool poison = false;       // fill the arena with a pattern before every run (debug checks)
  size_t threads = 1;        // > 1: the session owns a pthreadpool of this many threads
  nestrt_backend backend = NESTRT_BACKEND_NATIVE;
  bool profile = false;  // time every operator (op_ns, profiled_runs)
};

class XnnpackBackend;

class Session {
 public:
  explicit Session(Model& model, const SessionOptions& options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Model& model() { return model_; }
  size_t arena_bytes() const { return arena_.size(); }
  size_t threads() const;
  // Sizes are checked by the caller (C API). Returns the level the run used.
  uint32_t run(const float* input, float* output);
  uint32_t last_level = 0;

  // Profiling (SessionOptions::profile): wall time per plan op summed over profiled_runs() runs;
  // empty when the session does not profile.
  bool profiles() const { return options_.profile; }
  const std::vector<uint64_t>& op_ns() const { return op_ns_; }
  uint64_t profiled_runs() const { return profiled_runs_; }
  void reset_profile();

 private:
  Model& model_;
  SessionOptions options_;
  AlignedBuffer arena_;           // every activation, at the planned offsets
  std::vector<int8_t*> tensors_;  // tensors_[i] -> arena_ + offset of tensor i
  std::vector<int8_t> scratch_;
  std::vector<uint64_t> op_ns_;  // sized at creation, so profiled runs allocate nothing either
  uint64_t profiled_runs_ = 0;
  struct PoolDeleter {
    void operator()(pthreadpool_t pool) const;
  };
  std::unique_ptr<pthreadpool, PoolDeleter> pool_;  // null: runs on the calling thread
  std::unique_ptr<XnnpackBackend> xnnpack_;         // null: the native kernels
};

}  // namespace nestrt::runtime

// The XNNPACK backend (issue 5 item 6, design §8): the graph run by XNNPACK qs8/qc8 operators
// built from int8 copies of the active level's weights — the "repack" design peers use. It is
// the performance peer of the native path and a cross-check of its outputs.
//
// Weights: each weighted op's planes are decoded in the mode the level gives it (full: the exact
// int8 weights; part: the high part, with the part-mode per-channel multipliers and biases the
// native path uses), its weight zero point subtracted, and handed to XNNPACK, which packs its own
// copy. Operators are created and set up (pointers into the session's arena, the session's
// pthreadpool) at construction and again, for the ops whose mode changed, in the first run after
// a level change: only those runs allocate.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "graph.h"
#include "model.h"
#include "nestrt/kernels/gemm.h"

typedef struct xnn_operator* xnn_operator_t;

namespace nestrt::runtime {

// The graph has an operator (or a parameter) this XNNPACK version cannot express; the message
// names it. The C API reports it as NESTRT_UNSUPPORTED.
class XnnpackUnsupported : public UnsupportedError {
 public:
  using UnsupportedError::UnsupportedError;
};

class XnnpackBackend {
 public:
  // tensors[i]: the session's buffer of tensor i (must outlive the backend). Builds every
  // operator for `level`; throws XnnpackUnsupported naming the first op it cannot express.
  XnnpackBackend(const GraphPlan& plan, int8_t* const* tensors, pthreadpool_t pool, uint32_t level);
  ~XnnpackBackend();
  XnnpackBackend(const XnnpackBackend&) = delete;
  XnnpackBackend& operator=(const XnnpackBackend&) = delete;

  // Bytes XNNPACK's kernels may read past the end of a tensor (XNN_EXTRA_BYTES): the session's
  // arena must extend that far past its last tensor.
  static size_t extra_bytes();

  // Runs the graph at `level` (pinned by the caller's RunGuard), first rebuilding the weighted
  // operators whose mode differs from the one they were built for. op_ns: null, or one counter per
  // plan op to which each operator's wall time is added (a rebuild is not counted).
  void run(uint32_t level, uint64_t* op_ns = nullptr);
  uint32_t built_level() const { return level_; }

 private:
  struct OpDeleter {
    void operator()(xnn_operator_t op) const;
  };
  struct Op {
    std::unique_ptr<xnn_operator, OpDeleter> op;  // owned, so a constructor that throws frees them
    bool part = false;                            // weighted ops: the mode the operator was built for
  };
  // read_weights false: zero weights (checks the mode's parameters without touching its planes,
  // whose low half may be paged out).
  void build(size_t index, bool part, bool read_weights = true);
  void run_op(size_t index);

  const GraphPlan& plan_;
  int8_t* const* tensors_;
  pthreadpool_t pool_;
  std::vector<Op> ops_;  // per plan op; null for Reshape (a copy)
  uint32_t level_ = 0;
};

}  // namespace nestrt::runtime

// Static activation memory plan: every int8 tensor gets an offset in one arena, and tensors whose
// lifetimes do not overlap share bytes. Greedy by size (largest first, lowest offset that fits),
// the same strategy as TFLite's GreedyMemoryPlanner. Planned once at load; sessions only allocate
// the arena.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "graph.h"

namespace nestrt::runtime {

inline constexpr size_t kArenaAlignment = 64;  // a cache line; also what SIMD loads like

struct TensorLifetime {
  int first = 0;  // index of the op that writes it (-1: the graph input, written before op 0)
  int last = 0;   // index of the last op that reads it (ops.size(): the graph output, read after)
};

struct ArenaPlan {
  std::vector<size_t> offsets;  // per tensor
  std::vector<TensorLifetime> lifetimes;
  size_t arena_bytes = 0;     // peak: the arena a session allocates
  size_t unshared_bytes = 0;  // what one buffer per tensor would take
};

ArenaPlan plan_arena(const GraphPlan& graph);

// Throws std::logic_error naming both tensors if two tensors that may be live at the same time
// share a byte, or a tensor does not fit the arena. Cheap (pairwise over tensors): run at load.
void check_arena_plan(const GraphPlan& graph, const ArenaPlan& plan);

// True when two tensors may be live at the same time (so must not share bytes).
inline bool lifetimes_overlap(const TensorLifetime& a, const TensorLifetime& b) {
  return a.first <= b.last && b.first <= a.last;
}

}  // namespace nestrt::runtime

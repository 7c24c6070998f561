#include "arena_planner.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace nestrt::runtime {
namespace {

size_t align_up(size_t v) {
  return (v + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
}

std::vector<TensorLifetime> compute_lifetimes(const GraphPlan& graph) {
  const int end = static_cast<int>(graph.ops.size());
  // Unused tensors get an empty lifetime that overlaps nothing.
  std::vector<TensorLifetime> life(graph.tensors.size(), TensorLifetime{end + 1, -2});
  life[static_cast<size_t>(graph.input)] = {-1, -1};
  for (int i = 0; i < end; ++i) {
    const OpPlan& op = graph.ops[static_cast<size_t>(i)];
    life[static_cast<size_t>(op.output)] = {i, i};
    for (int32_t in : op.inputs) life[static_cast<size_t>(in)].last = std::max(life[static_cast<size_t>(in)].last, i);
  }
  life[static_cast<size_t>(graph.output)].last = end;
  return life;
}

}  // namespace

ArenaPlan plan_arena(const GraphPlan& graph) {
  ArenaPlan plan;
  plan.lifetimes = compute_lifetimes(graph);
  plan.offsets.assign(graph.tensors.size(), 0);
  std::vector<size_t> order(graph.tensors.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Largest first; ties by index so the plan is deterministic.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return graph.tensors[a].elements > graph.tensors[b].elements; });

  struct Placed {
    size_t offset, size, tensor;
  };
  std::vector<Placed> placed;  // kept sorted by offset
  for (size_t t : order) {
    const size_t size = align_up(graph.tensors[t].elements);
    plan.unshared_bytes += size;
    if (plan.lifetimes[t].first > plan.lifetimes[t].last) continue;  // never used
    // Lowest gap between already placed, time-overlapping tensors that fits this one.
    size_t offset = 0;
    for (const Placed& p : placed) {
      if (!lifetimes_overlap(plan.lifetimes[t], plan.lifetimes[p.tensor])) continue;
      if (p.offset >= offset + size) break;
      offset = std::max(offset, p.offset + p.size);
    }
    plan.offsets[t] = offset;
    placed.push_back({offset, size, t});
    std::sort(placed.begin(), placed.end(), [](const Placed& a, const Placed& b) { return a.offset < b.offset; });
    plan.arena_bytes = std::max(plan.arena_bytes, offset + size);
  }
  return plan;
}

void check_arena_plan(const GraphPlan& graph, const ArenaPlan& plan) {
  const size_t n = graph.tensors.size();
  auto used = [&](size_t t) { return plan.lifetimes[t].first <= plan.lifetimes[t].last; };
  for (size_t a = 0; a < n; ++a) {
    if (!used(a)) continue;
    const size_t a_end = plan.offsets[a] + graph.tensors[a].elements;
    if (a_end > plan.arena_bytes)
      throw std::logic_error("arena plan: tensor '" + graph.tensors[a].name + "' overflows");
    for (size_t b = a + 1; b < n; ++b) {
      if (!used(b) || !lifetimes_overlap(plan.lifetimes[a], plan.lifetimes[b])) continue;
      const size_t b_end = plan.offsets[b] + graph.tensors[b].elements;
      if (plan.offsets[a] < b_end && plan.offsets[b] < a_end) {
        throw std::logic_error("arena plan: live tensors '" + graph.tensors[a].name + "' and '" +
                               graph.tensors[b].name + "' share memory");
      }
    }
  }
}

}  // namespace nestrt::runtime

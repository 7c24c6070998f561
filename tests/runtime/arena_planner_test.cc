// The activation arena: no two tensors that can be live at once share a byte (checked with
// lifetimes computed here, independently of the planner), reuse really saves memory, and the
// shipped model gives the same bits from a poisoned shared arena as from one buffer per tensor.
#include <gtest/gtest.h>

#include <random>

#include "arena_planner.h"
#include "fashion_fixture.h"
#include "model.h"
#include "session.h"

namespace nestrt::runtime {
namespace {

// A random DAG: op i reads one or two earlier tensors and writes tensor i + 1.
GraphPlan random_graph(std::mt19937& rng, int ops) {
  GraphPlan g;
  std::uniform_int_distribution<size_t> size(1, 5000);
  for (int t = 0; t <= ops; ++t) g.tensors.push_back({"t" + std::to_string(t), {}, size(rng), 1.f, 0});
  for (int i = 0; i < ops; ++i) {
    OpPlan op;
    std::uniform_int_distribution<int> pick(std::max(0, i - 4), i);  // mostly recent tensors, like real nets
    op.inputs.push_back(pick(rng));
    if (rng() % 3 == 0) op.inputs.push_back(pick(rng));
    op.output = i + 1;
    g.ops.push_back(op);
  }
  g.input = 0;
  g.output = ops;
  return g;
}

TEST(ArenaPlannerTest, LiveTensorsNeverShareBytesOnRandomGraphs) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    const GraphPlan g = random_graph(rng, 1 + trial % 40);
    const ArenaPlan plan = plan_arena(g);
    // Independent liveness: tensor t is needed from its writer up to its last reader.
    const int n = static_cast<int>(g.tensors.size());
    std::vector<int> born(size_t(n), -1), dies(size_t(n), -1);
    for (int i = 0; i < static_cast<int>(g.ops.size()); ++i) {
      born[size_t(g.ops[size_t(i)].output)] = i;
      for (int in : g.ops[size_t(i)].inputs) dies[size_t(in)] = std::max(dies[size_t(in)], i);
    }
    dies[size_t(g.output)] = static_cast<int>(g.ops.size());
    for (int a = 0; a < n; ++a) {
      for (int b = a + 1; b < n; ++b) {
        const bool a_used = dies[size_t(a)] >= 0, b_used = dies[size_t(b)] >= 0;
        if (!a_used || !b_used || born[size_t(a)] > dies[size_t(b)] || born[size_t(b)] > dies[size_t(a)]) continue;
        const size_t a0 = plan.offsets[size_t(a)], a1 = a0 + g.tensors[size_t(a)].elements;
        const size_t b0 = plan.offsets[size_t(b)], b1 = b0 + g.tensors[size_t(b)].elements;
        ASSERT_TRUE(a1 <= b0 || b1 <= a0) << "trial " << trial << ": live tensors " << a << " and " << b << " overlap";
      }
    }
    for (int t = 0; t < n; ++t) {
      if (dies[size_t(t)] >= 0) {
        ASSERT_LE(plan.offsets[size_t(t)] + g.tensors[size_t(t)].elements, plan.arena_bytes);
      }
      EXPECT_EQ(plan.offsets[size_t(t)] % kArenaAlignment, 0u);
    }
    EXPECT_LE(plan.arena_bytes, plan.unshared_bytes);
  }
}

TEST(ArenaPlannerTest, ShippedModelReusesMemoryAndPoisonedArenaMatchesUnsharedBuffers) {
  nestrt_model_options o;
  nestrt_model_options_init(&o);
  for (nestrt_mode mode : {NESTRT_MODE_FULL, NESTRT_MODE_PART}) {
    o.initial_mode = mode;
    auto model = Model::load(NESTRT_TEST_MODEL, o);
    const ArenaPlan& plan = model->arena();
    std::printf("arena %zu bytes with reuse, %zu without\n", plan.arena_bytes, plan.unshared_bytes);
    EXPECT_LT(plan.arena_bytes * 2, plan.unshared_bytes) << "a ResNet chain should reuse most activation memory";
    Session shared(*model, {true, true}), unshared(*model, {false, false});
    nestrt_model* handle = nullptr;
    ASSERT_EQ(nestrt_model_load(NESTRT_TEST_MODEL, &o, &handle), NESTRT_OK);
    auto images = testing::fashion_test_images(handle);
    nestrt_model_release(handle);
    std::vector<float> a(10), b(10);
    for (size_t i = 0; i < 32; ++i) {
      const auto x = images.get(i);
      EXPECT_EQ(model->mode_of(shared.run(x.data(), a.data())), mode);
      unshared.run(x.data(), b.data());
      ASSERT_EQ(a, b) << "image " << i;
    }
  }
}

}  // namespace
}  // namespace nestrt::runtime

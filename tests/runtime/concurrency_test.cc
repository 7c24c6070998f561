// Switching under load (design §6): four threads run inference on their own sessions while a
// fifth switches the shared model between full, part and graded levels (by level and by budget)
// as fast as it can. Every run must return exactly the output of the level it reports having used,
// on native and on XNNPACK sessions.
#include <atomic>
#include <chrono>
#include <thread>

#include "fashion_fixture.h"

namespace nestrt::testing {
namespace {

constexpr size_t kImages = 8;

size_t env_or(const char* name, size_t fallback) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST(ConcurrencyTest, RunsDuringSwitchStormsMatchTheLevelTheyUsed) {
  const size_t min_runs_per_thread = env_or("NESTRT_CONCURRENCY_RUNS", 100);
  const size_t storm_switches = env_or("NESTRT_CONCURRENCY_SWITCHES", 2000);
  nestrt_model* model = load_model(NESTRT_MODE_FULL);
  auto images = fashion_test_images(model);
  std::vector<std::vector<float>> inputs;
  for (size_t i = 0; i < kImages; ++i) inputs.push_back(images.get(i));
  // Reference outputs of every level, computed before the storm in a model of their own.
  const uint32_t levels = nestrt_model_level_count(model);
  ASSERT_GE(levels, 2u) << "the shipped model should have graded levels";
  std::vector<std::vector<float>> reference(levels + 1);
  std::vector<uint64_t> level_bytes(levels + 1);
  {
    nestrt_model* m = load_model(NESTRT_MODE_FULL);
    for (uint32_t level = 0; level <= levels; ++level) {
      ASSERT_EQ(nestrt_switch_level(m, level, nullptr), NESTRT_OK) << nestrt_last_error();
      reference[level] = run_images(m, images, kImages);
      nestrt_level_info info;
      ASSERT_EQ(nestrt_model_level_info(m, level, &info), NESTRT_OK);
      level_bytes[level] = info.weight_bytes;
    }
    nestrt_model_release(m);
  }
  ASSERT_NE(reference[0], reference[levels]);

  std::atomic<bool> stop{false};
  std::atomic<size_t> switches{0}, mismatches{0}, failures{0}, runs{0}, runs_full{0}, runs_part{0}, runs_graded{0};
  std::thread switcher([&] {
    uint32_t step = 0;
    while (switches.load() < storm_switches) {
      // A fixed pseudo-random walk over every kind of switch: modes, levels and budgets.
      step = step * 1103515245u + 12345u;
      const uint32_t level = (step >> 16) % (levels + 1);
      nestrt_status s;
      switch ((step >> 8) % 3) {
        case 0: s = nestrt_switch(model, level % 2 ? NESTRT_MODE_PART : NESTRT_MODE_FULL, nullptr); break;
        case 1: s = nestrt_switch_level(model, level, nullptr); break;
        default: s = nestrt_switch_budget(model, level_bytes[level], nullptr); break;
      }
      if (s != NESTRT_OK) failures++;
      switches++;
      // Dwell briefly so runs start at every level; without it the last switch wins most races.
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    stop = true;
  });
  std::vector<std::thread> runners;
  for (int t = 0; t < 4; ++t) {
    runners.emplace_back([&, t] {
      // Two of the runners use the XNNPACK backend, which rebuilds its operators whenever a run
      // starts at a new level; on these images its outputs equal the native reference exactly.
      nestrt_session_options o;
      nestrt_session_options_init(&o);
      o.backend = t >= 2 ? NESTRT_BACKEND_XNNPACK : NESTRT_BACKEND_NATIVE;
      nestrt_session* s = nullptr;
      if (nestrt_session_create(model, &o, &s) != NESTRT_OK) return void(failures++);
      std::vector<float> out(10);
      for (size_t r = 0; r < min_runs_per_thread || !stop.load(); ++r) {
        const size_t img = (r + size_t(t)) % kImages;
        nestrt_mode used;
        if (nestrt_run(s, inputs[img].data(), inputs[img].size(), out.data(), 10, &used) != NESTRT_OK) {
          failures++;
          continue;
        }
        const uint32_t level = nestrt_session_last_level(s);
        const nestrt_mode expected_mode = level == 0        ? NESTRT_MODE_FULL
                                          : level == levels ? NESTRT_MODE_PART
                                                            : NESTRT_MODE_GRADED;
        if (used != expected_mode) failures++;
        (used == NESTRT_MODE_FULL ? runs_full : used == NESTRT_MODE_PART ? runs_part : runs_graded)++;
        runs++;
        if (!std::equal(out.begin(), out.end(), reference[level].begin() + long(img * 10))) mismatches++;
      }
      nestrt_session_destroy(s);
    });
  }
  switcher.join();
  for (auto& r : runners) r.join();
  nestrt_model_release(model);
  std::printf("%zu runs (%zu full, %zu part, %zu graded) during %zu switches: %zu wrong outputs, %zu failed calls\n",
              runs.load(), runs_full.load(), runs_part.load(), runs_graded.load(), switches.load(), mismatches.load(),
              failures.load());
  EXPECT_EQ(mismatches.load(), 0u);
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_GT(runs_full.load(), 0u);
  EXPECT_GT(runs_part.load(), 0u);
  EXPECT_GT(runs_graded.load(), 0u);
}

}  // namespace
}  // namespace nestrt::testing

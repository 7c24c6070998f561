// Switching under load (design §6): four threads run inference on their own sessions while a
// fifth switches the shared model between full and part mode as fast as it can. Every run must
// return exactly the output of the mode it reports having used.
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

TEST(ConcurrencyTest, RunsDuringSwitchStormsMatchTheModeTheyUsed) {
  const size_t min_runs_per_thread = env_or("NESTRT_CONCURRENCY_RUNS", 100);
  const size_t storm_switches = env_or("NESTRT_CONCURRENCY_SWITCHES", 2000);
  std::vector<float> reference[2];
  for (nestrt_mode mode : {NESTRT_MODE_FULL, NESTRT_MODE_PART}) {
    nestrt_model* m = load_model(mode);
    auto images = fashion_test_images(m);
    reference[mode] = run_images(m, images, kImages);
    nestrt_model_release(m);
  }
  nestrt_model* model = load_model(NESTRT_MODE_FULL);
  auto images = fashion_test_images(model);
  std::vector<std::vector<float>> inputs;
  for (size_t i = 0; i < kImages; ++i) inputs.push_back(images.get(i));

  std::atomic<bool> stop{false};
  std::atomic<size_t> switches{0}, mismatches{0}, failures{0}, runs{0}, runs_in_mode[2] = {0, 0};
  std::thread switcher([&] {
    nestrt_mode next = NESTRT_MODE_PART;
    while (switches.load() < storm_switches) {
      if (nestrt_switch(model, next, nullptr) != NESTRT_OK) failures++;
      next = next == NESTRT_MODE_PART ? NESTRT_MODE_FULL : NESTRT_MODE_PART;
      switches++;
      // Dwell briefly so runs start in both modes; without it part mode wins almost every race.
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    stop = true;
  });
  std::vector<std::thread> runners;
  for (int t = 0; t < 4; ++t) {
    runners.emplace_back([&, t] {
      nestrt_session* s = nullptr;
      if (nestrt_session_create(model, nullptr, &s) != NESTRT_OK) return void(failures++);
      std::vector<float> out(10);
      for (size_t r = 0; r < min_runs_per_thread || !stop.load(); ++r) {
        const size_t img = (r + size_t(t)) % kImages;
        nestrt_mode used;
        if (nestrt_run(s, inputs[img].data(), inputs[img].size(), out.data(), 10, &used) != NESTRT_OK) {
          failures++;
          continue;
        }
        runs_in_mode[used]++, runs++;
        if (!std::equal(out.begin(), out.end(), reference[used].begin() + long(img * 10))) mismatches++;
      }
      nestrt_session_destroy(s);
    });
  }
  switcher.join();
  for (auto& r : runners) r.join();
  nestrt_model_release(model);
  std::printf("%zu runs (%zu full, %zu part) during %zu switches: %zu wrong outputs, %zu failed calls\n", runs.load(),
              runs_in_mode[0].load(), runs_in_mode[1].load(), switches.load(), mismatches.load(), failures.load());
  EXPECT_EQ(mismatches.load(), 0u);
  EXPECT_EQ(failures.load(), 0u);
  EXPECT_GT(runs_in_mode[0].load(), 0u);
  EXPECT_GT(runs_in_mode[1].load(), 0u);
}

}  // namespace
}  // namespace nestrt::testing

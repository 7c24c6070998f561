// End to end on the shipped Fashion-MNIST model: one inference per mode, and switch latency in
// each direction (warm: the low planes stay in the page cache).
#include <benchmark/benchmark.h>

#include <vector>

#include "nestrt/nestrt.h"

namespace {

nestrt_model* load(nestrt_mode mode) {
  nestrt_model_options o;
  nestrt_model_options_init(&o);
  o.initial_mode = mode;
  nestrt_model* m = nullptr;
  return nestrt_model_load(NESTRT_BENCH_MODEL, &o, &m) == NESTRT_OK ? m : nullptr;
}

void run(benchmark::State& state, nestrt_mode mode) {
  nestrt_model* m = load(mode);
  if (m == nullptr) return state.SkipWithError(nestrt_last_error());
  nestrt_session* s = nullptr;
  nestrt_session_create(m, nullptr, &s);
  std::vector<float> x(28 * 28, 0.5f), y(10);
  for (auto _ : state) nestrt_run(s, x.data(), x.size(), y.data(), y.size(), nullptr);
  nestrt_session_destroy(s);
  nestrt_model_release(m);
}

void switch_cycle(benchmark::State& state) {
  nestrt_model* m = load(NESTRT_MODE_FULL);
  if (m == nullptr) return state.SkipWithError(nestrt_last_error());
  double up = 0, down = 0;
  for (auto _ : state) {
    nestrt_switch_info info;
    nestrt_switch(m, NESTRT_MODE_PART, &info);
    down += double(info.duration_ns);
    nestrt_switch(m, NESTRT_MODE_FULL, &info);
    up += double(info.duration_ns);
  }
  state.counters["full_to_part_us"] = benchmark::Counter(down * 1e-3, benchmark::Counter::kAvgIterations);
  state.counters["part_to_full_us"] = benchmark::Counter(up * 1e-3, benchmark::Counter::kAvgIterations);
  nestrt_model_release(m);
}

BENCHMARK_CAPTURE(run, full, NESTRT_MODE_FULL)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(run, part, NESTRT_MODE_PART)->Unit(benchmark::kMicrosecond);
BENCHMARK(switch_cycle)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();

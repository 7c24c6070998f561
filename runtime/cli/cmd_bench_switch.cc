// nestrt bench-switch: what a precision switch costs, against the alternative peers offer —
// loading another model file. Measures part->full (warm: low planes still in the page cache;
// cold: dropped from it first), full->part, and loading the whole model file from a warm and a
// cold page cache up to its first inference (the "separate model per bit-width" baseline).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "commands.h"
#include "model_handle.h"
#include "text_format.h"

namespace nestrt::cli {
namespace {

struct BenchSwitchOptions {
  std::string model;
  int cycles = 20;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

// Drops the whole file from the page cache (only pages no process maps can go).
void drop_file_cache(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  fdatasync(fd);
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
}

// Milliseconds of part->full (index 0) and full->part (index 1) switches over `cycles` cycles.
std::pair<std::vector<double>, std::vector<double>> switch_cycles(const std::string& path, int cycles, bool cold,
                                                                  uint64_t* cached_before_up) {
  nestrt_model_options o;
  nestrt_model_options_init(&o);
  o.initial_mode = NESTRT_MODE_PART;
  o.evict_page_cache = cold ? 1 : 0;
  nestrt_model* model = nullptr;
  check(nestrt_model_load(path.c_str(), &o, &model));
  if (cold) drop_file_cache(path);
  std::vector<double> up, down;
  nestrt_switch_info info;
  for (int i = 0; i < cycles; ++i) {
    nestrt_stats s;
    check(nestrt_model_stats(model, &s));
    *cached_before_up = std::max(*cached_before_up, s.low_cached_bytes);
    check(nestrt_switch(model, NESTRT_MODE_FULL, &info));
    up.push_back(static_cast<double>(info.duration_ns) / 1e6);
    check(nestrt_switch(model, NESTRT_MODE_PART, &info));
    down.push_back(static_cast<double>(info.duration_ns) / 1e6);
  }
  nestrt_stats s;
  check(nestrt_model_stats(model, &s));
  std::printf("%s switches (nestrt_stats.switch_histogram): %s\n", cold ? "cold" : "warm",
              switch_histogram_string(s.switch_histogram).c_str());
  nestrt_model_release(model);
  return {up, down};
}

// Milliseconds to load the model in full mode and finish its first inference.
std::vector<double> reload_times(const std::string& path, int cycles, bool cold) {
  std::vector<double> ms;
  for (int i = 0; i < cycles; ++i) {
    if (cold) drop_file_cache(path);
    const auto start = std::chrono::steady_clock::now();
    ModelHandle model(path, NESTRT_MODE_FULL, /*verify_checksums=*/false);
    SessionHandle session(model);
    std::vector<float> input(element_count(model.input_shape())), output(element_count(model.output_shape()));
    session.run(input, output);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
  }
  return ms;
}

int bench_switch(const BenchSwitchOptions& o) {
  // Scoped: while any mapping holds the low pages, the kernel cannot evict them for cold runs.
  const nestrt_stats s = ModelHandle(o.model, NESTRT_MODE_FULL).stats();
  std::printf("model %s: low planes %s, whole file %s; %d cycles each, medians\n", o.model.c_str(),
              short_bytes(s.low_bytes).c_str(), short_bytes(s.file_bytes).c_str(), o.cycles);
  uint64_t warm_cached = 0, cold_cached = 0;
  const auto [up_warm, down_warm] = switch_cycles(o.model, o.cycles, false, &warm_cached);
  const auto [up_cold, down_cold] = switch_cycles(o.model, o.cycles, true, &cold_cached);
  const double reload_warm = median(reload_times(o.model, o.cycles, false));
  const double reload_cold = median(reload_times(o.model, o.cycles, true));
  std::printf("switch part->full, warm: %8.3f ms\n", median(up_warm));
  std::printf("switch part->full, cold: %8.3f ms  (low planes in page cache before: at most %s)\n", median(up_cold),
              short_bytes(cold_cached).c_str());
  std::printf("switch full->part:       %8.3f ms  (%8.3f ms when also evicting from the page cache)\n",
              median(down_warm), median(down_cold));
  std::printf("load model + first run, warm: %8.3f ms\n", reload_warm);
  std::printf("load model + first run, cold: %8.3f ms\n", reload_cold);
  std::printf("SUMMARY switch up_warm_vs_reload=%.3f up_cold_vs_reload_cold=%.3f down_ms=%.3f\n",
              median(up_warm) / reload_warm, median(up_cold) / reload_cold, median(down_warm));
  return 0;
}

Command add_bench_switch_command(CLI::App& app) {
  auto options = std::make_shared<BenchSwitchOptions>();
  CLI::App* cmd = app.add_subcommand("bench-switch", "Measure switch latency (warm, cold) against reloading the model");
  cmd->add_option("-m,--model", options->model, "Model file (.nest)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--cycles", options->cycles, "Measurements of each kind")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return [cmd, options] { return cmd->parsed() ? bench_switch(*options) : -1; };
}

}  // namespace

NESTRT_REGISTER_COMMAND(50, add_bench_switch_command);

}  // namespace nestrt::cli

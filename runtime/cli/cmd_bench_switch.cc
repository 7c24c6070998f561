// nestrt bench-switch: what a precision switch costs, against the alternative peers offer —
// loading another model file. Measures part->full (warm: low planes still in the page cache;
// cold: dropped from it first), full->part, and loading a model file from a warm and a cold page
// cache up to its first inference: the nested file itself, and with --separate the paper's
// baseline of one plain model per bit-width (nestrt-convert --nest 8 and --nest 6). The cold
// switch is also compared with its physical floor: reading the low sections sequentially from a
// cold page cache.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "commands.h"
#include "model_handle.h"
#include "nestrt/format/model_file.h"
#include "text_format.h"

namespace nestrt::cli {
namespace {

struct BenchSwitchOptions {
  std::string model;
  std::vector<std::string> separate;  // plain full-width and part-width model files
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

// Milliseconds to read the file's low sections sequentially (1 MiB preads) from a cold page cache.
double cold_read_ms(const std::string& path) {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  {
    const auto file = format::ModelFile::open(path, {});
    for (const auto& s : file->sections()) {
      if (s.kind == format::SectionKind::kLowPlanes) ranges.emplace_back(s.offset, s.size);
    }
  }  // unmapped, so the pages can be dropped
  drop_file_cache(path);
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  std::vector<char> buffer(1 << 20);
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [offset, size] : ranges) {
    for (uint64_t done = 0; done < size;) {
      const ssize_t n =
          pread(fd, buffer.data(), std::min<uint64_t>(buffer.size(), size - done), static_cast<off_t>(offset + done));
      if (n <= 0) {
        close(fd);
        throw std::runtime_error("cannot read " + path);
      }
      done += static_cast<uint64_t>(n);
    }
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  close(fd);
  return ms;
}

// This process's resident set and bytes fetched from storage (0 where /proc does not say).
struct ProcessCounters {
  uint64_t rss = 0, read_bytes = 0;
};
ProcessCounters process_counters() {
  ProcessCounters c;
  std::ifstream status("/proc/self/status"), io("/proc/self/io");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) c.rss = std::stoull(line.substr(6)) * 1024;  // "VmRSS:  1234 kB"
  }
  for (std::string line; std::getline(io, line);) {
    if (line.rfind("read_bytes:", 0) == 0) c.read_bytes = std::stoull(line.substr(11));
  }
  return c;
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
    const ProcessCounters before = process_counters();
    check(nestrt_switch(model, NESTRT_MODE_FULL, &info));
    up.push_back(static_cast<double>(info.duration_ns) / 1e6);
    if (i == 0) {  // the first cycle is the coldest
      const ProcessCounters after = process_counters();
      std::printf("%s part->full: RSS %s -> %s, read from storage %s\n", cold ? "cold" : "warm",
                  short_bytes(before.rss).c_str(), short_bytes(after.rss).c_str(),
                  short_bytes(after.read_bytes - before.read_bytes).c_str());
    }
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

// Milliseconds to load a model in full mode and finish its first inference.
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

uint64_t file_bytes(const std::string& path) {
  return std::filesystem::file_size(path);
}

int bench_switch(const BenchSwitchOptions& o) {
  // Scoped: while any mapping holds the low pages, the kernel cannot evict them for cold runs.
  const nestrt_stats s = ModelHandle(o.model, NESTRT_MODE_FULL).stats();
  std::printf("model %s: low planes %s, whole file %s; %d cycles each, medians\n", o.model.c_str(),
              short_bytes(s.low_bytes).c_str(), short_bytes(s.file_bytes).c_str(), o.cycles);
  uint64_t warm_cached = 0, cold_cached = 0;
  const auto [up_warm, down_warm] = switch_cycles(o.model, o.cycles, false, &warm_cached);
  const auto [up_cold, down_cold] = switch_cycles(o.model, o.cycles, true, &cold_cached);
  std::vector<double> reads;
  for (int i = 0; i < o.cycles; ++i) reads.push_back(cold_read_ms(o.model));
  const double bound = median(reads);
  const double reload_warm = median(reload_times(o.model, o.cycles, false));
  const double reload_cold = median(reload_times(o.model, o.cycles, true));
  std::printf("switch part->full, warm: %8.3f ms\n", median(up_warm));
  std::printf("switch part->full, cold: %8.3f ms  (low planes in page cache before: at most %s)\n", median(up_cold),
              short_bytes(cold_cached).c_str());
  std::printf("cold sequential read of the low sections: %8.3f ms (%.0f MB/s): the cold switch's floor\n", bound,
              bound > 0 ? static_cast<double>(s.low_bytes) / 1e3 / bound : 0.0);
  std::printf("switch full->part:       %8.3f ms  (%8.3f ms when also evicting from the page cache)\n",
              median(down_warm), median(down_cold));
  std::printf("load nested model + first run, warm: %8.3f ms\n", reload_warm);
  std::printf("load nested model + first run, cold: %8.3f ms\n", reload_cold);
  std::string separate_fields;
  if (o.separate.size() == 2) {
    const std::string& full = o.separate[0];
    const std::string& part = o.separate[1];
    const double full_warm = median(reload_times(full, o.cycles, false));
    const double full_cold = median(reload_times(full, o.cycles, true));
    const double part_warm = median(reload_times(part, o.cycles, false));
    const double part_cold = median(reload_times(part, o.cycles, true));
    const uint64_t full_bytes = file_bytes(full), part_bytes = file_bytes(part), nested_bytes = file_bytes(o.model);
    const double storage_ratio = static_cast<double>(nested_bytes) / static_cast<double>(full_bytes + part_bytes);
    std::printf("separate models: %s %s, %s %s (nested file %s: %.3f of their sum)\n", full.c_str(),
                short_bytes(full_bytes).c_str(), part.c_str(), short_bytes(part_bytes).c_str(),
                short_bytes(nested_bytes).c_str(), storage_ratio);
    std::printf("load separate full-width model + first run: warm %8.3f ms, cold %8.3f ms\n", full_warm, full_cold);
    std::printf("load separate part-width model + first run: warm %8.3f ms, cold %8.3f ms\n", part_warm, part_cold);
    char fields[160];
    std::snprintf(fields, sizeof fields, " up_warm_vs_separate=%.3f up_cold_vs_separate=%.3f storage_vs_separate=%.3f",
                  median(up_warm) / full_warm, median(up_cold) / full_cold, storage_ratio);
    separate_fields = fields;
  }
  std::printf(
      "SUMMARY switch up_warm_vs_reload=%.3f up_cold_vs_reload_cold=%.3f up_cold_vs_bound=%.3f down_ms=%.3f%s\n",
      median(up_warm) / reload_warm, median(up_cold) / reload_cold, median(up_cold) / bound, median(down_warm),
      separate_fields.c_str());
  return 0;
}

Command add_bench_switch_command(CLI::App& app) {
  auto options = std::make_shared<BenchSwitchOptions>();
  CLI::App* cmd = app.add_subcommand("bench-switch", "Measure switch latency (warm, cold) against reloading the model");
  cmd->add_option("-m,--model", options->model, "Model file (.nest)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--separate", options->separate,
                  "Also load these two plain models of the same network (FULL PART, e.g. from nestrt-convert --nest 8 "
                  "and --nest 6) end to end, the one-model-per-bit-width baseline, and compare storage")
      ->expected(2)
      ->check(CLI::ExistingFile);
  cmd->add_option("--cycles", options->cycles, "Measurements of each kind")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  return [cmd, options] { return cmd->parsed() ? bench_switch(*options) : -1; };
}

}  // namespace

NESTRT_REGISTER_COMMAND(50, add_bench_switch_command);

}  // namespace nestrt::cli

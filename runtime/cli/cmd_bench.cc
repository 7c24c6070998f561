// nestrt bench: inference latency of one model in one mode, in the manner of TFLite's
// benchmark_model — warm-up runs, then timed runs reported as min/median/mean/p90/max, plus the
// model's memory: activation arena and resident weight bytes, and the process's peak RSS; with
// --profile, the time per operator as well.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <string>

#include "commands.h"
#include "model_handle.h"
#include "op_profile_table.h"
#include "progress.h"
#include "session_flags.h"
#include "text_format.h"

namespace nestrt::cli {
namespace {

struct BenchOptions {
  std::string model;
  std::string mode = "full";
  int runs = 50;
  int warmup = 5;
  bool profile = false;
  SessionFlags session;
};

// Peak resident set of this process (VmHWM), in bytes; 0 where /proc is unavailable.
uint64_t peak_rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      uint64_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(1 << 12, '\n');
  }
  return 0;
}

double percentile(std::vector<double> sorted, double p) {
  const double rank = p * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(rank);
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - static_cast<double>(lo));
}

int bench(const BenchOptions& o) {
  ModelHandle model(o.model, parse_mode(o.mode));
  nestrt_session_options session_options = o.session.options();
  session_options.profile_ops = o.profile ? 1 : 0;
  SessionHandle session(model, &session_options);
  std::vector<float> input(element_count(model.input_shape())), output(element_count(model.output_shape()));
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(0.f, 1.f);
  for (float& x : input) x = dist(rng);  // timing does not depend on values; a fixed input keeps runs equal

  for (int i = 0; i < o.warmup; ++i) session.run(input, output);
  if (o.profile) check(nestrt_session_op_profile_reset(session.get()));  // timed runs only
  std::vector<double> ms;
  ProgressBar bar("bench", static_cast<size_t>(o.runs));
  for (int i = 0; i < o.runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    session.run(input, output);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    bar.update(static_cast<size_t>(i + 1));
  }
  bar.finish();
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  const double mean = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  const auto s = model.stats();
  std::printf("model %s, mode %s, backend %s, %u thread(s), %d warm-up + %d timed runs\n", o.model.c_str(),
              o.mode.c_str(), o.session.backend.c_str(), o.session.threads, o.warmup, o.runs);
  std::printf("latency ms: min %.3f  median %.3f  mean %.3f  p90 %.3f  max %.3f\n", sorted.front(),
              percentile(sorted, 0.5), mean, percentile(sorted, 0.9), sorted.back());
  std::printf("memory: activation arena %s (%s without reuse); weights resident %s (whole pages) of %s; peak RSS %s\n",
              short_bytes(s.arena_bytes).c_str(), short_bytes(s.unshared_bytes).c_str(),
              short_bytes(s.high_resident_bytes + s.low_resident_bytes).c_str(),
              short_bytes(s.high_bytes + s.low_bytes).c_str(), short_bytes(peak_rss_bytes()).c_str());
  if (o.profile) print_op_profile(session.get(), stdout);
  return 0;
}

Command add_bench_command(CLI::App& app) {
  auto options = std::make_shared<BenchOptions>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure inference latency and memory of a model in one mode");
  cmd->add_option("-m,--model", options->model, "Model file (.nest)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--mode", options->mode, "full or part")
      ->check(CLI::IsMember({"full", "part"}))
      ->capture_default_str();
  cmd->add_option("--runs", options->runs, "Timed runs")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--warmup", options->warmup, "Untimed runs first")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--profile", options->profile,
                "Also time every operator and print the time per operator and per operator type");
  add_session_flags(cmd, options->session);
  return [cmd, options] { return cmd->parsed() ? bench(*options) : -1; };
}

}  // namespace

NESTRT_REGISTER_COMMAND(40, add_bench_command);

}  // namespace nestrt::cli

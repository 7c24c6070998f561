// nestrt eval: top-1/top-5 of a labelled set in full and/or part mode. With --mode both, one
// process evaluates full mode, switches to part, evaluates again and switches back, reporting
// switch times, bytes paged and resident bytes — the whole NestQuant story in one command.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <stdexcept>

#include "commands.h"
#include "input_samples.h"
#include "model_handle.h"
#include "nestrt/io/idx.h"
#include "progress.h"
#include "session_flags.h"
#include "text_format.h"

namespace nestrt::cli {
namespace {

struct EvalOptions {
  std::string model;
  std::string data;
  std::string labels;
  std::string mode = "both";
  size_t limit = 0;
  bool levels = false;
  std::string layout = "nchw";
  SessionFlags session;
};

struct ModeResult {
  std::vector<size_t> predictions;
  size_t top1 = 0, top5 = 0;
  double seconds = 0;
};

// IDX label files, or text with one integer label per line.
std::vector<uint8_t> load_labels(const std::string& path) {
  try {
    return io::load_idx_labels(path);
  } catch (const std::exception&) {
    std::ifstream in(path);
    std::vector<uint8_t> labels;
    int v = 0;
    while (in >> v) {
      if (v < 0 || v > 255) throw std::runtime_error(path + ": label " + std::to_string(v) + " out of range");
      labels.push_back(static_cast<uint8_t>(v));
    }
    if (labels.empty()) throw std::runtime_error(path + ": neither an IDX label file nor a list of integer labels");
    return labels;
  }
}

// Runs the first `count` samples at the model's current level (`what` names it for the progress
// bar); every run must have used `level`.
ModeResult evaluate(const ModelHandle& model, const SessionFlags& flags, io::SampleSource& samples,
                    const std::vector<uint8_t>& labels, size_t count, const std::string& what, uint32_t level) {
  const nestrt_session_options options = flags.options();
  SessionHandle session(model, &options);
  std::vector<float> output(element_count(model.output_shape()));
  ModeResult r;
  ProgressBar bar("eval " + what, count);
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < count; ++i) {
    session.run(samples.get(i), output);
    if (nestrt_session_last_level(session.get()) != level) throw std::runtime_error("run used an unexpected level");
    std::vector<size_t> order(output.size());
    std::iota(order.begin(), order.end(), size_t{0});
    const size_t k = std::min<size_t>(5, order.size());
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](size_t a, size_t b) { return output[a] > output[b]; });
    r.predictions.push_back(order[0]);
    r.top1 += order[0] == labels[i];
    r.top5 += std::find(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), labels[i]) !=
              order.begin() + static_cast<std::ptrdiff_t>(k);
    bar.update(i + 1);
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return r;
}

void print_result(nestrt_mode mode, const ModeResult& r, size_t count) {
  std::printf("%s mode: top-1 %.2f%%  top-5 %.2f%%  (%zu samples, %.2f ms/sample)\n", mode_name(mode),
              100.0 * static_cast<double>(r.top1) / static_cast<double>(count),
              100.0 * static_cast<double>(r.top5) / static_cast<double>(count), count,
              1e3 * r.seconds / static_cast<double>(count));
}

void print_switch(const ModelHandle& model, const nestrt_switch_info& s) {
  const auto st = model.stats();
  std::printf("switch %s->%s: %s, %s %s; low planes resident %s of %s\n", mode_name(s.previous_mode), mode_name(s.mode),
              milliseconds(s.duration_ns).c_str(), s.mode == NESTRT_MODE_FULL ? "paged in" : "released",
              short_bytes(s.bytes_paged).c_str(), short_bytes(st.low_resident_bytes).c_str(),
              short_bytes(st.low_bytes).c_str());
}

// Every graded-switching level (0 = full mode ... level count = part mode): the converter's
// estimate next to the measured top-1 and agreement with full mode.
int eval_levels(const ModelHandle& model, const EvalOptions& o, io::SampleSource& samples,
                const std::vector<uint8_t>& labels, size_t count) {
  const uint32_t levels = nestrt_model_level_count(model.get());
  std::printf("%5s  %-28s %12s %10s %10s %10s\n", "level", "adds layer", "weight KiB", "est. agree", "top-1 %",
              "agree %");
  std::vector<size_t> full;
  for (uint32_t level = 0; level <= levels; ++level) {
    nestrt_switch_info s;
    const nestrt_status status = nestrt_switch_level(model.get(), level, &s);
    if (status == NESTRT_UNSUPPORTED) {
      throw std::runtime_error(o.model + ": its low planes are not in one section, so it has no intermediate levels");
    }
    check(status);
    nestrt_level_info info;
    check(nestrt_model_level_info(model.get(), level, &info));
    const ModeResult r = evaluate(model, o.session, samples, labels, count, "level " + std::to_string(level), level);
    if (level == 0) full = r.predictions;
    size_t agree = 0;
    for (size_t i = 0; i < count; ++i) agree += r.predictions[i] == full[i];
    std::printf("%5u  %-28s %12.2f %10.4f %10.2f %10.2f\n", level, info.layer ? info.layer : "- (full mode)",
                static_cast<double>(info.weight_bytes) / 1024.0, static_cast<double>(info.estimated_agreement),
                100.0 * static_cast<double>(r.top1) / static_cast<double>(count),
                100.0 * static_cast<double>(agree) / static_cast<double>(count));
  }
  return 0;
}

int eval(const EvalOptions& o) {
  const bool both = o.mode == "both";
  const nestrt_mode first = both ? NESTRT_MODE_FULL : parse_mode(o.mode);
  ModelHandle model(o.model, first);
  auto samples = open_samples(model, o.data, io::parse_npy_layout(o.layout));
  const auto labels = load_labels(o.labels);
  if (labels.size() < samples->size()) {
    throw std::runtime_error(o.labels + " has " + std::to_string(labels.size()) + " labels for " +
                             std::to_string(samples->size()) + " samples");
  }
  const size_t count = o.limit ? std::min(o.limit, samples->size()) : samples->size();
  std::printf("model %s on %s\n", o.model.c_str(), samples->description().c_str());
  const uint32_t part_level = nestrt_model_level_count(model.get());
  if (o.levels) return eval_levels(model, o, *samples, labels, count);
  const ModeResult a =
      evaluate(model, o.session, *samples, labels, count, mode_name(first), first == NESTRT_MODE_FULL ? 0 : part_level);
  print_result(first, a, count);
  if (!both) return 0;

  nestrt_switch_info s;
  check(nestrt_switch(model.get(), NESTRT_MODE_PART, &s));
  print_switch(model, s);
  const ModeResult b = evaluate(model, o.session, *samples, labels, count, "part", part_level);
  print_result(NESTRT_MODE_PART, b, count);
  check(nestrt_switch(model.get(), NESTRT_MODE_FULL, &s));
  print_switch(model, s);
  size_t disagree = 0;
  for (size_t i = 0; i < count; ++i) disagree += a.predictions[i] != b.predictions[i];
  std::printf("full and part disagree on %zu of %zu samples (%.2f%%)\n", disagree, count,
              100.0 * static_cast<double>(disagree) / static_cast<double>(count));
  return 0;
}

}  // namespace

namespace {
Command add_eval_command(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  CLI::App* cmd = app.add_subcommand("eval", "Measure top-1/top-5 on a labelled set, in one mode or both");
  cmd->add_option("-m,--model", options->model, "Model file (.nest)")->required()->check(CLI::ExistingFile);
  cmd->add_option("-d,--data", options->data, "Inputs: IDX images, image directory or .npy")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("-l,--labels", options->labels, "Labels: IDX label file or one integer per line")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--mode", options->mode, "full, part, or both (switching in one process)")
      ->check(CLI::IsMember({"full", "part", "both"}))
      ->capture_default_str();
  cmd->add_option("--limit", options->limit, "Evaluate only the first N samples (0: all)")->capture_default_str();
  cmd->add_flag("--levels", options->levels,
                "Evaluate at every graded-switching level (0 = full mode ... part mode), one table row each: weight "
                "bytes, the converter's estimated agreement, measured top-1 and agreement with full mode");
  add_layout_flag(cmd, options->layout);
  add_session_flags(cmd, options->session);
  return [cmd, options] { return cmd->parsed() ? eval(*options) : -1; };
}

}  // namespace

NESTRT_REGISTER_COMMAND(30, add_eval_command);

}  // namespace nestrt::cli

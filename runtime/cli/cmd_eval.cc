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

ModeResult evaluate(const ModelHandle& model, const SessionFlags& flags, io::SampleSource& samples,
                    const std::vector<uint8_t>& labels, size_t count, nestrt_mode mode) {
  const nestrt_session_options options = flags.options();
  SessionHandle session(model, &options);
  std::vector<float> output(element_count(model.output_shape()));
  ModeResult r;
  ProgressBar bar(std::string("eval ") + mode_name(mode), count);
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < count; ++i) {
    if (session.run(samples.get(i), output) != mode) throw std::runtime_error("run used an unexpected mode");
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

int eval(const EvalOptions& o) {
  const bool both = o.mode == "both";
  const nestrt_mode first = both ? NESTRT_MODE_FULL : parse_mode(o.mode);
  ModelHandle model(o.model, first);
  auto samples = open_samples(model, o.data);
  const auto labels = load_labels(o.labels);
  if (labels.size() < samples->size()) {
    throw std::runtime_error(o.labels + " has " + std::to_string(labels.size()) + " labels for " +
                             std::to_string(samples->size()) + " samples");
  }
  const size_t count = o.limit ? std::min(o.limit, samples->size()) : samples->size();
  std::printf("model %s on %s\n", o.model.c_str(), samples->description().c_str());
  const ModeResult a = evaluate(model, o.session, *samples, labels, count, first);
  print_result(first, a, count);
  if (!both) return 0;

  nestrt_switch_info s;
  check(nestrt_switch(model.get(), NESTRT_MODE_PART, &s));
  print_switch(model, s);
  const ModeResult b = evaluate(model, o.session, *samples, labels, count, NESTRT_MODE_PART);
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
  add_session_flags(cmd, options->session);
  return [cmd, options] { return cmd->parsed() ? eval(*options) : -1; };
}

}  // namespace

NESTRT_REGISTER_COMMAND(30, add_eval_command);

}  // namespace nestrt::cli

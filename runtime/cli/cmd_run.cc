// nestrt run: classify an input (image, image directory, .npy or IDX file) and print the top-k.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "commands.h"
#include "input_samples.h"
#include "model_handle.h"
#include "nestrt/kernels/dispatch.h"
#include "session_flags.h"

namespace nestrt::cli {
namespace {

struct RunOptions {
  std::string model;
  std::string mode = "full";
  std::string input;
  int top_k = 5;
  size_t limit = 16;
  std::string layout = "nchw";
  SessionFlags session;
};

// Softmax over the output for display; the raw output value is printed beside it.
std::vector<float> softmax(const std::vector<float>& x) {
  const float peak = *std::max_element(x.begin(), x.end());
  std::vector<float> p(x.size());
  float sum = 0.f;
  for (size_t i = 0; i < x.size(); ++i) sum += p[i] = std::exp(x[i] - peak);
  for (float& v : p) v /= sum;
  return p;
}

void print_top_k(const ModelHandle& model, const std::vector<float>& output, int top_k) {
  std::vector<size_t> order(output.size());
  std::iota(order.begin(), order.end(), size_t{0});
  const size_t k = std::min(order.size(), static_cast<size_t>(std::max(top_k, 1)));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                    [&](size_t a, size_t b) { return output[a] > output[b]; });
  const auto probability = softmax(output);
  for (size_t r = 0; r < k; ++r) {
    const size_t c = order[r];
    const char* label = nestrt_model_label(model.get(), c);
    std::printf("  %zu. class %-4zu %-20s score %9.4f  p=%.4f\n", r + 1, c, label ? label : "", output[c],
                probability[c]);
  }
}

int run(const RunOptions& o) {
  ModelHandle model(o.model, parse_mode(o.mode));
  const nestrt_session_options options = o.session.options();
  SessionHandle session(model, &options);
  const auto samples = open_samples(model, o.input, io::parse_npy_layout(o.layout));
  std::vector<float> output(element_count(model.output_shape()));
  const size_t count = std::min(samples->size(), o.limit);
  std::printf("model %s, mode %s, kernels %s, input %s\n", o.model.c_str(), o.mode.c_str(),
              kernels::active_variant_name(), samples->description().c_str());
  for (size_t i = 0; i < count; ++i) {
    session.run(samples->get(i), output);
    if (samples->size() > 1) std::printf("sample %zu:\n", i);
    print_top_k(model, output, o.top_k);
  }
  if (count < samples->size()) std::printf("(%zu more samples not run; raise --limit)\n", samples->size() - count);
  return 0;
}

}  // namespace

namespace {
Command add_run_command(CLI::App& app) {
  auto options = std::make_shared<RunOptions>();
  CLI::App* cmd = app.add_subcommand("run", "Run a model on an input and print the top-k classes");
  cmd->add_option("-m,--model", options->model, "Model file (.nest)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--mode", options->mode, "Serve the full-bit (high+low) or part-bit (high only) weights")
      ->check(CLI::IsMember({"full", "part"}))
      ->capture_default_str();
  cmd->add_option("-i,--input", options->input,
                  "PNG/JPEG/BMP image, a directory of images, an .npy array or an IDX images file")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("-k,--top-k", options->top_k, "Classes to print")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--limit", options->limit, "Most samples to run from a multi-sample input")->capture_default_str();
  add_layout_flag(cmd, options->layout);
  add_session_flags(cmd, options->session);
  return [cmd, options] { return cmd->parsed() ? run(*options) : -1; };
}

}  // namespace

NESTRT_REGISTER_COMMAND(20, add_run_command);

}  // namespace nestrt::cli

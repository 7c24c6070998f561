// nestrt client: classify an input through the nestrtd daemon (protocol v1, docs/daemon.md).
#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <numeric>
#include <stdexcept>

#include "commands.h"
#include "input_samples.h"
#include "nestrt/io/sample_source.h"
#include "nestrt/nestrt_client.h"

namespace nestrt::cli {
namespace {

struct ClientOptions {
  std::string socket = "/run/nestrtd/nestrtd.sock";
  std::string model;
  std::string input;
  int top_k = 5;
  size_t limit = 16;
  int timeout_ms = 30000;
  std::string layout = "nchw";
};

class Connection {
 public:
  Connection(const std::string& socket, int timeout_ms) {
    if (nestrt_client_connect(socket.c_str(), timeout_ms, &client_) != NESTRT_CLIENT_OK) {
      throw std::runtime_error("cannot connect to nestrtd at " + socket + " (is it running? permission?)");
    }
  }
  ~Connection() { nestrt_client_close(client_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  nestrt_client* get() const { return client_; }
  void check(nestrt_client_status s) const {
    if (s != NESTRT_CLIENT_OK) {
      throw std::runtime_error(std::string("nestrtd: ") + nestrt_client_status_string(s) + ": " +
                               nestrt_client_message(client_));
    }
  }

 private:
  nestrt_client* client_ = nullptr;
};

int run_client(const ClientOptions& o) {
  Connection conn(o.socket, o.timeout_ms);
  nestrt_client_model_info info;
  conn.check(nestrt_client_model_info_get(conn.get(), o.model.c_str(), &info));
  if (info.input_rank != 4 || info.input_dims[0] != 1) {
    throw std::runtime_error("input files are supported for [1,C,H,W] models");
  }
  nestrt_image_geometry geometry;
  conn.check(nestrt_client_image_geometry(conn.get(), &geometry));
  io::SampleSource samples(
      o.input, std::array<int64_t, 4>{info.input_dims[0], info.input_dims[1], info.input_dims[2], info.input_dims[3]},
      to_io_preprocess(info.preprocess, geometry), io::parse_npy_layout(o.layout));
  size_t out_count = 1;
  for (size_t i = 0; i < info.output_rank; ++i) out_count *= static_cast<size_t>(info.output_dims[i]);
  std::vector<float> output(out_count);
  const size_t count = std::min(samples.size(), o.limit);
  std::printf("daemon %s, model %s, input %s\n", o.socket.c_str(), o.model.c_str(), samples.description().c_str());
  for (size_t s = 0; s < count; ++s) {
    const std::vector<float> input = samples.get(s);
    size_t got = 0;
    nestrt_mode used;
    conn.check(nestrt_client_infer(conn.get(), o.model.c_str(), info.input_dims, info.input_rank, input.data(),
                                   input.size(), output.data(), output.size(), &got, &used));
    std::printf("%s%s mode:\n", samples.size() > 1 ? ("sample " + std::to_string(s) + ", ").c_str() : "",
                used == NESTRT_MODE_PART ? "part" : "full");
    std::vector<size_t> order(got);
    std::iota(order.begin(), order.end(), size_t{0});
    const size_t k = std::min(order.size(), static_cast<size_t>(std::max(o.top_k, 1)));
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](size_t a, size_t b) { return output[a] > output[b]; });
    for (size_t r = 0; r < k; ++r) {
      const char* label = nestrt_client_label(conn.get(), order[r]);
      std::printf("  %zu. class %-4zu %-20s score %9.4f\n", r + 1, order[r], label ? label : "", output[order[r]]);
    }
  }
  if (count < samples.size()) std::printf("(%zu more samples not run; raise --limit)\n", samples.size() - count);
  return 0;
}

Command add_client_command(CLI::App& app) {
  auto options = std::make_shared<ClientOptions>();
  CLI::App* cmd = app.add_subcommand("client", "Classify an input through the nestrtd daemon");
  cmd->add_option("-s,--socket", options->socket, "The daemon's Unix socket")->capture_default_str();
  cmd->add_option("-m,--model", options->model, "Model name from the daemon's config")->required();
  cmd->add_option("-i,--input", options->input,
                  "PNG/JPEG/BMP image, a directory of images, an .npy array or an IDX images file")
      ->required()
      ->check(CLI::ExistingPath);
  cmd->add_option("-k,--top-k", options->top_k, "Classes to print")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--limit", options->limit, "Most samples to run from a multi-sample input")->capture_default_str();
  cmd->add_option("--timeout-ms", options->timeout_ms, "Longest wait for the daemon per request")
      ->capture_default_str();
  add_layout_flag(cmd, options->layout);
  return [cmd, options] { return cmd->parsed() ? run_client(*options) : -1; };
}

}  // namespace

NESTRT_REGISTER_COMMAND(60, add_client_command);

}  // namespace nestrt::cli

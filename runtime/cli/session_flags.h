// The session flags the commands that run inference share: --threads and --backend, parsed into
// nestrt_session_options.
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "nestrt/nestrt.h"

namespace nestrt::cli {

struct SessionFlags {
  uint32_t threads = 1;
  std::string backend = "native";

  nestrt_session_options options() const {
    nestrt_session_options o;
    nestrt_session_options_init(&o);
    o.threads = threads;
    o.backend = backend == "xnnpack" ? NESTRT_BACKEND_XNNPACK : NESTRT_BACKEND_NATIVE;
    return o;
  }
};

inline void add_session_flags(CLI::App* cmd, SessionFlags& flags) {
  cmd->add_option("-t,--threads", flags.threads, "Threads per run (1-256; outputs do not depend on it)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--backend", flags.backend,
                  "native: nestrt's kernels on the mapped weights; xnnpack: XNNPACK operators on packed copies")
      ->check(CLI::IsMember({"native", "xnnpack"}))
      ->capture_default_str();
}

}  // namespace nestrt::cli

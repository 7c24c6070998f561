// Shared by the model-file fuzzers: loads a candidate .nest file through the public C API and,
// if it is accepted, runs it in every mode. The oracles besides the sanitizers: every failure
// carries a message, and an accepted model only ever produces finite outputs.
#pragma once

#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "nestrt/nestrt.h"

namespace nestrt::fuzz {

// A per-process scratch file, in RAM where the machine has /dev/shm.
inline const std::string& scratch_path() {
  static const std::string path = [] {
    const char* dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return std::string(dir) + "/nestrt-fuzz-" + std::to_string(getpid()) + ".nest";
  }();
  return path;
}

// A failed call must say why (nestrt_last_error): a silent failure is a finding.
inline bool ok(nestrt_status status) {
  if (status == NESTRT_OK) return true;
  if (nestrt_last_error()[0] == '\0') {
    std::fprintf(stderr, "status %s without a message\n", nestrt_status_string(status));
    std::abort();
  }
  return false;
}

inline size_t elements(nestrt_status status, const int64_t* dims, size_t rank) {
  if (status != NESTRT_OK) return 0;
  size_t n = 1;
  for (size_t i = 0; i < rank; ++i) n *= static_cast<size_t>(dims[i]);
  return n;
}

inline void run_checked(nestrt_session* session, const std::vector<float>& input, std::vector<float>& output) {
  if (!ok(nestrt_run(session, input.data(), input.size(), output.data(), output.size(), nullptr))) return;
  for (float v : output) {
    if (!std::isfinite(v)) {
      std::fprintf(stderr, "accepted model produced a non-finite output\n");
      std::abort();
    }
  }
}

inline void exercise_model_file(const std::string& path) {
  nestrt_model_options options;
  nestrt_model_options_init(&options);
  nestrt_model* model = nullptr;
  if (!ok(nestrt_model_load(path.c_str(), &options, &model))) return;
  int64_t dims[8];
  size_t rank = 8;
  const size_t in = elements(nestrt_model_input_shape(model, dims, &rank), dims, rank);
  rank = 8;
  const size_t out = elements(nestrt_model_output_shape(model, dims, &rank), dims, rank);
  nestrt_stats stats;
  ok(nestrt_model_stats(model, &stats));
  nestrt_session* session = nullptr;
  // Inputs above a few MiB would only make the fuzzer slow; the validator bounds the rest.
  if (in > 0 && out > 0 && in <= (1u << 20) && out <= (1u << 20) &&
      ok(nestrt_session_create(model, nullptr, &session))) {
    std::vector<float> input(in), output(out);
    for (size_t i = 0; i < in; ++i) input[i] = static_cast<float>(i % 17) / 16.0f;
    run_checked(session, input, output);
    ok(nestrt_switch(model, NESTRT_MODE_PART, nullptr));
    run_checked(session, input, output);
    const uint32_t levels = nestrt_model_level_count(model);
    nestrt_level_info info;
    if (ok(nestrt_model_level_info(model, levels / 2, &info))) ok(nestrt_switch_level(model, levels / 2, nullptr));
    run_checked(session, input, output);
    ok(nestrt_switch_budget(model, 0, nullptr));
    ok(nestrt_switch(model, NESTRT_MODE_FULL, nullptr));
    run_checked(session, input, output);
    nestrt_session_destroy(session);
  }
  nestrt_model_release(model);
}

}  // namespace nestrt::fuzz

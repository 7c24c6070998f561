// RAII wrappers over the C API for the CLI: every failed call becomes an exception carrying
// nestrt_last_error(), so commands read straight through.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include "nestrt/nestrt.h"

namespace nestrt::cli {

inline void check(nestrt_status status) {
  if (status != NESTRT_OK) throw std::runtime_error(nestrt_last_error());
}

inline nestrt_mode parse_mode(const std::string& mode) {
  return mode == "part" ? NESTRT_MODE_PART : NESTRT_MODE_FULL;
}
inline const char* mode_name(nestrt_mode mode) {
  return mode == NESTRT_MODE_PART ? "part" : mode == NESTRT_MODE_GRADED ? "graded" : "full";
}

class ModelHandle {
 public:
  ModelHandle(const std::string& path, nestrt_mode mode, bool verify_checksums = true) {
    nestrt_model_options options;
    nestrt_model_options_init(&options);
    options.initial_mode = mode;
    options.verify_checksums = verify_checksums ? 1 : 0;
    check(nestrt_model_load(path.c_str(), &options, &model_));
  }
  ~ModelHandle() { nestrt_model_release(model_); }
  ModelHandle(const ModelHandle&) = delete;
  ModelHandle& operator=(const ModelHandle&) = delete;
  nestrt_model* get() const { return model_; }

  std::vector<int64_t> input_shape() const { return shape(nestrt_model_input_shape); }
  std::vector<int64_t> output_shape() const { return shape(nestrt_model_output_shape); }
  nestrt_stats stats() const {
    nestrt_stats s;
    check(nestrt_model_stats(model_, &s));
    return s;
  }

 private:
  template <typename Fn>
  std::vector<int64_t> shape(Fn fn) const {
    std::vector<int64_t> dims(8);
    size_t rank = dims.size();
    check(fn(model_, dims.data(), &rank));
    dims.resize(rank);
    return dims;
  }
  nestrt_model* model_ = nullptr;
};

class SessionHandle {
 public:
  explicit SessionHandle(const ModelHandle& model, const nestrt_session_options* options = nullptr) {
    check(nestrt_session_create(model.get(), options, &session_));
  }
  ~SessionHandle() { nestrt_session_destroy(session_); }
  SessionHandle(const SessionHandle&) = delete;
  SessionHandle& operator=(const SessionHandle&) = delete;
  nestrt_mode run(const std::vector<float>& input, std::vector<float>& output) {
    nestrt_mode used;
    check(nestrt_run(session_, input.data(), input.size(), output.data(), output.size(), &used));
    return used;
  }
  nestrt_session* get() const { return session_; }

 private:
  nestrt_session* session_ = nullptr;
};

inline size_t element_count(const std::vector<int64_t>& shape) {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

}  // namespace nestrt::cli

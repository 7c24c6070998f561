// A session: one caller's activation buffers and decode scratch, allocated once at creation so
// the inference path allocates nothing.
#pragma once

#include <cstdint>
#include <vector>

#include "model.h"

namespace nestrt::runtime {

class Session {
 public:
  explicit Session(Model& model);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Model& model() { return model_; }
  // Sizes are checked by the caller (C API). Returns the mode the run used.
  nestrt_mode run(const float* input, float* output);

 private:
  Model& model_;
  std::vector<std::vector<int8_t>> buffers_;
  std::vector<int8_t*> tensors_;  // tensors_[i] -> buffers_[i]
  std::vector<int8_t> scratch_;
};

}  // namespace nestrt::runtime

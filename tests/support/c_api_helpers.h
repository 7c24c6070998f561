// Helpers for tests that drive the tiny model (tiny_model.h) through the public C API.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "nestrt/nestrt.h"

namespace nestrt::testing {

// A deterministic input of n floats in [-1, 1] (the default tiny model takes 3 x 6 x 5).
inline std::vector<float> tiny_input(size_t n = 3 * 6 * 5) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = static_cast<float>((i * 37) % 11) * 0.2f - 1.0f;
  return x;
}

// Loads a model in the given mode with default options; a failure is a test failure (and null).
inline nestrt_model* load_model(const std::string& path, nestrt_mode mode) {
  nestrt_model_options o;
  nestrt_model_options_init(&o);
  o.initial_mode = mode;
  nestrt_model* m = nullptr;
  EXPECT_EQ(nestrt_model_load(path.c_str(), &o, &m), NESTRT_OK) << nestrt_last_error();
  return m;
}

}  // namespace nestrt::testing

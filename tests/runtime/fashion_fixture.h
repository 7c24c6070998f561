// Shared by the end-to-end tests: the converted shipped model, the Fashion-MNIST test set
// (Debian's dataset package) and torch's FP32 predictions committed beside the ONNX model.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "nestrt/io/idx.h"
#include "nestrt/io/sample_source.h"
#include "nestrt/nestrt.h"

namespace nestrt::testing {

inline std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// How many test images to use: all 10000 natively; test.sh lowers it under qemu.
inline size_t e2e_sample_count(size_t available) {
  const char* env = std::getenv("NESTRT_E2E_SAMPLES");
  const size_t n = env ? std::strtoull(env, nullptr, 10) : available;
  return n == 0 || n > available ? available : n;
}

// The converted shipped ResNet by default; e2e tests pass the MobileNetV2 too.
inline nestrt_model* load_model(nestrt_mode mode, const char* path = NESTRT_TEST_MODEL) {
  nestrt_model_options o;
  nestrt_model_options_init(&o);
  o.initial_mode = mode;
  nestrt_model* m = nullptr;
  const nestrt_status s = nestrt_model_load(path, &o, &m);
  if (s != NESTRT_OK) throw std::runtime_error(nestrt_last_error());
  return m;
}

inline io::SampleSource fashion_test_images(const nestrt_model* model) {
  nestrt_preprocess p;
  if (nestrt_model_preprocess(model, &p) != NESTRT_OK) throw std::runtime_error(nestrt_last_error());
  io::Preprocess pre;
  pre.scale = p.scale;
  pre.mean.assign(p.mean, p.mean + p.channels);
  pre.std.assign(p.std, p.std + p.channels);
  return io::SampleSource(std::string(NESTRT_FASHION_DIR) + "/t10k-images-idx3-ubyte.gz", {1, 1, 28, 28}, pre);
}

inline std::vector<uint8_t> fashion_test_labels() {
  return io::load_idx_labels(std::string(NESTRT_FASHION_DIR) + "/t10k-labels-idx1-ubyte.gz");
}

inline std::vector<uint8_t> torch_fp32_predictions(const std::string& model_name = "fashion_mnist_resnet") {
  return read_bytes(std::string(NESTRT_MODELS_DIR) + "/" + model_name + ".fp32_pred.u8");
}

// Runs the first n images; returns the 10 outputs of each, concatenated.
inline std::vector<float> run_images(nestrt_model* model, io::SampleSource& images, size_t n) {
  nestrt_session* s = nullptr;
  if (nestrt_session_create(model, nullptr, &s) != NESTRT_OK) throw std::runtime_error(nestrt_last_error());
  std::vector<float> out(n * 10);
  for (size_t i = 0; i < n; ++i) {
    const auto x = images.get(i);
    if (nestrt_run(s, x.data(), x.size(), out.data() + i * 10, 10, nullptr) != NESTRT_OK) {
      nestrt_session_destroy(s);
      throw std::runtime_error(nestrt_last_error());
    }
  }
  nestrt_session_destroy(s);
  return out;
}

inline size_t argmax10(const float* v) {
  size_t best = 0;
  for (size_t c = 1; c < 10; ++c) best = v[c] > v[best] ? c : best;
  return best;
}

}  // namespace nestrt::testing

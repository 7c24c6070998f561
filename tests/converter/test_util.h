// Shared helpers of the converter tests: temp dirs, .npy writing, a tiny CNN and error capture.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "nestrt/converter/error.h"
#include "onnx_builder.h"

namespace nestrt::converter::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// A file of the source tree (NESTRT_SOURCE_DIR).
std::string source_file(const std::string& relative);

// Writes a float32 .npy array.
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<float>& values);

// A small CNN over a [1,1,8,8] input exercising every supported operator: Conv + BatchNormalization
// + Relu, MaxPool, depthwise Conv + Relu, residual Add + Relu, strided 1x1 Conv + Clip,
// AveragePool, Flatten of a spatial map into Gemm (transB) + ... Output "logits" [1,3].
OnnxBuilder tiny_cnn(int64_t opset = 13);

// Runs f and returns the message of the exception of type E it throws ("" if none).
template <typename E = std::exception, typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "";
}

}  // namespace nestrt::converter::testing

// Shared helpers of the converter tests: temp dirs, .npy writing, a tiny CNN and error capture.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "file_helpers.h"
#include "nestrt/converter/error.h"
#include "onnx_builder.h"

namespace nestrt::converter::testing {

using nestrt::testing::error_of;
using nestrt::testing::TempDir;

// A file of the source tree (NESTRT_SOURCE_DIR).
std::string source_file(const std::string& relative);

// Writes a float32 .npy file.
void write_npy(const std::string& path, const std::vector<int64_t>& shape, const std::vector<float>& values);

// A small CNN over a [1,1,8,8] input exercising every supported operator: Conv + BatchNormalization
// + Relu, MaxPool, depthwise Conv + Relu, residual Add + Relu, strided 1x1 Conv + Clip,
// AveragePool, Flatten of a spatial map into Gemm (transB) + ... Output "logits" [1,3].
OnnxBuilder tiny_cnn(int64_t opset = 13);

}  // namespace nestrt::converter::testing

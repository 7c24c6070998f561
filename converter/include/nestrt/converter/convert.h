#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nestrt/converter/calibrate.h"
#include "nestrt/converter/nest.h"
#include "nestrt/converter/report.h"
#include "nestrt/io/preprocess.h"
#include "nestrt/io/sample_source.h"

namespace nestrt::converter {

struct ConvertOptions {
  std::string input_path;   // .onnx
  std::string output_path;  // .nest, written atomically
  std::string calibration_path;
  Shape input_shape;  // NCHW, fixes symbolic input dimensions (--input-shape); empty: as declared
  size_t calibration_count = 256;
  RangeOptions ranges;               // activation range estimator
  std::set<std::string> not_nested;  // Conv/Gemm node names kept at full precision (--no-nest)
  bool nest_none = false;            // --nest N: no layer nested, a plain N-bit model (baselines)
  NestConfig nesting;
  float scale = 1.0f / 255.0f;
  std::vector<float> mean;
  std::vector<float> std;
  std::optional<io::Preprocess::Color> color;  // default: gray for 1 input channel, RGB for 3
  // Image geometry (--resize N | --resize H,W, --crop H,W), stored in the model; 0 = unused, all 0:
  // resize straight to the input's H x W (io::Preprocess).
  int resize_shorter = 0;
  int resize_height = 0, resize_width = 0;
  int crop_height = 0, crop_width = 0;
  io::NpyLayout layout = io::NpyLayout::kNCHW;  // of an .npy --calib file (--layout); not stored
  std::string labels_path;                      // optional, one label per line
  std::string fp32_outputs_path;                // optional .npy: the float model's outputs on the calibration samples
};

// The whole pipeline: import, normalise, calibrate, quantise + nest, emit, write. Throws
// ConversionError (or io::DataError, format::FormatError) and then leaves no output file.
ConversionReport convert(const ConvertOptions& options, const ProgressFn& progress = {});

// "nestrt-convert <version>"
std::string producer_string();

}  // namespace nestrt::converter

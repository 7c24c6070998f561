#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "nestrt/io/idx.h"
#include "nestrt/io/npy.h"
#include "nestrt/io/preprocess.h"

namespace nestrt::io {

// Axis order of an .npy file's arrays: [N,C,H,W] / [C,H,W] (the default) or [N,H,W,C] / [H,W,C],
// which is transposed to the model's NCHW when the file is opened. It describes the user's data
// file, not the model: the CLIs take it as --layout and it is not stored in the .nest file.
enum class NpyLayout { kNCHW, kNHWC };

// Parses "nchw" or "nhwc"; throws DataError otherwise.
NpyLayout parse_npy_layout(const std::string& text);

// Float NCHW samples for a model input of shape [1, C, H, W], read from
//  - a directory of images (.png .jpg .jpeg .bmp, sorted by file name),
//  - a single image file,
//  - an .npy file: float32/float64 [N,C,H,W] or [C,H,W] taken as already preprocessed, or uint8 in
//    the same layout (gray: also [N,H,W]) taken as pixels and preprocessed; with NpyLayout::kNHWC
//    [N,H,W,C] or [H,W,C] instead,
//  - an IDX images file (raw or .gz), each image preprocessed.
// Images (and uint8 arrays) go through the geometry of the preprocessing (apply_geometry: by
// default a bilinear resize to H x W when the size differs); float arrays must be H x W already;
// every other mismatch throws.
class SampleSource {
 public:
  SampleSource(const std::string& path, const std::array<int64_t, 4>& input_shape_nchw, const Preprocess& preprocess,
               NpyLayout layout = NpyLayout::kNCHW);

  size_t size() const { return count_; }
  // Sample i as C*H*W floats in CHW order.
  std::vector<float> get(size_t i) const;
  // What the samples are, for messages and provenance, e.g. "t10k-images.gz (IDX, 10000 images)".
  const std::string& description() const { return description_; }

 private:
  enum class Kind { kImageFiles, kFloatArray, kPixelArray, kIdx };
  std::vector<float> from_image(ImageU8 image, const std::string& origin) const;

  Kind kind_ = Kind::kImageFiles;
  int64_t channels_ = 0, height_ = 0, width_ = 0;
  Preprocess preprocess_;
  size_t count_ = 0;
  std::string description_;
  std::vector<std::string> files_;  // kImageFiles
  NpyArray array_;                  // kFloatArray, kPixelArray
  FloatTensor floats_;              // kFloatArray
  IdxImages idx_;                   // kIdx
};

}  // namespace nestrt::io

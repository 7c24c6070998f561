// Builds small but complete .nest files in tests: Conv2D(+ReLU) -> GlobalAveragePool -> Reshape
// -> FullyConnected, with seeded random nested weights, so format and runtime tests need no converter.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "file_helpers.h"

namespace nestrt::testing {

struct TinyModelSpec {
  int height = 6, width = 5, in_channels = 3, conv_channels = 4, classes = 3;
  int total_bits = 8, high_bits = 6;
  uint32_t seed = 1;
  uint64_t fc_high_offset_shift = 0;  // nonzero: corrupt the FC high-plane reference (bad-input tests)
  int32_t fc_bias = 0;                // nonzero: every FC bias in both modes (bad-input tests)
  float logits_scale = 0.1f;          // quantisation scale of the output tensor
  int32_t conv_pad_bottom = 1;        // the 3x3 conv's bottom pad (bad-input tests set absurd values)
  bool packed = false;                // planes in their narrowest coding (as the converter writes)
  bool strided_average_pool = false;  // an AveragePool2D of window (height-1) x width, stride 2, for the
                                      // global pool (same output shape; a backend without it must refuse)
  bool bitplane = false;              // Nesting.method Bitplane: high = q >> l, low = q & (2^l - 1)
  // Preprocess image geometry: resize_shorter, resize_height, resize_width, crop_height, crop_width.
  // All 0 (default): the fields are not written, as by writers that predate them.
  std::array<int32_t, 5> geometry{};
};

// Writes the model to path (atomically, like the converter).
void write_tiny_model(const std::string& path, const TinyModelSpec& spec = {});

// A fresh path in the test temp dir; the file is removed when the object goes out of scope.
class TempPath {
 public:
  explicit TempPath(const std::string& name);
  ~TempPath();
  const std::string& str() const { return path_; }

 private:
  std::string path_;
};

}  // namespace nestrt::testing

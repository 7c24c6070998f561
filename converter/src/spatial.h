// Output sizes and padding of 2-D convolution and pooling windows, ONNX semantics.
#pragma once

#include <cstdint>
#include <string>

namespace nestrt::converter {

struct AxisWindow {
  int64_t input = 0;
  int64_t kernel = 1;
  int64_t stride = 1;
  int64_t dilation = 1;
  int64_t pad_begin = 0;  // from the pads attribute (auto_pad NOTSET)
  int64_t pad_end = 0;
};

struct AxisResult {
  int64_t pad_begin = 0;
  int64_t pad_end = 0;
  int64_t output = 0;
};

// auto_pad: NOTSET, VALID, SAME_UPPER or SAME_LOWER. ceil_mode (pools) is accepted only where it
// gives the same output size as floor. Throws ConversionError prefixed with `where`.
AxisResult resolve_axis(const AxisWindow& window, const std::string& auto_pad, bool ceil_mode,
                        const std::string& where);

}  // namespace nestrt::converter

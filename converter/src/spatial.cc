#include "spatial.h"

#include <algorithm>

#include "nestrt/converter/error.h"

namespace nestrt::converter {

AxisResult resolve_axis(const AxisWindow& w, const std::string& auto_pad, bool ceil_mode, const std::string& where) {
  // The upper bound keeps every size computation below far from overflow.
  constexpr int64_t kLimit = int64_t{1} << 24;
  const auto in_range = [&](int64_t v, int64_t lowest) { return v >= lowest && v <= kLimit; };
  if (!in_range(w.input, 1) || !in_range(w.kernel, 1) || !in_range(w.stride, 1) || !in_range(w.dilation, 1) ||
      !in_range(w.pad_begin, 0) || !in_range(w.pad_end, 0)) {
    throw ConversionError(where +
                          ": kernel, stride and dilation must be positive and pads non-negative (and all below " +
                          std::to_string(kLimit) + ")");
  }
  const int64_t extent = (w.kernel - 1) * w.dilation + 1;
  AxisResult r;
  if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
    r.output = (w.input + w.stride - 1) / w.stride;
    const int64_t total = std::max<int64_t>((r.output - 1) * w.stride + extent - w.input, 0);
    // SAME_UPPER puts the odd pixel at the end, SAME_LOWER at the beginning.
    r.pad_begin = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
    r.pad_end = total - r.pad_begin;
    return r;
  }
  if (auto_pad == "VALID") {
    r.output = w.input >= extent ? (w.input - extent) / w.stride + 1 : 0;
  } else if (auto_pad == "NOTSET" || auto_pad.empty()) {
    r.pad_begin = w.pad_begin;
    r.pad_end = w.pad_end;
    const int64_t span = w.input + w.pad_begin + w.pad_end - extent;
    r.output = span >= 0 ? span / w.stride + 1 : 0;
    if (ceil_mode && span >= 0 && (span + w.stride - 1) / w.stride + 1 != r.output) {
      throw ConversionError(where + ": ceil_mode=1 gives a different output size than floor here (" +
                            std::to_string((span + w.stride - 1) / w.stride + 1) + " vs " + std::to_string(r.output) +
                            "), which is not supported");
    }
  } else {
    throw ConversionError(where + ": unknown auto_pad '" + auto_pad + "'");
  }
  if (r.output <= 0) {
    throw ConversionError(where + ": window of extent " + std::to_string(extent) + " does not fit an input of size " +
                          std::to_string(w.input));
  }
  return r;
}

}  // namespace nestrt::converter

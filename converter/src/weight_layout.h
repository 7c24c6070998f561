// Conv weight layouts: ONNX's [O, I, KH, KW] and the runtime's [O, KH, KW, I] (docs/format.md).
#pragma once

#include <cstdint>
#include <vector>

namespace nestrt::converter {

enum class WeightLayout { kOihw, kOhwi };

// Reorders conv weights of the given dimensions from layout `from` to the other one.
template <typename T>
std::vector<T> convert_weight_layout(const std::vector<T>& src, WeightLayout from, int64_t out, int64_t in, int64_t kh,
                                     int64_t kw) {
  std::vector<T> dst(src.size());
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i)
      for (int64_t y = 0; y < kh; ++y)
        for (int64_t x = 0; x < kw; ++x) {
          const int64_t oihw = ((o * in + i) * kh + y) * kw + x, ohwi = ((o * kh + y) * kw + x) * in + i;
          if (from == WeightLayout::kOihw) {
            dst[ohwi] = src[oihw];
          } else {
            dst[oihw] = src[ohwi];
          }
        }
  return dst;
}

}  // namespace nestrt::converter

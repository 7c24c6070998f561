#include <algorithm>
#include <cstring>

#include "../parallel_for.h"
#include "../requantize_block.h"
#include "nestrt/kernels/elementwise.h"

namespace nestrt::kernels {
namespace {

constexpr size_t kChunk = 512;         // 2 KiB of floats on the stack, in L1
constexpr size_t kTask = 16 * kChunk;  // elements per task: threads only for layers worth it

// One row segment of n <= kChunk elements.
void concat_segment(const ConcatParams& p, bool copy, const int8_t* x, size_t n, float* scaled, int8_t* y) {
  if (copy) {  // float(x - z) * 1 is exact and rounds to itself: the formula is clamp(x)
    if (p.output_min <= -128 && p.output_max >= 127) {
      std::memcpy(y, x, n);
    } else {
      for (size_t j = 0; j < n; ++j) y[j] = static_cast<int8_t>(std::clamp<int32_t>(x[j], p.output_min, p.output_max));
    }
    return;
  }
  // The reference's float operations in the reference's order (-ffp-contract=off: no FMA).
  for (size_t j = 0; j < n; ++j) scaled[j] = static_cast<float>(int32_t{x[j]} - p.input_zero_point) * p.multiplier;
  requantize_floats(scaled, n, p.output_zero_point, p.output_min, p.output_max, y);
}

}  // namespace

// Tasks of whole rows; each row's segment is requantised in chunks of at most kChunk elements.
void qs8_concat__portable(size_t rows, size_t channels, size_t output_channels, size_t channel_offset,
                          const ConcatParams& p, const int8_t* input, int8_t* output, pthreadpool_t pool) {
  if (rows == 0 || channels == 0) return;
  const bool copy = p.multiplier == 1.f && p.input_zero_point == p.output_zero_point;
  const size_t rows_per_task = std::max<size_t>(1, kTask / channels);
  parallel_for(pool, (rows + rows_per_task - 1) / rows_per_task, [&](size_t task) {
    alignas(64) float scaled[kChunk];
    const size_t end = std::min(rows, (task + 1) * rows_per_task);
    for (size_t r = task * rows_per_task; r < end; ++r) {
      const int8_t* x = input + r * channels;
      int8_t* y = output + r * output_channels + channel_offset;
      for (size_t c0 = 0; c0 < channels; c0 += kChunk) {
        concat_segment(p, copy, x + c0, std::min(kChunk, channels - c0), scaled, y + c0);
      }
    }
  });
}

}  // namespace nestrt::kernels

#include <algorithm>
#include "nestrt/kernels/elementwise.h"

#include "../parallel_for.h"
#include "../requantize_block.h"

namespace nestrt::kernels {

void qs8_add__portable(size_t count, const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output,
                       pthreadpool_t pool) {
  constexpr size_t kChunk = 512;         // 2 KiB of floats on the stack, in L1
  constexpr size_t kTask = 16 * kChunk;  // elements per task: threads only for layers worth it
  parallel_for(pool, (count + kTask - 1) / kTask, [&](size_t task) {
    alignas(64) float scaled[kChunk];
    const size_t end = std::min(count, (task + 1) * kTask);
    for (size_t i0 = task * kTask; i0 < end; i0 += kChunk) {
      const size_t n = std::min(kChunk, end - i0);
      // The reference's float operations in the reference's order (-ffp-contract=off: no FMA).
      for (size_t j = 0; j < n; ++j) {
        const float sa = static_cast<float>(int32_t{a[i0 + j]} - p.a_zero_point) * p.a_multiplier;
        const float sb = static_cast<float>(int32_t{b[i0 + j]} - p.b_zero_point) * p.b_multiplier;
        scaled[j] = sa + sb;
      }
      requantize_floats(scaled, n, p.output_zero_point, p.output_min, p.output_max, output + i0);
    }
  });
}

void qs8_quantize__portable(size_t count, float scale, int32_t zero_point, const float* x, int8_t* output) {
  constexpr size_t kChunk = 512;
  alignas(64) float scaled[kChunk];
  for (size_t i0 = 0; i0 < count; i0 += kChunk) {
    const size_t n = std::min(kChunk, count - i0);
    for (size_t j = 0; j < n; ++j) {
      const float v = x[i0 + j], q = v / scale;
      scaled[j] = v == v ? q : 0.f;  // a select the compiler vectorises; NaN -> 0
    }
    requantize_floats(scaled, n, zero_point, -128, 127, output + i0);
  }
}

}  // namespace nestrt::kernels

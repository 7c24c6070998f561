#include <algorithm>

#include "../parallel_for.h"
#include "../requantize_block.h"
#include "nestrt/kernels/elementwise.h"

namespace nestrt::kernels {
namespace {

constexpr size_t kChunk = 512;         // 2 KiB of floats on the stack, in L1
constexpr size_t kTask = 16 * kChunk;  // elements per task: threads only for layers worth it

// scaled[j] = float((a[j] - za) * (b[j] - zb)) * multiplier for n elements: the reference's float
// operations in the reference's order (-ffp-contract=off: no FMA); plain loops the compiler vectorises.
inline void scale_products(const MulParams& p, const int8_t* a, const int8_t* b, size_t n, float* scaled) {
  for (size_t j = 0; j < n; ++j) {
    const int32_t product = (int32_t{a[j]} - p.a_zero_point) * (int32_t{b[j]} - p.b_zero_point);
    scaled[j] = static_cast<float>(product) * p.multiplier;
  }
}

}  // namespace

void qs8_mul__portable(size_t count, const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output,
                       pthreadpool_t pool) {
  parallel_for(pool, (count + kTask - 1) / kTask, [&](size_t task) {
    alignas(64) float scaled[kChunk];
    const size_t end = std::min(count, (task + 1) * kTask);
    for (size_t i0 = task * kTask; i0 < end; i0 += kChunk) {
      const size_t n = std::min(kChunk, end - i0);
      scale_products(p, a + i0, b + i0, n, scaled);
      requantize_floats(scaled, n, p.output_zero_point, p.output_min, p.output_max, output + i0);
    }
  });
}

// Tasks of whole rows (one spatial position's channels); a chunk of kChunk elements may span
// several rows (small channel counts) or part of one (large ones), each row segment reading its
// batch's row of b.
void qs8_mul_broadcast__portable(size_t batch, size_t spatial, size_t channels, const MulParams& p, const int8_t* a,
                                 const int8_t* b, int8_t* output, pthreadpool_t pool) {
  const size_t rows = batch * spatial;
  if (rows == 0 || channels == 0) return;
  const size_t rows_per_task = std::max<size_t>(1, kTask / channels);
  parallel_for(pool, (rows + rows_per_task - 1) / rows_per_task, [&](size_t task) {
    alignas(64) float scaled[kChunk];
    size_t row = task * rows_per_task, c = 0;
    const int8_t* b_row = b + (row / spatial) * channels;
    const size_t end = std::min(rows, row + rows_per_task) * channels;
    for (size_t i0 = row * channels; i0 < end;) {
      const size_t n = std::min(kChunk, end - i0);
      for (size_t j = 0; j < n;) {
        const size_t segment = std::min(channels - c, n - j);
        scale_products(p, a + i0 + j, b_row + c, segment, scaled + j);
        j += segment, c += segment;
        if (c == channels) {
          c = 0;
          if (++row % spatial == 0) b_row += channels;  // the next batch's row of b
        }
      }
      requantize_floats(scaled, n, p.output_zero_point, p.output_min, p.output_max, output + i0);
      i0 += n;
    }
  });
}

}  // namespace nestrt::kernels

#include "nestrt/kernels/pooling.h"

#include <algorithm>

#include "../parallel_for.h"
#include "../pool_window.h"
#include "../requantize_block.h"

namespace nestrt::kernels {
namespace {

constexpr int kBlock = 64;  // channels per pass: the accumulators stay in registers or L1

// Calls fn(n, window, c0, count, out) for each block of channels of each output pixel; rows of
// output pixels are shared among the pool's threads.
template <typename Fn>
void for_each_block(const PoolGeometry& g, int8_t* output, pthreadpool_t pool, Fn fn) {
  parallel_for(pool, size_t(g.batch) * size_t(g.out_h), [&](size_t row) {
    const int n = int(row / size_t(g.out_h)), oy = int(row % size_t(g.out_h));
    for (int ox = 0; ox < g.out_w; ++ox) {
      const PoolWindow w = clipped_window(g, oy, ox);
      int8_t* out = output + (row * size_t(g.out_w) + size_t(ox)) * size_t(g.channels);
      for (int c0 = 0; c0 < g.channels; c0 += kBlock) fn(n, w, c0, std::min(kBlock, g.channels - c0), out + c0);
    }
  });
}

// Value-based, with restrict pointers: std::max's reference result and int8's char aliasing kept
// GCC from vectorising the max-pool loops (9 % of ResNet-18's run time, scalar).
void max_into(const int8_t* __restrict in, size_t n, int8_t* __restrict best) {
  for (size_t j = 0; j < n; ++j) best[j] = in[j] > best[j] ? in[j] : best[j];
}

void clamp_to(const int8_t* __restrict v, size_t n, int8_t lo, int8_t hi, int8_t* __restrict out) {
  for (size_t j = 0; j < n; ++j) {
    const int8_t x = v[j] < lo ? lo : v[j];
    out[j] = x > hi ? hi : x;
  }
}

const int8_t* pixel(const PoolGeometry& g, const int8_t* input, int n, int y, int x) {
  return input + ((size_t(n) * size_t(g.in_h) + size_t(y)) * size_t(g.in_w) + size_t(x)) * size_t(g.channels);
}

}  // namespace

void qs8_maxpool2d__portable(const PoolGeometry& g, int32_t output_min, int32_t output_max, const int8_t* input,
                             int8_t* output, pthreadpool_t pool) {
  const auto lo = static_cast<int8_t>(std::max(output_min, -128)), hi = static_cast<int8_t>(std::min(output_max, 127));
  for_each_block(g, output, pool, [&](int n, const PoolWindow& w, int c0, int count, int8_t* out) {
    int8_t best[kBlock];
    std::fill_n(best, count, int8_t{-128});
    for (int y = w.y0; y < w.y1; ++y) {
      for (int x = w.x0; x < w.x1; ++x) {
        max_into(pixel(g, input, n, y, x) + c0, size_t(count), best);
      }
    }
    clamp_to(best, size_t(count), lo, hi, out);
  });
}

void qs8_avgpool2d__portable(const PoolGeometry& g, const ActivationParams& a, float multiplier, const int8_t* input,
                             int8_t* output, pthreadpool_t pool) {
  for_each_block(g, output, pool, [&](int n, const PoolWindow& w, int c0, int count, int8_t* out) {
    const int taps = g.count_include_pad ? g.kernel_h * g.kernel_w : (w.y1 - w.y0) * (w.x1 - w.x0);
    const float scale = taps > 0 ? multiplier / static_cast<float>(taps) : 0.f;
    const int32_t in_taps = (w.y1 - w.y0) * (w.x1 - w.x0);
    int32_t sum[kBlock];
    std::fill_n(sum, count, 0);
    for (int y = w.y0; y < w.y1; ++y) {
      for (int x = w.x0; x < w.x1; ++x) {
        const int8_t* in = pixel(g, input, n, y, x) + c0;
        for (int j = 0; j < count; ++j) sum[j] += in[j];
      }
    }
    // The reference subtracts the zero point per element; the same total, in one step.
    float scaled[kBlock];
    for (int j = 0; j < count; ++j) scaled[j] = static_cast<float>(sum[j] - in_taps * a.input_zero_point) * scale;
    requantize_floats(scaled, size_t(count), a.output_zero_point, a.output_min, a.output_max, out);
  });
}

}  // namespace nestrt::kernels

#include "squant.h"

#include <cstdlib>
#include <vector>

namespace nestrt::converter {
namespace {

// Residuals and highs of one output channel; weight j of kernel k sits at k + j * kernels (OHWI).
struct Channel {
  std::span<const int8_t> q;
  std::span<int8_t> high;
  size_t kernels, taps;
  int step, high_min, high_max;

  int residual(size_t i) const { return q[i] - high[i] * step; }
  size_t index(size_t kernel, size_t tap) const { return kernel + tap * kernels; }

  // Sum of the residuals of one kernel.
  int kernel_sum(size_t kernel) const {
    int sum = 0;
    for (size_t t = 0; t < taps; ++t) sum += residual(index(kernel, t));
    return sum;
  }

  // Flips, in `kernel`, the weight whose residual has sign `sign` and is largest; false if none can.
  bool flip_in_kernel(size_t kernel, int sign) {
    size_t best = SIZE_MAX;
    int best_r = 0;
    for (size_t t = 0; t < taps; ++t) {
      const size_t i = index(kernel, t);
      const int r = residual(i) * sign;
      const int flipped = high[i] + sign;
      if (r > best_r && flipped >= high_min && flipped <= high_max) best = i, best_r = r;
    }
    if (best == SIZE_MAX) return false;
    high[best] = static_cast<int8_t>(high[best] + sign);
    return true;
  }
};

int sign_of(int v) {
  return v > 0 ? 1 : -1;
}

}  // namespace

void squant_flip(std::span<const int8_t> q, std::span<const int32_t> ohwi_shape, const NestConfig& config,
                 std::span<int8_t> high) {
  const size_t channels = static_cast<size_t>(ohwi_shape[0]);
  const size_t per_channel = q.size() / channels;
  const size_t kernels = static_cast<size_t>(ohwi_shape[3]);
  const int step = 1 << config.low_bits();
  const int half = step / 2;  // |sum| <= half a step is balanced; step >= 2, so this is exact
  for (size_t c = 0; c < channels; ++c) {
    Channel ch{q.subspan(c * per_channel, per_channel),
               high.subspan(c * per_channel, per_channel),
               kernels,
               per_channel / kernels,
               step,
               -(1 << (config.high_bits - 1)),
               (1 << (config.high_bits - 1)) - 1};
    // Kernel level.
    std::vector<int> sums(kernels);
    for (size_t k = 0; k < kernels; ++k) {
      int sum = ch.kernel_sum(k);
      while (std::abs(sum) > half && ch.flip_in_kernel(k, sign_of(sum))) sum -= sign_of(sum) * step;
      sums[k] = sum;
    }
    // Channel level: flip inside the kernels whose own sums lean the channel's way the most.
    int total = 0;
    for (int s : sums) total += s;
    while (std::abs(total) > half) {
      const int sign = sign_of(total);
      size_t best = SIZE_MAX;
      for (size_t k = 0; k < kernels; ++k) {
        if (sums[k] * sign > 0 && (best == SIZE_MAX || sums[k] * sign > sums[best] * sign)) best = k;
      }
      // No leaning kernel (or none can flip): try any kernel with a weight of the right sign.
      if (best == SIZE_MAX || !ch.flip_in_kernel(best, sign)) {
        bool flipped = false;
        for (size_t k = 0; k < kernels && !flipped; ++k) {
          if (ch.flip_in_kernel(k, sign)) best = k, flipped = true;
        }
        if (!flipped) break;
      }
      sums[best] -= sign * step;
      total -= sign * step;
    }
  }
}

}  // namespace nestrt::converter

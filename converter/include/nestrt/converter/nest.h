// NestQuant splitting of int8 weights into a high part (h bits) and a low part (l = n - h bits),
// method Nearest (design §4): full mode decodes high * 2^l + low == q exactly; part mode runs on
// high alone with its own per-channel scale.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace nestrt::converter {

struct NestConfig {
  int total_bits = 8;
  int high_bits = 6;
  int low_bits() const { return total_bits - high_bits; }
};

// high = clamp(round_half_even(q / 2^l), -2^(h-1), 2^(h-1) - 1).
int8_t nest_high(int q, const NestConfig& config);

struct NestedPlanes {
  std::vector<int8_t> high;
  std::vector<int8_t> low;  // q - high * 2^l, signed, fits l + 1 bits
};
// Splits q (any order); checks the full-mode decode is exact.
NestedPlanes nest_weights(std::span<const int8_t> q, const NestConfig& config);

// Least-squares part-mode scale of one channel: argmin_s sum((s_c * q - s * high)^2)
// = s_c * sum(q * high) / sum(high^2); s_c * 2^l when every high is 0. Always > 0.
float refit_part_scale(std::span<const int8_t> q, std::span<const int8_t> high, float full_scale,
                       const NestConfig& config);

}  // namespace nestrt::converter

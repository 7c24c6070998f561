// The one requantisation rule every kernel variant shares (design §4):
//   y = clamp(round_half_even(float(acc) * multiplier) + zero_point, lo, hi)
// IEEE single multiply + round-to-nearest-even gives identical bits in scalar code (lrintf),
// NEON (vcvtnq_s32_f32) and x86 (cvtps2dq); builds use -ffp-contract=off so no FMA sneaks in.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace nestrt::kernels {

// Clamping in float before the conversion keeps lrintf defined; the bound is far outside the
// int8 range even after adding any zero point, so it never changes a result.
inline constexpr float kRequantizeBound = 16777216.0f;

inline int8_t requantize(int32_t acc, float multiplier, int32_t zero_point, int32_t lo, int32_t hi) {
  float scaled = static_cast<float>(acc) * multiplier;
  scaled = std::min(std::max(scaled, -kRequantizeBound), kRequantizeBound);
  const int32_t rounded = static_cast<int32_t>(std::lrintf(scaled)) + zero_point;
  return static_cast<int8_t>(std::min(std::max(rounded, lo), hi));
}

// Same rule for a value already computed in float (Add, average pooling).
inline int8_t requantize_float(float scaled, int32_t zero_point, int32_t lo, int32_t hi) {
  scaled = std::min(std::max(scaled, -kRequantizeBound), kRequantizeBound);
  const int32_t rounded = static_cast<int32_t>(std::lrintf(scaled)) + zero_point;
  return static_cast<int8_t>(std::min(std::max(rounded, lo), hi));
}

}  // namespace nestrt::kernels

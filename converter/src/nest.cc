#include "nestrt/converter/nest.h"

#include <algorithm>
#include <cmath>

#include "nestrt/converter/error.h"

namespace nestrt::converter {

int8_t nest_high(int q, const NestConfig& config) {
  const double step = std::ldexp(1.0, config.low_bits());
  const double limit = std::ldexp(1.0, config.high_bits - 1);
  return static_cast<int8_t>(std::clamp(std::nearbyint(q / step), -limit, limit - 1));
}

NestedPlanes nest_weights(std::span<const int8_t> q, const NestConfig& config) {
  if (config.total_bits != 8 || config.high_bits < 1 || config.high_bits >= config.total_bits) {
    throw ConversionError("nesting " + std::to_string(config.total_bits) + ":" + std::to_string(config.high_bits) +
                          " is not supported (total bits must be 8 and 1 <= high bits < 8)");
  }
  const int step = 1 << config.low_bits();
  NestedPlanes planes{std::vector<int8_t>(q.size()), std::vector<int8_t>(q.size())};
  for (size_t i = 0; i < q.size(); ++i) {
    const int high = nest_high(q[i], config);
    const int low = q[i] - high * step;
    // Full mode must reproduce q exactly (design §4); low is signed and fits l + 1 bits.
    if (high * step + low != q[i] || low < -step || low >= step) {
      throw ConversionError("internal error: nesting of weight " + std::to_string(q[i]) + " is not exact");
    }
    planes.high[i] = static_cast<int8_t>(high);
    planes.low[i] = static_cast<int8_t>(low);
  }
  return planes;
}

float refit_part_scale(std::span<const int8_t> q, std::span<const int8_t> high, float full_scale,
                       const NestConfig& config) {
  const float fallback = static_cast<float>(std::ldexp(static_cast<double>(full_scale), config.low_bits()));
  double cross = 0.0, energy = 0.0;
  for (size_t i = 0; i < q.size(); ++i) {
    cross += static_cast<double>(q[i]) * high[i];
    energy += static_cast<double>(high[i]) * high[i];
  }
  if (energy == 0.0 || cross <= 0.0) return fallback;
  const float refit = static_cast<float>(static_cast<double>(full_scale) * cross / energy);
  return refit > 0.0f ? refit : fallback;
}

}  // namespace nestrt::converter

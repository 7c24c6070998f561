#include "nestrt/converter/nest.h"

#include <algorithm>
#include <cmath>

#include "gptq.h"
#include "nestrt/converter/error.h"
#include "squant.h"

namespace nestrt::converter {

const char* nest_method_name(NestMethod method) {
  switch (method) {
    case NestMethod::kNearest: return "nearest";
    case NestMethod::kSquant: return "squant";
    case NestMethod::kTruncate: return "truncate";
    case NestMethod::kGptq: return "gptq";
    case NestMethod::kBitplane: return "bitplane";
  }
  return "unknown";
}

bool parse_nest_method(const std::string& text, NestMethod* method) {
  for (NestMethod m :
       {NestMethod::kNearest, NestMethod::kSquant, NestMethod::kTruncate, NestMethod::kGptq, NestMethod::kBitplane}) {
    if (text == nest_method_name(m)) {
      *method = m;
      return true;
    }
  }
  return false;
}

void check_nest_config(const NestConfig& config) {
  if (config.total_bits < 2 || config.total_bits > 8 || config.high_bits < 1 || config.high_bits >= config.total_bits) {
    throw ConversionError("nesting " + std::to_string(config.total_bits) + ":" + std::to_string(config.high_bits) +
                          " is not supported (N:H needs 2 <= N <= 8 and 1 <= H < N)");
  }
}

int8_t nest_high(int q, const NestConfig& config) {
  const double step = std::ldexp(1.0, config.low_bits());
  const double limit = std::ldexp(1.0, config.high_bits - 1);
  return static_cast<int8_t>(std::clamp(std::nearbyint(q / step), -limit, limit - 1));
}

NestedPlanes nest_weights(std::span<const int8_t> q, std::span<const int32_t> ohwi_shape, const NestConfig& config,
                          const LayerHessian* hessian) {
  check_nest_config(config);
  if (ohwi_shape.size() != 4) throw ConversionError("internal error: nested weights need an OHWI shape");
  const int step = 1 << config.low_bits();
  const int qmax = (1 << (config.total_bits - 1)) - 1;
  NestedPlanes planes{std::vector<int8_t>(q.size()), std::vector<int8_t>(q.size()), config.method};
  for (size_t i = 0; i < q.size(); ++i) {
    if (q[i] < -qmax || q[i] > qmax) {
      throw ConversionError("internal error: weight " + std::to_string(q[i]) + " exceeds " +
                            std::to_string(config.total_bits) + " bits");
    }
    // Arithmetic shift is floor division for negative q too (truncate and bitplane: the same split).
    const bool floor = config.method == NestMethod::kTruncate || config.method == NestMethod::kBitplane;
    planes.high[i] = floor ? static_cast<int8_t>(q[i] >> config.low_bits()) : nest_high(q[i], config);
  }
  if (config.method == NestMethod::kGptq && !(hessian && gptq_round(q, ohwi_shape, config, *hessian, planes.high))) {
    planes.method = NestMethod::kSquant;  // no usable calibration data: the data-free method
  }
  if (planes.method == NestMethod::kSquant) squant_flip(q, ohwi_shape, config, planes.high);
  for (size_t i = 0; i < q.size(); ++i) {
    const int low = q[i] - planes.high[i] * step;
    // Full mode must reproduce q exactly (design §4); low is signed and fits l + 1 bits.
    // Bit-plane: low is the unsigned l-bit plane q & (2^l - 1).
    const bool bitplane = planes.method == NestMethod::kBitplane;
    if (low < -step || low >= step || (bitplane && low != (q[i] & (step - 1)))) {
      throw ConversionError("internal error: nesting of weight " + std::to_string(q[i]) + " is not exact");
    }
    planes.low[i] = static_cast<int8_t>(low);
  }
  return planes;
}

NestedPlanes nest_weights(std::span<const int8_t> q, const NestConfig& config) {
  const int32_t shape[4] = {1, 1, 1, static_cast<int32_t>(q.size())};
  return nest_weights(q, shape, config);
}

std::vector<int8_t> part_weights(std::span<const int8_t> high, NestMethod method) {
  std::vector<int8_t> part(high.size());
  for (size_t i = 0; i < high.size(); ++i) part[i] = part_weight(high[i], method);
  return part;
}

float default_part_scale(float full_scale, const NestConfig& config) {
  const int shift = config.method == NestMethod::kBitplane ? config.low_bits() - 1 : config.low_bits();
  return static_cast<float>(std::ldexp(static_cast<double>(full_scale), shift));
}

float refit_part_scale(std::span<const int8_t> q, std::span<const int8_t> part, float full_scale,
                       const NestConfig& config) {
  const float fallback = default_part_scale(full_scale, config);
  double cross = 0.0, energy = 0.0;
  for (size_t i = 0; i < q.size(); ++i) {
    cross += static_cast<double>(q[i]) * part[i];
    energy += static_cast<double>(part[i]) * part[i];
  }
  if (energy == 0.0 || cross <= 0.0) return fallback;
  const float refit = static_cast<float>(static_cast<double>(full_scale) * cross / energy);
  return refit > 0.0f ? refit : fallback;
}

}  // namespace nestrt::converter

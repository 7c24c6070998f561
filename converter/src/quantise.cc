#include "nestrt/converter/quantise.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace nestrt::converter {
namespace {

// Scale of a weight channel that is entirely zero: any positive value represents it exactly.
constexpr float kZeroChannelScale = 1e-8f;

}  // namespace

ActivationQuant quantise_activation(float min, float max) {
  const double lo = std::min(0.0, static_cast<double>(min)), hi = std::max(0.0, static_cast<double>(max));
  // A constant-zero tensor has no range; any scale represents it, 1/255 keeps the multipliers of
  // its consumers moderate.
  const double range = hi - lo > 0.0 ? hi - lo : 1.0;
  ActivationQuant q;
  q.scale = static_cast<float>(range / 255.0);
  q.zero_point =
      static_cast<int32_t>(std::clamp(std::nearbyint(-128.0 - lo / static_cast<double>(q.scale)), -128.0, 127.0));
  q.min = min;
  q.max = max;
  return q;
}

ChannelQuant quantise_weights(std::span<const float> weights, int64_t channels, int bits) {
  const double qmax = std::ldexp(1.0, bits - 1) - 1.0;
  ChannelQuant result;
  result.scales.resize(static_cast<size_t>(channels));
  result.q.resize(weights.size());
  const size_t per_channel = weights.size() / static_cast<size_t>(channels);
  for (size_t c = 0; c < static_cast<size_t>(channels); ++c) {
    const std::span<const float> w = weights.subspan(c * per_channel, per_channel);
    double max_abs = 0.0;
    for (float v : w) max_abs = std::max(max_abs, std::fabs(static_cast<double>(v)));
    const float scale = max_abs > 0.0 ? static_cast<float>(max_abs / qmax) : kZeroChannelScale;
    result.scales[c] = scale > 0.0f ? scale : kZeroChannelScale;  // max_abs / qmax may underflow float
    for (size_t k = 0; k < per_channel; ++k) {
      const double q = std::nearbyint(static_cast<double>(w[k]) / result.scales[c]);
      result.q[c * per_channel + k] = static_cast<int8_t>(std::clamp(q, -qmax, qmax));
    }
  }
  return result;
}

int32_t quantise_bias(float bias, float input_scale, float weight_scale) {
  const double q = std::nearbyint(static_cast<double>(bias) /
                                  (static_cast<double>(input_scale) * static_cast<double>(weight_scale)));
  return static_cast<int32_t>(std::clamp(q, static_cast<double>(std::numeric_limits<int32_t>::min()),
                                         static_cast<double>(std::numeric_limits<int32_t>::max())));
}

float requant_multiplier(float input_scale, float weight_scale, float output_scale) {
  return static_cast<float>(static_cast<double>(input_scale) * static_cast<double>(weight_scale) /
                            static_cast<double>(output_scale));
}

int8_t quantise_bound(float value, const ActivationQuant& quant) {
  if (std::isinf(value)) return value < 0 ? -128 : 127;
  const double q = std::nearbyint(static_cast<double>(value) / quant.scale) + quant.zero_point;
  return static_cast<int8_t>(std::clamp(q, -128.0, 127.0));
}

double sqnr_db(std::span<const float> reference, std::span<const float> approx) {
  double signal = 0.0, noise = 0.0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double r = reference[i], e = r - static_cast<double>(approx[i]);
    signal += r * r;
    noise += e * e;
  }
  if (noise == 0.0) return std::numeric_limits<double>::infinity();
  return 10.0 * std::log10(signal / noise);
}

}  // namespace nestrt::converter

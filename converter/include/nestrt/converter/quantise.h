// The arithmetic of design §4: activation, weight, bias and multiplier quantisation.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace nestrt::converter {

// Per-tensor asymmetric int8: real = scale * (q - zero_point).
struct ActivationQuant {
  float scale = 1.0f;
  int32_t zero_point = 0;
  float min = 0.0f;  // calibrated range the parameters came from
  float max = 0.0f;
};

// Widens [min, max] to include 0, scale = (max - min) / 255, zero_point = round(-128 - min / scale).
ActivationQuant quantise_activation(float min, float max);

// Symmetric per-output-channel weights of `bits` bits (channel = outermost dimension), with
// qmax = 2^(bits-1) - 1: s_c = max|w_c| / qmax, q = clamp(round_half_even(w / s_c), -qmax, qmax).
// All-zero channels get a tiny positive scale and q = 0.
struct ChannelQuant {
  std::vector<float> scales;
  std::vector<int8_t> q;
};
ChannelQuant quantise_weights(std::span<const float> weights, int64_t channels, int bits = 8);

// round_half_even(bias / (input_scale * weight_scale)) saturated to int32.
int32_t quantise_bias(float bias, float input_scale, float weight_scale);
// float(input_scale * weight_scale / output_scale), computed in double.
float requant_multiplier(float input_scale, float weight_scale, float output_scale);
// A float bound (activation clamp) in output units: clamp(round_half_even(v / scale) + zp, -128, 127).
int8_t quantise_bound(float value, const ActivationQuant& quant);

// 10 * log10(sum(ref^2) / sum((ref - approx)^2)); +inf when exact.
double sqnr_db(std::span<const float> reference, std::span<const float> approx);

}  // namespace nestrt::converter

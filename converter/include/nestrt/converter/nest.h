// NestQuant splitting of n-bit weights into a high part (h bits) and a low part (l = n - h bits)
// (design §4): full mode decodes high * 2^l + low == q exactly; part mode runs on high alone with
// its own per-channel scale. The methods differ in how high rounds q / 2^l, and kBitplane also in
// what part mode decodes: 2 * high + 1, the midpoint of high's bucket [high * 2^l, (high + 1) * 2^l)
// in units of half the high step, with the part scale s_c * 2^(l-1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace nestrt::converter {

enum class NestMethod {
  kNearest,   // round half to even: low in [-2^(l-1), 2^(l-1)]
  kSquant,    // nearest, then SQuant-style flips so rounding errors cancel per kernel and per channel
  kTruncate,  // floor (q >> l): the naive baseline; low in [0, 2^l), part scale not refitted
  kGptq,      // floor or ceil per weight, minimising the part-mode output error on calibration data
  kBitplane,  // floor (q >> l), low = q & (2^l - 1) in [0, 2^l); part mode at the bucket midpoint
};
const char* nest_method_name(NestMethod method);  // "nearest", "squant", "truncate", "gptq", "bitplane"
// Parses a method name; false if unknown.
bool parse_nest_method(const std::string& text, NestMethod* method);

struct NestConfig {
  int total_bits = 8;  // n: weights are quantised to n bits (symmetric, |q| <= 2^(n-1) - 1)
  int high_bits = 6;
  NestMethod method = NestMethod::kNearest;
  int low_bits() const { return total_bits - high_bits; }
};

// Throws ConversionError unless 2 <= n <= 8 and 1 <= h < n.
void check_nest_config(const NestConfig& config);

// Method kNearest's high part: clamp(round_half_even(q / 2^l), -2^(h-1), 2^(h-1) - 1).
int8_t nest_high(int q, const NestConfig& config);

// The int8 weight part mode computes with for a high part: 2 * high + 1 for kBitplane (in [-2^h + 1,
// 2^h - 1], int8 for h <= 7), high itself for every other method.
inline int8_t part_weight(int8_t high, NestMethod method) {
  return method == NestMethod::kBitplane ? static_cast<int8_t>(2 * high + 1) : high;
}
// part_weight of every element.
std::vector<int8_t> part_weights(std::span<const int8_t> high, NestMethod method);
// The default part-mode scale before any refit: s_c * 2^l, or s_c * 2^(l-1) for kBitplane (whose
// part weights count half steps), so that part_scale * part_weight(high) is high's bucket
// (bottom, or midpoint for kBitplane) in real units.
float default_part_scale(float full_scale, const NestConfig& config);

// Calibration statistics of one layer for kGptq (collected by hessian.h): H = sum x x^T over the
// layer's input rows x (one per output pixel, im2col in OHWI column order), so that the layer's
// output error for a weight change dw of one output channel is dw^T H dw.
struct LayerHessian {
  size_t groups = 1;       // conv groups: each has its own input channels, so its own matrix
  size_t columns = 0;      // K = KH * KW * I/groups, column (ky * KW + kx) * I/groups + ci (OHWI)
  size_t rows = 0;         // input rows accumulated, per group
  std::vector<double> xx;  // groups x K x K, row-major, symmetric
};
using LayerHessians = std::map<std::string, LayerHessian>;  // by node name

struct NestedPlanes {
  std::vector<int8_t> high;
  std::vector<int8_t> low;                   // q - high * 2^l, signed, in [-2^l, 2^l): l + 1 bits
                                             // (truncate, bitplane: in [0, 2^l), l bits)
  NestMethod method = NestMethod::kNearest;  // the method used: kGptq without usable data is kSquant
};
// Splits the weights of one layer, q in OHWI order with shape [O, KH, KW, I]: a "kernel" is the
// KH*KW weights of one (output, input) channel pair, which kSquant balances. kGptq needs the
// layer's calibration statistics in `hessian` and falls back to kSquant without them (or when
// they are degenerate). Checks the full-mode decode is exact for every weight.
NestedPlanes nest_weights(std::span<const int8_t> q, std::span<const int32_t> ohwi_shape, const NestConfig& config,
                          const LayerHessian* hessian = nullptr);
// The same for a flat list of weights (one channel, kernels of one weight).
NestedPlanes nest_weights(std::span<const int8_t> q, const NestConfig& config);

// Least-squares part-mode scale of one channel: argmin_s sum((s_c * q - s * p)^2)
// = s_c * sum(q * p) / sum(p^2), with p the part weights (part_weight of each high part: high, or
// 2 * high + 1 for kBitplane); default_part_scale when that is not positive. Always > 0.
float refit_part_scale(std::span<const int8_t> q, std::span<const int8_t> part, float full_scale,
                       const NestConfig& config);

}  // namespace nestrt::converter

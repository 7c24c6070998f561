#include "nestrt/kernels/reference.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::kernels {
namespace {

// |a - za|, |b - zb| <= 255: the int32 product is exact, and so is its float (below 2^24).
int8_t mul_one(const MulParams& p, int8_t a, int8_t b) {
  const int32_t product = (int32_t{a} - p.a_zero_point) * (int32_t{b} - p.b_zero_point);
  return requantize_float(static_cast<float>(product) * p.multiplier, p.output_zero_point, p.output_min, p.output_max);
}

}  // namespace

void qs8_mul__ref(size_t count, const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  for (size_t i = 0; i < count; ++i) output[i] = mul_one(p, a[i], b[i]);
}

void qs8_mul_broadcast__ref(size_t batch, size_t spatial, size_t channels, const MulParams& p, const int8_t* a,
                            const int8_t* b, int8_t* output) {
  for (size_t n = 0; n < batch; ++n) {
    for (size_t s = 0; s < spatial; ++s) {
      const size_t at = (n * spatial + s) * channels;
      for (size_t c = 0; c < channels; ++c) output[at + c] = mul_one(p, a[at + c], b[n * channels + c]);
    }
  }
}

}  // namespace nestrt::kernels

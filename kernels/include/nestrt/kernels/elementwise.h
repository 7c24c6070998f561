// Fast elementwise int8 operators: plain C++ that compilers vectorise on every target, then the
// shared requantisation rule with the baseline SIMD of each architecture. Bit-exact with the
// reference kernels.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nestrt/kernels/reference.h"

// pthreadpool's handle (pthreadpool.h), declared here so users need not see that header.
typedef struct pthreadpool* pthreadpool_t;

namespace nestrt::kernels {

// y = clamp(round_half_even(float(a - za) * ma + float(b - zb) * mb) + zo): qs8_add__ref's rule.
// pool: null runs on the calling thread; blocks of elements are shared among the pool's threads.
void qs8_add__portable(size_t count, const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output,
                       pthreadpool_t pool = nullptr);

// y = table[x + 128]: qs8_lookup__ref; input and output must not overlap. pool: as for
// qs8_add__portable.
void qs8_lookup__portable(size_t count, const int8_t* table, const int8_t* input, int8_t* output,
                          pthreadpool_t pool = nullptr);

// y = clamp(round_half_even(float((a - za) * (b - zb)) * multiplier) + zo): qs8_mul__ref's and
// qs8_mul_broadcast__ref's rule, with their shapes. pool: as for qs8_add__portable.
void qs8_mul__portable(size_t count, const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output,
                       pthreadpool_t pool = nullptr);
void qs8_mul_broadcast__portable(size_t batch, size_t spatial, size_t channels, const MulParams& p, const int8_t* a,
                                 const int8_t* b, int8_t* output, pthreadpool_t pool = nullptr);

// One input's slice of a channel concatenation: qs8_concat__ref's rule and shapes (a copy, with
// the clamp, when the multiplier is 1 and the zero points are equal). pool: as for qs8_add__portable.
void qs8_concat__portable(size_t rows, size_t channels, size_t output_channels, size_t channel_offset,
                          const ConcatParams& p, const int8_t* input, int8_t* output, pthreadpool_t pool = nullptr);

// Nearest-neighbour upsampling: qs8_resize_nearest__ref (a copy). pool: as for qs8_add__portable.
void qs8_resize_nearest__portable(const ResizeGeometry& g, const int8_t* input, int8_t* output,
                                  pthreadpool_t pool = nullptr);

// Zero insertion: qs8_zero_insert__ref (copies and fills). pool: as for qs8_add__portable.
void qs8_zero_insert__portable(const ZeroInsertGeometry& g, int8_t zero_point, const int8_t* input, int8_t* output,
                               pthreadpool_t pool = nullptr);

// Float to int8: out[i] = requantize_float(x[i] / scale, zero_point, -128, 127), NaN -> zero_point
// (real 0). The runtime's input quantisation.
void qs8_quantize__portable(size_t count, float scale, int32_t zero_point, const float* x, int8_t* output);

}  // namespace nestrt::kernels

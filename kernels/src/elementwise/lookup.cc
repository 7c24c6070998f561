#include <algorithm>
#include <cstring>

#include "../parallel_for.h"
#include "nestrt/kernels/elementwise.h"
#if defined(__aarch64__)
#include <arm_neon.h>
#endif

namespace nestrt::kernels {
namespace {

// y[i] = table[x[i] + 128] for n elements. AArch64: the 256-byte table as four 64-byte TBL
// tables, 16 elements per step (TBL gives 0 for indices past 63, TBX keeps the lane, so each
// element takes its byte from the one quarter its index falls in); scalar elsewhere and for the
// tail. ARMv8.0 baseline: every ARM variant runs it, with the reference's bits.
void lookup_range(const int8_t* table, const int8_t* __restrict input, int8_t* __restrict output, size_t n) {
  size_t i = 0;
#if defined(__aarch64__)
  const uint8_t* t = reinterpret_cast<const uint8_t*>(table);
  const uint8x16x4_t q0 = vld1q_u8_x4(t), q1 = vld1q_u8_x4(t + 64), q2 = vld1q_u8_x4(t + 128),
                     q3 = vld1q_u8_x4(t + 192);
  const uint8x16_t bias = vdupq_n_u8(0x80), quarter = vdupq_n_u8(64);
  for (; i + 16 <= n; i += 16) {
    const uint8x16_t index = veorq_u8(vld1q_u8(reinterpret_cast<const uint8_t*>(input + i)), bias);  // x + 128
    uint8x16_t y = vqtbl4q_u8(q0, index);
    uint8x16_t k = vsubq_u8(index, quarter);
    y = vqtbx4q_u8(y, q1, k);
    k = vsubq_u8(k, quarter);
    y = vqtbx4q_u8(y, q2, k);
    k = vsubq_u8(k, quarter);
    y = vqtbx4q_u8(y, q3, k);
    vst1q_u8(reinterpret_cast<uint8_t*>(output + i), y);
  }
#endif
  for (; i < n; ++i) output[i] = table[int32_t{input[i]} + 128];
}

}  // namespace

void qs8_lookup__portable(size_t count, const int8_t* table, const int8_t* input, int8_t* output, pthreadpool_t pool) {
  constexpr size_t kTask = 16384;  // elements per task: threads only for tensors worth it
  alignas(64) int8_t local[256];   // a private copy: the table cannot alias the output
  std::memcpy(local, table, sizeof local);
  parallel_for(pool, (count + kTask - 1) / kTask, [&](size_t task) {
    const size_t begin = task * kTask, end = std::min(count, begin + kTask);
    lookup_range(local, input + begin, output + begin, end - begin);
  });
}

}  // namespace nestrt::kernels

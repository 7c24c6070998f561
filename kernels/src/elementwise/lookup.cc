#include <algorithm>

#include "../parallel_for.h"
#include "nestrt/kernels/elementwise.h"

namespace nestrt::kernels {

void qs8_lookup__portable(size_t count, const int8_t* table, const int8_t* input, int8_t* output, pthreadpool_t pool) {
  constexpr size_t kTask = 16384;  // elements per task: threads only for tensors worth it
  parallel_for(pool, (count + kTask - 1) / kTask, [&](size_t task) {
    const size_t end = std::min(count, (task + 1) * kTask);
    for (size_t i = task * kTask; i < end; ++i) output[i] = table[int32_t{input[i]} + 128];
  });
}

}  // namespace nestrt::kernels

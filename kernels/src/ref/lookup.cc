#include "nestrt/kernels/reference.h"

namespace nestrt::kernels {

void qs8_lookup__ref(size_t count, const int8_t* table, const int8_t* input, int8_t* output) {
  for (size_t i = 0; i < count; ++i) output[i] = table[int32_t{input[i]} + 128];
}

}  // namespace nestrt::kernels

// Deterministic random int8 data for the kernel tests.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace nestrt::kernels {

// n values uniform in [lo, hi].
inline std::vector<int8_t> random_int8(size_t n, std::mt19937& rng, int lo = -128, int hi = 127) {
  std::uniform_int_distribution<int> value(lo, hi);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(value(rng));
  return v;
}

}  // namespace nestrt::kernels

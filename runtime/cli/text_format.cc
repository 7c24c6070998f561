#include "text_format.h"

#include <cstdio>

#include "nestrt/nestrt.h"

namespace nestrt::cli {

std::string short_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 3) v /= 1024.0, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
  return buf;
}

std::string human_bytes(uint64_t bytes) {
  return short_bytes(bytes) + " (" + std::to_string(bytes) + " B)";
}

std::string milliseconds(uint64_t nanoseconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f ms", static_cast<double>(nanoseconds) / 1e6);
  return buf;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string switch_histogram_string(const uint64_t* buckets) {
  static const char* const kBounds[NESTRT_SWITCH_HISTOGRAM_BUCKETS] = {"<16us",  "<64us",   "<256us",  "<1.02ms",
                                                                       "<4.1ms", "<16.4ms", "<65.5ms", ">=65.5ms"};
  std::string s;
  for (size_t b = 0; b < NESTRT_SWITCH_HISTOGRAM_BUCKETS; ++b) {
    s += (b ? "  " : "") + std::string(kBounds[b]) + " " + std::to_string(buckets[b]);
  }
  return s;
}

}  // namespace nestrt::cli

// Small text helpers for CLI output: byte sizes, durations, shapes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nestrt::cli {

std::string human_bytes(uint64_t bytes);         // "1.23 MiB (1290240 B)"
std::string short_bytes(uint64_t bytes);         // "1.23 MiB"
std::string milliseconds(uint64_t nanoseconds);  // "12.345 ms"
std::string shape_string(const std::vector<int64_t>& shape);
// "<16us 3  <64us 0 ... >=65.5ms 0": nestrt_stats.switch_histogram, bucket bounds from nestrt.h.
std::string switch_histogram_string(const uint64_t* buckets);

}  // namespace nestrt::cli

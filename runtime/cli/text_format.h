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

}  // namespace nestrt::cli

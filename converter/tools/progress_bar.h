#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

namespace nestrt::converter {

// Calibration progress on a stream: a redrawn bar when it is a terminal, otherwise a line about
// every 10 % so logs stay short.
class ProgressBar {
 public:
  ProgressBar(std::FILE* stream, std::string label);
  void update(size_t done, size_t total);

 private:
  std::FILE* stream_;
  std::string label_;
  bool terminal_;
  size_t last_reported_ = 0;
};

}  // namespace nestrt::converter

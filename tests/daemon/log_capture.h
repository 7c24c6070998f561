// Captures the daemon's log lines for the duration of a test (and still prints them to stderr,
// so a failing test shows what the daemon said).
#pragma once

#include <cstdio>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "log.h"

namespace nestrt::daemon::testing {

class LogCapture {
 public:
  LogCapture() {
    set_log_sink([this](LogLevel level, const std::string& line) {
      std::lock_guard lock(mutex_);
      lines_.push_back({level, line});
      std::fprintf(stderr, "nestrtd[test]: %s\n", line.c_str());
    });
  }
  ~LogCapture() { set_log_sink(nullptr); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  size_t count(LogLevel level, const std::string& needle) {
    std::lock_guard lock(mutex_);
    size_t n = 0;
    for (const auto& [l, line] : lines_) n += l == level && line.find(needle) != std::string::npos;
    return n;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<LogLevel, std::string>> lines_;
};

}  // namespace nestrt::daemon::testing

// Journal-friendly logging: one line per event on stderr, "nestrtd: <level>: <event> key=value...".
// Under systemd (JOURNAL_STREAM set) each line starts with the sd-daemon "<N>" priority prefix so
// journalctl shows the right level. Thread-safe; a test may capture the lines.
#pragma once

#include <functional>
#include <string>

namespace nestrt::daemon {

enum class LogLevel { kError = 3, kWarning = 4, kInfo = 6, kDebug = 7 };

void log_line(LogLevel level, const std::string& message);
inline void log_error(const std::string& m) {
  log_line(LogLevel::kError, m);
}
inline void log_warning(const std::string& m) {
  log_line(LogLevel::kWarning, m);
}
inline void log_info(const std::string& m) {
  log_line(LogLevel::kInfo, m);
}
inline void log_debug(const std::string& m) {
  log_line(LogLevel::kDebug, m);
}

// Replaces the sink (tests); nullptr restores stderr. Debug lines are dropped unless verbose.
void set_log_sink(std::function<void(LogLevel, const std::string&)> sink);
void set_log_verbose(bool verbose);

}  // namespace nestrt::daemon

#include "log.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace nestrt::daemon {
namespace {
std::mutex g_mutex;
std::function<void(LogLevel, const std::string&)> g_sink;
bool g_verbose = false;

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "info";
}
}  // namespace

void set_log_sink(std::function<void(LogLevel, const std::string&)> sink) {
  std::lock_guard lock(g_mutex);
  g_sink = std::move(sink);
}
void set_log_verbose(bool verbose) {
  std::lock_guard lock(g_mutex);
  g_verbose = verbose;
}

void log_line(LogLevel level, const std::string& message) {
  std::lock_guard lock(g_mutex);
  if (level == LogLevel::kDebug && !g_verbose) return;
  if (g_sink) {
    g_sink(level, message);
    return;
  }
  static const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  std::string line;
  if (journal) line = "<" + std::to_string(static_cast<int>(level)) + ">";
  line += "nestrtd: ";
  line += level_name(level);
  line += ": ";
  for (char c : message) line += (c == '\n' ? ' ' : c);  // one event, one line
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace nestrt::daemon

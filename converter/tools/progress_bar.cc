#include "progress_bar.h"

#include <unistd.h>

namespace nestrt::converter {

ProgressBar::ProgressBar(std::FILE* stream, std::string label)
    : stream_(stream), label_(std::move(label)), terminal_(isatty(fileno(stream)) != 0) {}

void ProgressBar::update(size_t done, size_t total) {
  if (total == 0) return;
  if (terminal_) {
    constexpr size_t kWidth = 40;
    const size_t filled = done * kWidth / total;
    std::fprintf(stream_, "\r%s [%s%s] %zu/%zu", label_.c_str(), std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), done, total);
    if (done == total) std::fputc('\n', stream_);
    std::fflush(stream_);
    return;
  }
  // Report at each new tenth (and at the end).
  const size_t tenth = done * 10 / total;
  if (done == total || tenth > last_reported_) {
    last_reported_ = tenth;
    std::fprintf(stream_, "%s: %zu/%zu samples\n", label_.c_str(), done, total);
    std::fflush(stream_);
  }
}

}  // namespace nestrt::converter

#include "nestrt/format/fault_injection.h"

#include <atomic>
#include <mutex>

namespace nestrt::fault_injection {
namespace {

struct Armed {
  int error = 0;
  int times = 0;
};

constexpr int kCalls = static_cast<int>(Call::kCount);
std::atomic<bool> g_any{false};  // the fast path's only load
std::mutex g_mutex;
Armed g_armed[kCalls];

}  // namespace

void arm(Call call, int error, int times) {
  std::lock_guard lock(g_mutex);
  g_armed[static_cast<int>(call)] = {error, times};
  g_any.store(true, std::memory_order_release);
}

void disarm_all() {
  std::lock_guard lock(g_mutex);
  for (Armed& a : g_armed) a = {};
  g_any.store(false, std::memory_order_release);
}

int take(Call call) {
  if (!g_any.load(std::memory_order_relaxed)) return 0;
  std::lock_guard lock(g_mutex);
  Armed& a = g_armed[static_cast<int>(call)];
  if (a.times <= 0) return 0;
  --a.times;
  return a.error;
}

}  // namespace nestrt::fault_injection

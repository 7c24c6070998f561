#include "mapping_guard.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

namespace nestrt::runtime {
namespace {

// Fixed table read by the signal handler without locks: a slot is live while begin < end.
constexpr int kSlots = 64;
struct Slot {
  std::atomic<uintptr_t> begin{0}, end{0};
  std::atomic<uint64_t> faults{0};
};
Slot g_slots[kSlots];
std::mutex g_table_mutex;  // writers only
struct sigaction g_previous {};

void forward(int sig, siginfo_t* info, void* context) {
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction != nullptr) g_previous.sa_sigaction(sig, info, context);
    return;
  }
  if (g_previous.sa_handler == SIG_IGN) return;
  if (g_previous.sa_handler == SIG_DFL) {
    // Restore the default action; returning re-executes the faulting access, which now kills us.
    signal(sig, SIG_DFL);
    return;
  }
  g_previous.sa_handler(sig);
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
  const auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (Slot& slot : g_slots) {
    if (addr < slot.begin.load(std::memory_order_acquire) || addr >= slot.end.load(std::memory_order_acquire)) {
      continue;
    }
    // mmap is a plain system call here (not on POSIX's async-signal-safe list, but it takes no
    // user-space lock). A zero page lets the access complete; the run is failed afterwards.
    const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    void* p = mmap(reinterpret_cast<void*>(addr / page * page), page, PROT_READ,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p == MAP_FAILED) break;  // cannot recover: act as if it were not ours
    slot.faults.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  forward(sig, info, context);
}

void install_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = on_sigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &g_previous);
  });
}

}  // namespace

MappingGuard::MappingGuard(const uint8_t* begin, size_t size) {
  install_once();
  std::lock_guard lock(g_table_mutex);
  for (int i = 0; i < kSlots; ++i) {
    if (g_slots[i].end.load() != 0) continue;
    g_slots[i].faults.store(0);
    g_slots[i].begin.store(reinterpret_cast<uintptr_t>(begin), std::memory_order_release);
    g_slots[i].end.store(reinterpret_cast<uintptr_t>(begin) + size, std::memory_order_release);
    slot_ = i;
    return;
  }
}

MappingGuard::~MappingGuard() {
  if (slot_ < 0) return;
  std::lock_guard lock(g_table_mutex);
  g_slots[slot_].end.store(0, std::memory_order_release);
  g_slots[slot_].begin.store(0, std::memory_order_release);
}

uint64_t MappingGuard::faults() const {
  return slot_ < 0 ? 0 : g_slots[slot_].faults.load(std::memory_order_relaxed);
}

}  // namespace nestrt::runtime

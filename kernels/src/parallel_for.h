// Runs fn(t) for t in [0, n) on a pthreadpool's threads, or inline without a pool (internal).
// Callers give each t its own slice of scratch and of the output.
#pragma once

#include <pthreadpool.h>

#include <algorithm>

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

// pthreadpool is not built with ThreadSanitizer, so TSan cannot see that its dispatch orders the
// caller's writes before the workers' reads and the workers' writes before the caller's return:
// every threaded run would be reported as a race. These annotations tell it what the pool does.
#if defined(__SANITIZE_THREAD__)
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#define NESTRT_TSAN_ACQUIRE(p) __tsan_acquire(p)
#define NESTRT_TSAN_RELEASE(p) __tsan_release(p)
#else
#define NESTRT_TSAN_ACQUIRE(p) static_cast<void>(p)
#define NESTRT_TSAN_RELEASE(p) static_cast<void>(p)
#endif

namespace nestrt::kernels {

template <typename Fn>
void parallel_for(pthreadpool_t pool, size_t n, Fn fn) {
  if (pool == nullptr || n <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  NESTRT_TSAN_RELEASE(&fn);
  pthreadpool_parallelize_1d(
      pool,
      [](void* ctx, size_t i) {
        NESTRT_TSAN_ACQUIRE(ctx);
        (*static_cast<Fn*>(ctx))(i);
        NESTRT_TSAN_RELEASE(ctx);
      },
      &fn, n, 0);
  NESTRT_TSAN_ACQUIRE(&fn);
}

// Runs fn(i, slot) for i in [0, n), one task per i, so pthreadpool's work stealing balances
// uneven threads (a busy or slower core, big.LITTLE) instead of a fixed split. slot < slots names
// a scratch buffer no concurrently running task holds: a task claims a free one and gives it back.
// slots must be at least the pool's thread count; pools above 64 threads fall back to a fixed
// split of tasks (slot = the split's index).
template <typename Fn>
void parallel_for_slots(pthreadpool_t pool, size_t n, size_t slots, Fn fn) {
  if (pool == nullptr || n <= 1) {
    for (size_t i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  if (slots > 64) {
    const size_t tasks = std::min(slots, n);
    parallel_for(pool, tasks, [&](size_t t) {
      for (size_t i = t; i < n; i += tasks) fn(i, t);
    });
    return;
  }
  std::atomic<uint64_t> busy{0};
  parallel_for(pool, n, [&](size_t i) {
    size_t slot = 0;
    for (;;) {  // the lowest free slot; another task may take it first, then try again
      slot = size_t(std::countr_one(busy.load(std::memory_order_relaxed)));
      const uint64_t bit = uint64_t{1} << slot;
      if ((busy.fetch_or(bit, std::memory_order_acquire) & bit) == 0) break;
    }
    fn(i, slot);
    busy.fetch_and(~(uint64_t{1} << slot), std::memory_order_release);
  });
}

// Runs fn(begin, end) over [0, rows) in tasks of about 16 KiB of output (rows of row_bytes
// each): the layout-copy kernels (resize, zero insertion) use threads only for tensors worth it.
template <typename Fn>
void parallel_for_row_tasks(pthreadpool_t pool, size_t rows, size_t row_bytes, Fn fn) {
  if (rows == 0 || row_bytes == 0) return;
  constexpr size_t kTaskBytes = 16384;
  const size_t rows_per_task = std::max<size_t>(1, kTaskBytes / row_bytes);
  parallel_for(pool, (rows + rows_per_task - 1) / rows_per_task, [&](size_t task) {
    const size_t begin = task * rows_per_task;
    fn(begin, std::min(rows, begin + rows_per_task));
  });
}

}  // namespace nestrt::kernels

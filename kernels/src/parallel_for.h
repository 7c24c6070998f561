// Runs fn(t) for t in [0, n) on a pthreadpool's threads, or inline without a pool (internal).
// Callers give each t its own slice of scratch and of the output.
#pragma once

#include <pthreadpool.h>

#include <cstddef>

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

}  // namespace nestrt::kernels

// Allocation failures (issue 7): this test program replaces the global operator new with one that
// fails after a chosen number of allocations, then loads models and creates sessions with every
// failure point in turn. Each call must return NESTRT_OUT_OF_MEMORY with a message, or succeed —
// never crash or leak (the sanitizer build runs it with LeakSanitizer).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "nestrt/nestrt.h"
#include "tiny_model.h"

namespace {

std::atomic<long> g_allocations_left{-1};  // -1: never fail

void* allocate(std::size_t size, std::size_t alignment) {
  if (g_allocations_left.load() >= 0 && g_allocations_left.fetch_sub(1) == 0) throw std::bad_alloc();
  void* p = nullptr;
  if (alignment <= alignof(std::max_align_t)) {
    p = std::malloc(size ? size : 1);
  } else if (posix_memalign(&p, alignment, size ? size : 1) != 0) {
    p = nullptr;
  }
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

void* allocate_or_null(std::size_t size, std::size_t alignment) noexcept {
  try {
    return allocate(size, alignment);
  } catch (...) {
    return nullptr;
  }
}

// Runs call() with allocation failure after 0, 1, 2, ... allocations until it succeeds; returns
// how many failure points it went through.
template <typename Call>
int sweep(const char* what, Call call) {
  for (int n = 0; n < 100000; ++n) {
    g_allocations_left.store(n);
    const nestrt_status status = call();
    g_allocations_left.store(-1);
    if (status == NESTRT_OK) return n;
    EXPECT_EQ(status, NESTRT_OUT_OF_MEMORY)
        << what << " failing after " << n << " allocations: " << nestrt_last_error();
    EXPECT_NE(std::string(nestrt_last_error()).find("out of memory"), std::string::npos) << nestrt_last_error();
    if (::testing::Test::HasFailure()) return n;
  }
  ADD_FAILURE() << what << " never succeeded";
  return -1;
}

TEST(AllocationFailure, LoadAndSessionCreationReportOutOfMemory) {
  nestrt::testing::TempPath path("alloc.nest");
  nestrt::testing::write_tiny_model(path.str());
  nestrt_model* model = nullptr;
  const int load_points =
      sweep("nestrt_model_load", [&] { return nestrt_model_load(path.str().c_str(), nullptr, &model); });
  ASSERT_NE(model, nullptr);
  EXPECT_GT(load_points, 0) << "loading allocates, so some failure point must have been hit";

  nestrt_session* session = nullptr;
  const int session_points =
      sweep("nestrt_session_create", [&] { return nestrt_session_create(model, nullptr, &session); });
  ASSERT_NE(session, nullptr);
  EXPECT_GT(session_points, 0);

  // Runs allocate nothing (the plan is made at session creation): even with no allocation left,
  // inference works.
  std::vector<float> x(3 * 6 * 5, 0.25f), y(3);
  g_allocations_left.store(0);
  const nestrt_status run = nestrt_run(session, x.data(), x.size(), y.data(), y.size(), nullptr);
  g_allocations_left.store(-1);
  EXPECT_EQ(run, NESTRT_OK) << nestrt_last_error();
  nestrt_session_destroy(session);
  nestrt_model_release(model);
}

}  // namespace

// Every new/delete pair must come from this file, the nothrow forms too (std::stable_sort's
// temporary buffer uses them), or the sanitizers see mismatched allocators.
void* operator new(std::size_t size) {
  return allocate(size, 0);
}
void* operator new[](std::size_t size) {
  return allocate(size, 0);
}
void* operator new(std::size_t size, std::align_val_t a) {
  return allocate(size, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t size, std::align_val_t a) {
  return allocate(size, static_cast<std::size_t>(a));
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return allocate_or_null(size, 0);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return allocate_or_null(size, 0);
}
void* operator new(std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_or_null(size, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t size, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_or_null(size, static_cast<std::size_t>(a));
}
// clang-format off
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
// clang-format on

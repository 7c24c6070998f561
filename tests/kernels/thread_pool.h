// A pthreadpool owned by a test.
#pragma once

#include <pthreadpool.h>

#include <cstddef>

namespace nestrt::kernels::testing {

class Pool {
 public:
  explicit Pool(size_t n) : pool_(pthreadpool_create(n)) {}
  ~Pool() { pthreadpool_destroy(pool_); }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;
  pthreadpool_t get() const { return pool_; }

 private:
  pthreadpool_t pool_;
};

}  // namespace nestrt::kernels::testing

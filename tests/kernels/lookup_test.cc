// Table lookup: the reference indexes the table by x + 128, and the portable threaded kernel gives
// the reference's bits for lengths around its task size and any thread count.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "nestrt/kernels/elementwise.h"
#include "nestrt/kernels/reference.h"
#include "random_int8.h"
#include "thread_pool.h"

namespace nestrt::kernels {
namespace {

TEST(LookupTest, ReferenceIndexesTheTableByInputPlus128) {
  std::vector<int8_t> table(256);
  for (int i = 0; i < 256; ++i) table[size_t(i)] = static_cast<int8_t>(127 - i);  // y = -1 - x
  std::vector<int8_t> x, y(256);
  for (int v = -128; v <= 127; ++v) x.push_back(static_cast<int8_t>(v));
  qs8_lookup__ref(x.size(), table.data(), x.data(), y.data());
  for (size_t i = 0; i < x.size(); ++i) ASSERT_EQ(int{y[i]}, -1 - int{x[i]}) << "x " << int{x[i]};
  EXPECT_EQ(y.front(), 127);  // x = -128 reads table[0]
  EXPECT_EQ(y.back(), -128);  // x = 127 reads table[255]
}

TEST(LookupTest, PortableMatchesReferenceForSizesAndThreads) {
  std::mt19937 rng(41);
  const testing::Pool pool2(2), pool3(3), pool4(4);
  const pthreadpool_t pools[] = {nullptr, pool2.get(), pool3.get(), pool4.get()};
  for (size_t count : {0, 1, 15, 16, 17, 255, 1000, 16383, 16384, 16385, 100000}) {
    for (pthreadpool_t pool : pools) {
      const auto table = random_int8(256, rng), x = random_int8(count, rng);
      std::vector<int8_t> want(count), got(count + 1, int8_t{77});
      qs8_lookup__ref(count, table.data(), x.data(), want.data());
      qs8_lookup__portable(count, table.data(), x.data(), got.data(), pool);
      ASSERT_EQ(got[count], 77) << "wrote past the end";
      got.resize(count);
      ASSERT_EQ(got, want) << count;
    }
  }
}

}  // namespace
}  // namespace nestrt::kernels

// Zero insertion (a transposed convolution's stride): the reference against an independent
// construction (a zero-point canvas with each input pixel written at its stride multiple), and the
// portable threaded kernel against the reference byte for byte over shapes, strides and thread counts.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "nestrt/kernels/elementwise.h"
#include "nestrt/kernels/reference.h"
#include "random_int8.h"
#include "thread_pool.h"

namespace nestrt::kernels {
namespace {

std::vector<int8_t> canvas(const ZeroInsertGeometry& g, int8_t zero_point, const std::vector<int8_t>& in) {
  const size_t oh = (g.in_h - 1) * g.stride_h + 1, ow = (g.in_w - 1) * g.stride_w + 1;
  std::vector<int8_t> out(g.batch * oh * ow * g.channels, zero_point);
  for (size_t n = 0; n < g.batch; ++n)
    for (size_t y = 0; y < g.in_h; ++y)
      for (size_t x = 0; x < g.in_w; ++x)
        for (size_t c = 0; c < g.channels; ++c) {
          out[((n * oh + y * g.stride_h) * ow + x * g.stride_w) * g.channels + c] =
              in[((n * g.in_h + y) * g.in_w + x) * g.channels + c];
        }
  return out;
}

TEST(ZeroInsertTest, HandWorkedTwoByTwoByStridesTwoAndThree) {
  // [1, 2, 2, 1] by (2, 3), zero point -5: [[1, 2], [3, 4]] becomes 3 x 4.
  const std::vector<int8_t> in = {1, 2, 3, 4};
  const ZeroInsertGeometry g{1, 2, 2, 1, 2, 3};
  EXPECT_EQ(g.out_h(), 3u);
  EXPECT_EQ(g.out_w(), 4u);
  std::vector<int8_t> out(12);
  qs8_zero_insert__ref(g, -5, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{1, -5, -5, 2,    //
                                      -5, -5, -5, -5,  //
                                      3, -5, -5, 4}));
  std::vector<int8_t> fast(12);
  qs8_zero_insert__portable(g, -5, in.data(), fast.data());
  EXPECT_EQ(fast, out);
}

TEST(ZeroInsertTest, ReferenceAndPortableMatchTheCanvasConstruction) {
  std::mt19937 rng(52);
  const testing::Pool pool2(2), pool3(3), pool5(5);
  const pthreadpool_t pools[] = {nullptr, pool2.get(), pool3.get(), pool5.get()};
  int trial = 0;
  for (size_t batch : {1, 2}) {
    for (size_t h : {1, 3, 7}) {
      for (size_t w : {1, 2, 13}) {
        for (size_t c : {1, 3, 16, 40}) {
          for (auto [sh, sw] : {std::pair<size_t, size_t>{1, 1}, {2, 2}, {1, 3}, {4, 1}, {3, 5}, {64, 2}}) {
            const ZeroInsertGeometry g{batch, h, w, c, sh, sw};
            const auto in = random_int8(batch * h * w * c, rng);
            const auto zero_point = static_cast<int8_t>(static_cast<int>(rng() % 256) - 128);
            const std::vector<int8_t> want = canvas(g, zero_point, in);
            ASSERT_EQ(want.size(), batch * g.out_h() * g.out_w() * c);
            for (const pthreadpool_t pool : pools) {
              std::vector<int8_t> ref(want.size() + 1, int8_t{77}), fast(want.size() + 1, int8_t{77});
              qs8_zero_insert__ref(g, zero_point, in.data(), ref.data());
              qs8_zero_insert__portable(g, zero_point, in.data(), fast.data(), pool);
              ASSERT_EQ(ref[want.size()], 77) << "wrote past the end";
              ASSERT_EQ(fast[want.size()], 77) << "wrote past the end";
              ref.resize(want.size()), fast.resize(want.size());
              ASSERT_EQ(ref, want) << batch << "x" << h << "x" << w << "x" << c << " by " << sh << "x" << sw;
              ASSERT_EQ(fast, ref) << batch << "x" << h << "x" << w << "x" << c << " by " << sh << "x" << sw
                                   << ", pool " << trial % 4;
              ++trial;
            }
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace nestrt::kernels

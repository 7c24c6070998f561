// Nearest-neighbour upsampling by integer factors: the reference against an independent
// construction (each input pixel written into its scale_h x scale_w block), and the portable
// threaded kernel against the reference byte for byte over shapes, factors and thread counts.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "nestrt/kernels/elementwise.h"
#include "nestrt/kernels/reference.h"
#include "random_int8.h"
#include "thread_pool.h"

namespace nestrt::kernels {
namespace {

// Every input pixel (n, y, x) fills output pixels (n, y * sh + i, x * sw + j) for i < sh, j < sw.
std::vector<int8_t> blocks(const ResizeGeometry& g, const std::vector<int8_t>& in) {
  const size_t oh = g.in_h * g.scale_h, ow = g.in_w * g.scale_w;
  std::vector<int8_t> out(g.batch * oh * ow * g.channels);
  for (size_t n = 0; n < g.batch; ++n)
    for (size_t y = 0; y < g.in_h; ++y)
      for (size_t x = 0; x < g.in_w; ++x)
        for (size_t i = 0; i < g.scale_h; ++i)
          for (size_t j = 0; j < g.scale_w; ++j)
            for (size_t c = 0; c < g.channels; ++c) {
              out[((n * oh + y * g.scale_h + i) * ow + x * g.scale_w + j) * g.channels + c] =
                  in[((n * g.in_h + y) * g.in_w + x) * g.channels + c];
            }
  return out;
}

TEST(ResizeTest, HandWorkedTwoByTwoToFourBySix) {
  // [1, 2, 2, 1] by (2, 3): each value becomes a 2 x 3 block.
  const std::vector<int8_t> in = {1, 2, 3, 4};
  const ResizeGeometry g{1, 2, 2, 1, 2, 3};
  std::vector<int8_t> out(24);
  qs8_resize_nearest__ref(g, in.data(), out.data());
  EXPECT_EQ(out, (std::vector<int8_t>{1, 1, 1, 2, 2, 2,  //
                                      1, 1, 1, 2, 2, 2,  //
                                      3, 3, 3, 4, 4, 4,  //
                                      3, 3, 3, 4, 4, 4}));
  std::vector<int8_t> fast(24);
  qs8_resize_nearest__portable(g, in.data(), fast.data());
  EXPECT_EQ(fast, out);
}

TEST(ResizeTest, ReferenceAndPortableMatchTheBlockConstruction) {
  std::mt19937 rng(51);
  const testing::Pool pool2(2), pool3(3), pool5(5);
  const pthreadpool_t pools[] = {nullptr, pool2.get(), pool3.get(), pool5.get()};
  int trial = 0;
  for (size_t batch : {1, 2}) {
    for (size_t h : {1, 3, 7}) {
      for (size_t w : {1, 2, 13}) {
        for (size_t c : {1, 3, 16, 40}) {
          for (auto [sh, sw] : {std::pair<size_t, size_t>{1, 1}, {2, 2}, {1, 3}, {4, 1}, {3, 5}, {64, 2}}) {
            const ResizeGeometry g{batch, h, w, c, sh, sw};
            const auto in = random_int8(batch * h * w * c, rng);
            const std::vector<int8_t> want = blocks(g, in);
            std::vector<int8_t> ref(want.size() + 1, int8_t{77}), fast(want.size() + 1, int8_t{77});
            qs8_resize_nearest__ref(g, in.data(), ref.data());
            qs8_resize_nearest__portable(g, in.data(), fast.data(), pools[trial++ % 4]);
            ASSERT_EQ(ref[want.size()], 77) << "wrote past the end";
            ASSERT_EQ(fast[want.size()], 77) << "wrote past the end";
            ref.resize(want.size()), fast.resize(want.size());
            ASSERT_EQ(ref, want) << batch << "x" << h << "x" << w << "x" << c << " by " << sh << "x" << sw;
            ASSERT_EQ(fast, want) << batch << "x" << h << "x" << w << "x" << c << " by " << sh << "x" << sw;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace nestrt::kernels

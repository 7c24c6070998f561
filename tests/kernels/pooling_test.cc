// The fast pooling kernels against the reference, bit for bit: max and average, windows with and
// without padding (count_include_pad both ways), strides, global pooling, channel counts around
// the 64-channel block, zero points, clamps, tie-making and saturating multipliers.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "nestrt/kernels/pooling.h"
#include "nestrt/kernels/reference.h"
#include "thread_pool.h"

namespace nestrt::kernels {
namespace {

struct Case {
  int in_h, in_w, channels, kernel_h, kernel_w, stride, pad;
};

TEST(PoolingTest, PortableMatchesReference) {
  const std::vector<Case> cases = {{8, 8, 16, 2, 2, 2, 0}, {7, 9, 3, 3, 3, 2, 1},  {112, 112, 64, 3, 3, 2, 1},
                                   {5, 5, 63, 3, 3, 1, 1}, {4, 4, 65, 4, 4, 1, 0}, {7, 7, 1280, 7, 7, 1, 0},
                                   {1, 1, 10, 1, 1, 1, 0}, {6, 5, 130, 3, 2, 1, 1}};
  std::mt19937 rng(31);
  std::uniform_int_distribution<int> byte(-128, 127), coin(0, 3);
  const testing::Pool pool(3);  // odd trials share the rows among 3 threads: the same bits
  for (const Case& c : cases) {
    for (bool include_pad : {false, true}) {
      PoolGeometry g;
      g.in_h = c.in_h, g.in_w = c.in_w, g.channels = c.channels, g.kernel_h = c.kernel_h, g.kernel_w = c.kernel_w;
      g.stride_h = g.stride_w = c.stride, g.pad_top = g.pad_left = c.pad, g.count_include_pad = include_pad;
      g.out_h = conv_output_size(c.in_h, c.kernel_h, c.stride, 1, c.pad, c.pad);
      g.out_w = conv_output_size(c.in_w, c.kernel_w, c.stride, 1, c.pad, c.pad);
      std::vector<int8_t> input(size_t(c.in_h) * c.in_w * c.channels);
      for (auto& v : input) v = static_cast<int8_t>(byte(rng));
      const size_t out = size_t(g.out_h) * g.out_w * c.channels;
      const std::string what = std::to_string(c.in_h) + "x" + std::to_string(c.in_w) + "x" +
                               std::to_string(c.channels) + " k" + std::to_string(c.kernel_h) + "x" +
                               std::to_string(c.kernel_w) + " s" + std::to_string(c.stride) + " pad " +
                               std::to_string(c.pad) + (include_pad ? " include_pad" : "");
      for (int trial = 0; trial < 4; ++trial) {
        ActivationParams a{byte(rng), byte(rng), -128, 127};
        if (coin(rng) == 0) a.output_min = a.output_zero_point;
        if (coin(rng) == 0) a.output_max = std::min(127, a.output_zero_point + 30);
        const float multiplier = trial == 0 ? 1.0f : trial == 1 ? 4e5f : 0.5f + 0.01f * float(byte(rng) + 128);
        std::vector<int8_t> want(out), got(out, 0x33);
        qs8_maxpool2d__ref(g, a.output_min, a.output_max, input.data(), want.data());
        pthreadpool_t threads = trial % 2 ? pool.get() : nullptr;
        qs8_maxpool2d__portable(g, a.output_min, a.output_max, input.data(), got.data(), threads);
        ASSERT_EQ(got, want) << "max " << what << (threads ? " 3 threads" : "");
        qs8_avgpool2d__ref(g, a, multiplier, input.data(), want.data());
        qs8_avgpool2d__portable(g, a, multiplier, input.data(), got.data(), threads);
        ASSERT_EQ(got, want) << "average " << what << " multiplier " << multiplier << (threads ? " 3 threads" : "");
      }
    }
  }
}

}  // namespace
}  // namespace nestrt::kernels

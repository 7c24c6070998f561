#include <gtest/gtest.h>

#include "nestrt/io/data.h"

namespace nestrt::io {
namespace {

TEST(Preprocess, GrayDefaultScale) {
  const ImageU8 image{1, 2, 1, {0, 255}};
  const std::vector<float> x = image_to_nchw(image, Preprocess{});
  EXPECT_EQ(x, (std::vector<float>{0.0f, 255.0f * (1.0f / 255.0f)}));
}

TEST(Preprocess, RgbPerChannelMeanStdToChw) {
  // 1x2 RGB image: pixels (10,20,30) and (40,50,60).
  const ImageU8 image{1, 2, 3, {10, 20, 30, 40, 50, 60}};
  Preprocess p;
  p.scale = 1.0f;
  p.mean = {1, 2, 3};
  p.std = {1, 2, 3};
  p.color = Preprocess::Color::RGB;
  EXPECT_EQ(image_to_nchw(image, p), (std::vector<float>{9, 39, 9, 24, 9, 19}));
  p.color = Preprocess::Color::BGR;  // channel 0 of the input is blue
  EXPECT_EQ(image_to_nchw(image, p), (std::vector<float>{29, 59, 9, 24, 7.0f / 3.0f, 37.0f / 3.0f}));
}

TEST(Preprocess, SingleMeanStdAppliesToEveryChannel) {
  const ImageU8 image{1, 1, 3, {255, 0, 51}};
  Preprocess p;
  p.mean = {0.5f};
  p.std = {0.5f};
  p.color = Preprocess::Color::RGB;
  const std::vector<float> x = image_to_nchw(image, p);
  EXPECT_FLOAT_EQ(x[0], 1.0f);
  EXPECT_FLOAT_EQ(x[1], -1.0f);
  EXPECT_FLOAT_EQ(x[2], (51.0f / 255.0f - 0.5f) / 0.5f);
}

TEST(Preprocess, BadMeanCountOrZeroStdThrow) {
  const ImageU8 image{1, 1, 3, {1, 2, 3}};
  Preprocess p;
  p.mean = {0, 0};
  EXPECT_THROW(image_to_nchw(image, p), DataError);
  p.mean = {};
  p.std = {0};
  EXPECT_THROW(image_to_nchw(image, p), DataError);
}

}  // namespace
}  // namespace nestrt::io

#include <gtest/gtest.h>

#include "nestrt/io/data.h"
#include "test_files.h"

namespace nestrt::io {
namespace {

using testing::TempDir;
using testing::write_file;
using testing::write_png;

ImageU8 gradient(int h, int w, int c) {
  ImageU8 image{h, w, c, std::vector<uint8_t>(static_cast<size_t>(h) * w * c)};
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = static_cast<uint8_t>(i * 13 + 5);
  return image;
}

TEST(Image, PngRoundTripGrayAndRgb) {
  TempDir dir;
  const ImageU8 gray = gradient(5, 7, 1), rgb = gradient(4, 3, 3);
  write_png(dir.file("gray.png"), gray);
  write_png(dir.file("rgb.PNG"), rgb);
  const ImageU8 g = load_image(dir.file("gray.png"), 1);
  EXPECT_EQ(g.height, 5);
  EXPECT_EQ(g.width, 7);
  EXPECT_EQ(g.channels, 1);
  EXPECT_EQ(g.pixels, gray.pixels);
  EXPECT_EQ(load_image(dir.file("rgb.PNG"), 3).pixels, rgb.pixels);
  // Gray expands to three equal channels.
  const ImageU8 g3 = load_image(dir.file("gray.png"), 3);
  ASSERT_EQ(g3.pixels.size(), gray.pixels.size() * 3);
  EXPECT_EQ(g3.pixels[3 * 4 + 2], gray.pixels[4]);
  EXPECT_TRUE(has_image_extension(dir.file("rgb.PNG")));
  EXPECT_FALSE(has_image_extension(dir.file("x.npy")));
}

TEST(Image, CorruptAndMissingFilesThrow) {
  TempDir dir;
  write_file(dir.file("bad.png"), {0x89, 'P', 'N', 'G', 1, 2, 3});
  try {
    load_image(dir.file("bad.png"), 1);
    FAIL() << "no exception";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.png: cannot decode image"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_image(dir.file("none.png"), 1), DataError);
  EXPECT_THROW(load_image(dir.file("bad.png"), 2), DataError);
}

TEST(Image, ResizeBilinear) {
  const ImageU8 image = gradient(6, 8, 3);
  const ImageU8 same = resize_bilinear(image, 6, 8);
  EXPECT_EQ(same.pixels, image.pixels);

  // 2x2 -> 4x4 with half-pixel centres: corners keep their values, inner samples blend 3:1.
  const ImageU8 small{2, 2, 1, {0, 100, 200, 40}};
  const ImageU8 big = resize_bilinear(small, 4, 4);
  EXPECT_EQ(big.pixels[0], 0);
  EXPECT_EQ(big.pixels[3], 100);
  EXPECT_EQ(big.pixels[12], 200);
  EXPECT_EQ(big.pixels[15], 40);
  EXPECT_EQ(big.pixels[1], 25);  // 0.75 * 0 + 0.25 * 100

  const ImageU8 down = resize_bilinear(gradient(28, 28, 1), 14, 14);
  EXPECT_EQ(down.pixels.size(), 14u * 14u);
  EXPECT_THROW(resize_bilinear(small, 0, 4), DataError);
}

}  // namespace
}  // namespace nestrt::io

// Image geometry before the per-pixel step (resize shorter side / exact, centre crop) and .npy
// layouts: expected values are worked out by hand here, not by calling the code under test.
#include <gtest/gtest.h>

#include "nestrt/io/data.h"
#include "test_files.h"

namespace nestrt::io {
namespace {

using testing::error_of;
using testing::npy_bytes;
using testing::npy_f32;
using testing::TempDir;
using testing::write_file;

// Gray image with pixel (y, x) = 10 * y + x.
ImageU8 gradient10(int height, int width) {
  ImageU8 image{height, width, 1, std::vector<uint8_t>(static_cast<size_t>(height) * width)};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) image.pixels[static_cast<size_t>(y) * width + x] = static_cast<uint8_t>(10 * y + x);
  }
  return image;
}

// torchvision: int(round((in - out) / 2.0)), Python 3 rounding halves to even.
TEST(Geometry, CenterCropOffsetsRoundHalvesToEvenLikeTorchvision) {
  // difference:                0  1  2  3  4  5  6  7  8  9
  const int expected[] = {0, 0, 1, 2, 2, 2, 3, 4, 4, 4};
  for (int d = 0; d < 10; ++d) EXPECT_EQ(center_crop_offset(224 + d, 224), expected[d]) << "difference " << d;
  EXPECT_EQ(center_crop_offset(256, 224), 16);
  EXPECT_EQ(center_crop_offset(341, 224), 58);  // 117 / 2 = 58.5 -> 58 (even)
  EXPECT_EQ(center_crop_offset(343, 224), 60);  // 119 / 2 = 59.5 -> 60 (even)
}

TEST(Geometry, CenterCropOfAGradientAtOddAndEvenDifferences) {
  const ImageU8 image = gradient10(7, 10);
  // 7 -> 4 (difference 3: top 2), 10 -> 5 (difference 5: left 2).
  const ImageU8 odd = center_crop(image, 4, 5);
  ASSERT_EQ(odd.height, 4);
  ASSERT_EQ(odd.width, 5);
  EXPECT_EQ(odd.pixels,
            (std::vector<uint8_t>{22, 23, 24, 25, 26, 32, 33, 34, 35, 36, 42, 43, 44, 45, 46, 52, 53, 54, 55, 56}));
  // 7 -> 5 (difference 2: top 1), 10 -> 9 (difference 1: left 0).
  const ImageU8 mixed = center_crop(image, 5, 9);
  EXPECT_EQ(mixed.pixels.front(), 10);
  EXPECT_EQ(mixed.pixels[8], 18);
  EXPECT_EQ(mixed.pixels.back(), 58);
  EXPECT_EQ(center_crop(image, 7, 10).pixels, image.pixels);

  // Channels stay interleaved: a 1x3 RGB row cropped to its middle pixel.
  const ImageU8 rgb{1, 3, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9}};
  EXPECT_EQ(center_crop(rgb, 1, 1).pixels, (std::vector<uint8_t>{4, 5, 6}));

  EXPECT_EQ(error_of<DataError>([&] { center_crop(image, 8, 5); }), "centre crop 8x5 is larger than the image of 7x10");
}

TEST(Geometry, ShorterSideSizeFollowsTorchvisionResize) {
  // torchvision Resize(256) on 500 wide x 375 high: 256 high, int(256 * 500 / 375) = 341 wide.
  EXPECT_EQ(shorter_side_size(375, 500, 256), (std::array<int, 2>{256, 341}));
  EXPECT_EQ(shorter_side_size(500, 375, 256), (std::array<int, 2>{341, 256}));
  EXPECT_EQ(shorter_side_size(10, 10, 4), (std::array<int, 2>{4, 4}));
  EXPECT_EQ(shorter_side_size(3, 7, 5), (std::array<int, 2>{5, 11}));  // 35 / 3 = 11.67 -> 11
  EXPECT_EQ(shorter_side_size(6, 8, 3), (std::array<int, 2>{3, 4}));
}

TEST(Geometry, ShorterSideResizeThenCenterCrop) {
  Preprocess p;
  p.resize_shorter = 3;
  p.crop_height = 2;
  p.crop_width = 2;
  // 6x8 -> 3x4: each output pixel averages a 2x2 block (half-pixel centres, source 2o + 0.5), so
  // (oy, ox) = 10 * (2 oy + 0.5) + (2 ox + 0.5) = 20 oy + 2 ox + 5.5, rounded half to even:
  //   6  8 10 12 / 26 28 30 32 / 46 48 50 52.
  // Crop 3x4 -> 2x2: top round(0.5) = 0, left round(1) = 1.
  const ImageU8 out = apply_geometry(gradient10(6, 8), p, 2, 2, "test");
  ASSERT_EQ(out.height, 2);
  ASSERT_EQ(out.width, 2);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{8, 10, 28, 30}));

  // Portrait, pixel (y, x) = y + 10 * x: 8x6 -> 4x3 (rows 6 26 46 / 8 28 48 / 10 30 50 / 12 32 52),
  // crop top round(1) = 1, left round(0.5) = 0.
  ImageU8 portrait{8, 6, 1, std::vector<uint8_t>(48)};
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 6; ++x) portrait.pixels[static_cast<size_t>(y) * 6 + x] = static_cast<uint8_t>(y + 10 * x);
  }
  EXPECT_EQ(apply_geometry(portrait, p, 2, 2, "test").pixels, (std::vector<uint8_t>{8, 28, 10, 30}));
}

TEST(Geometry, ExactResizeThenCropAndDirectResize) {
  Preprocess p;
  p.resize_height = 6;  // the image already is 6x8: no resampling
  p.resize_width = 8;
  p.crop_height = 3;
  p.crop_width = 3;
  // top round(1.5) = 2, left round(2.5) = 2.
  EXPECT_EQ(apply_geometry(gradient10(6, 8), p, 3, 3, "x").pixels,
            (std::vector<uint8_t>{22, 23, 24, 32, 33, 34, 42, 43, 44}));

  // No geometry: straight to the input size, as before.
  const Preprocess direct;
  EXPECT_TRUE(direct.direct_resize());
  EXPECT_EQ(apply_geometry(gradient10(6, 8), direct, 3, 4, "x").pixels,
            (std::vector<uint8_t>{6, 8, 10, 12, 26, 28, 30, 32, 46, 48, 50, 52}));
}

TEST(Geometry, SizesThatDoNotGiveTheInputAreErrorsNamingThem) {
  Preprocess p;
  p.resize_shorter = 4;
  EXPECT_EQ(error_of<DataError>([&] { apply_geometry(gradient10(6, 8), p, 4, 4, "cat.png"); }),
            "cat.png: image of 6x8 becomes 4x5 (resize shorter side to 4), but the model input is 4x4");
  p.resize_shorter = 0;
  p.resize_height = 3;
  p.resize_width = 3;
  p.crop_height = 4;
  p.crop_width = 4;
  EXPECT_EQ(error_of<DataError>([&] { apply_geometry(gradient10(6, 8), p, 4, 4, "cat.png"); }),
            "cat.png: image of 6x8 resized to 3x3 is smaller than the centre crop 4x4 (resize to 3x3, centre crop "
            "4x4)");

  // The static checks the converter makes before it calibrates.
  Preprocess g;
  EXPECT_EQ(geometry_error(g, 224, 224), "");
  g.resize_shorter = 256;
  g.crop_height = g.crop_width = 224;
  EXPECT_EQ(geometry_error(g, 224, 224), "");
  EXPECT_EQ(geometry_error(g, 200, 224), "centre crop 224x224 differs from the model input 200x224");
  g.resize_shorter = 100;
  EXPECT_EQ(geometry_error(g, 224, 224),
            "centre crop 224x224 is larger than any image resized to a shorter side of 100");
  g.resize_shorter = 0;
  g.resize_height = 200;
  g.resize_width = 300;
  EXPECT_EQ(geometry_error(g, 224, 224), "centre crop 224x224 is larger than the resized image of 200x300");
  g.crop_height = g.crop_width = 0;
  EXPECT_EQ(geometry_error(g, 224, 224), "resize to 200x300 without a crop differs from the model input 224x224");
  g.resize_shorter = 224;
  EXPECT_EQ(geometry_error(g, 224, 224), "resize shorter side to 224 and resize to 200x300 exclude each other");
  g.resize_height = g.resize_width = 0;
  EXPECT_EQ(geometry_error(g, 224, 224), "");
  EXPECT_EQ(geometry_error(g, 224, 300), "");  // images of the model's aspect ratio fit
  EXPECT_EQ(geometry_error(g, 200, 300),
            "resize shorter side to 224 without a crop cannot give the model input 200x300");
  g.crop_height = 224;
  EXPECT_EQ(geometry_error(g, 224, 224), "centre crop 224x0 needs both a height and a width");
  g.crop_height = -1;
  EXPECT_EQ(geometry_error(g, 224, 224), "crop height -1 is outside 0..65536");
}

TEST(Geometry, SampleSourceAppliesItToPixelArrays) {
  TempDir dir;
  const ImageU8 image = gradient10(6, 8);
  write_file(dir.file("u8.npy"), npy_bytes("|u1", {1, 6, 8}, image.pixels));
  Preprocess p;
  p.scale = 1.0f;
  p.resize_shorter = 3;
  p.crop_height = p.crop_width = 2;
  EXPECT_EQ(SampleSource(dir.file("u8.npy"), {1, 1, 2, 2}, p).get(0), (std::vector<float>{8, 10, 28, 30}));
  p.crop_height = p.crop_width = 0;
  EXPECT_NE(error_of<DataError>([&] {
              SampleSource(dir.file("u8.npy"), {1, 1, 2, 2}, p).get(0);
            })
                .find("u8.npy (.npy [1,6,8]) sample 0: image of 6x8 becomes 3x4 (resize shorter side to 3), but the "
                      "model input is 2x2"),
            std::string::npos);

  // Float arrays are taken as preprocessed: no geometry, they must be H x W already.
  write_file(dir.file("f.npy"), npy_f32({1, 1, 2, 2}, {1, 2, 3, 4}));
  EXPECT_EQ(SampleSource(dir.file("f.npy"), {1, 1, 2, 2}, p).get(0), (std::vector<float>{1, 2, 3, 4}));
}

// [N,H,W,C] with --layout nhwc is the same data as [N,C,H,W].
TEST(Geometry, NhwcNpyEqualsTheSameDataAsNchw) {
  TempDir dir;
  const int n = 2, c = 3, h = 2, w = 4;
  const auto value = [](int i, int ch, int y, int x) { return static_cast<float>(i * 1000 + ch * 100 + y * 10 + x); };
  std::vector<float> nchw, nhwc;
  for (int i = 0; i < n; ++i) {
    for (int ch = 0; ch < c; ++ch) {
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) nchw.push_back(value(i, ch, y, x));
      }
    }
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        for (int ch = 0; ch < c; ++ch) nhwc.push_back(value(i, ch, y, x));
      }
    }
  }
  write_file(dir.file("nchw.npy"), npy_f32({n, c, h, w}, nchw));
  write_file(dir.file("nhwc.npy"), npy_f32({n, h, w, c}, nhwc));
  const SampleSource a(dir.file("nchw.npy"), {1, c, h, w}, Preprocess{});
  const SampleSource b(dir.file("nhwc.npy"), {1, c, h, w}, Preprocess{}, NpyLayout::kNHWC);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.description(), dir.file("nhwc.npy") + " (.npy [2,2,4,3] nhwc)");
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(b.get(i), a.get(i));
    EXPECT_EQ(b.get(i), std::vector<float>(nchw.begin() + static_cast<std::ptrdiff_t>(i) * c * h * w,
                                           nchw.begin() + static_cast<std::ptrdiff_t>(i + 1) * c * h * w));
  }
  // [H,W,C]: one sample.
  write_file(dir.file("hwc.npy"), npy_f32({h, w, c}, std::vector<float>(nhwc.begin() + c * h * w, nhwc.end())));
  EXPECT_EQ(SampleSource(dir.file("hwc.npy"), {1, c, h, w}, Preprocess{}, NpyLayout::kNHWC).get(0), a.get(1));

  // uint8 pixels: [N,H,W,C] is how images are stored; the same pixels planar give the same input.
  std::vector<uint8_t> planar, interleaved;
  for (float v : nchw) planar.push_back(static_cast<uint8_t>(static_cast<int>(v) % 251));
  for (float v : nhwc) interleaved.push_back(static_cast<uint8_t>(static_cast<int>(v) % 251));
  write_file(dir.file("u8_nchw.npy"), npy_bytes("|u1", {n, c, h, w}, planar));
  write_file(dir.file("u8_nhwc.npy"), npy_bytes("|u1", {n, h, w, c}, interleaved));
  Preprocess rgb;
  rgb.color = Preprocess::Color::RGB;
  const SampleSource pa(dir.file("u8_nchw.npy"), {1, c, h, w}, rgb);
  const SampleSource pb(dir.file("u8_nhwc.npy"), {1, c, h, w}, rgb, NpyLayout::kNHWC);
  EXPECT_EQ(pb.get(1), pa.get(1));

  // An NCHW file read as NHWC does not fit (C = 3 is not the last axis), and says so.
  EXPECT_EQ(error_of<DataError>([&] {
              SampleSource(dir.file("nchw.npy"), {1, c, h, w}, Preprocess{}, NpyLayout::kNHWC);
            }),
            dir.file("nchw.npy") +
                ": .npy array of shape [2,3,2,4] does not fit the model input [1,3,2,4] with --layout nhwc (expected "
                "[N,H,W,C] or [H,W,C] with C = 3)");
  EXPECT_EQ(parse_npy_layout("nhwc"), NpyLayout::kNHWC);
  EXPECT_THROW(parse_npy_layout("hwc"), DataError);
}

}  // namespace
}  // namespace nestrt::io

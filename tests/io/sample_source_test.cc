#include <gtest/gtest.h>

#include "nestrt/io/data.h"
#include "test_files.h"

namespace nestrt::io {
namespace {

using testing::error_of;
using testing::idx_images_bytes;
using testing::npy_bytes;
using testing::npy_f32;
using testing::TempDir;
using testing::write_file;
using testing::write_gzip;
using testing::write_png;

TEST(SampleSource, DirectoryOfImagesSortedAndResized) {
  TempDir dir;
  write_png(dir.file("b.png"), ImageU8{2, 2, 1, {255, 255, 255, 255}});
  write_png(dir.file("a.png"), ImageU8{4, 4, 1, std::vector<uint8_t>(16, 0)});
  write_file(dir.file("notes.txt"), {'x'});
  const SampleSource source(dir.path().string(), {1, 1, 4, 4}, Preprocess{});
  ASSERT_EQ(source.size(), 2u);
  EXPECT_EQ(source.get(0), std::vector<float>(16, 0.0f));  // a.png first
  EXPECT_EQ(source.get(1), std::vector<float>(16, 1.0f));  // b.png, upsampled
  EXPECT_THROW(source.get(2), DataError);
}

TEST(SampleSource, SingleImageRgbToBgr) {
  TempDir dir;
  write_png(dir.file("one.png"), ImageU8{1, 1, 3, {255, 0, 0}});
  Preprocess p;
  p.color = Preprocess::Color::BGR;
  const SampleSource source(dir.file("one.png"), {1, 3, 1, 1}, p);
  ASSERT_EQ(source.size(), 1u);
  EXPECT_EQ(source.get(0), (std::vector<float>{0.0f, 0.0f, 1.0f}));
}

TEST(SampleSource, FloatNpyIsUsedAsIs) {
  TempDir dir;
  std::vector<float> values(2 * 1 * 2 * 2);
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(i) - 3.5f;
  write_file(dir.file("x.npy"), npy_f32({2, 1, 2, 2}, values));
  const SampleSource source(dir.file("x.npy"), {1, 1, 2, 2}, Preprocess{});
  ASSERT_EQ(source.size(), 2u);
  EXPECT_EQ(source.get(1), (std::vector<float>{values.begin() + 4, values.end()}));

  write_file(dir.file("chw.npy"), npy_f32({1, 2, 2}, {1, 2, 3, 4}));
  EXPECT_EQ(SampleSource(dir.file("chw.npy"), {1, 1, 2, 2}, Preprocess{}).size(), 1u);
}

TEST(SampleSource, Uint8NpyGetsPreprocessed) {
  TempDir dir;
  write_file(dir.file("u8.npy"), npy_bytes("|u1", {3, 2, 2}, {0, 255, 0, 255, 51, 51, 51, 51, 0, 0, 0, 0}));
  Preprocess p;
  p.mean = {0.5f};
  const SampleSource source(dir.file("u8.npy"), {1, 1, 2, 2}, p);  // read as [N,H,W]
  ASSERT_EQ(source.size(), 3u);
  EXPECT_EQ(source.get(0), (std::vector<float>{-0.5f, 0.5f, -0.5f, 0.5f}));
}

TEST(SampleSource, IdxImagesGzip) {
  TempDir dir;
  std::vector<uint8_t> pixels(5 * 3 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i);
  write_gzip(dir.file("images.gz"), idx_images_bytes(5, 3, 3, pixels));
  const SampleSource source(dir.file("images.gz"), {1, 1, 3, 3}, Preprocess{});
  ASSERT_EQ(source.size(), 5u);
  const std::vector<float> x = source.get(4);
  ASSERT_EQ(x.size(), 9u);
  EXPECT_FLOAT_EQ(x[0], 36.0f / 255.0f);
  EXPECT_NE(source.description().find("IDX, 5 images"), std::string::npos);
}

TEST(SampleSource, MismatchesAreClearErrors) {
  TempDir dir;
  write_file(dir.file("x.npy"), npy_f32({2, 3, 2, 2}, std::vector<float>(24)));
  const std::string shape_error = error_of<DataError>([&] {
    SampleSource(dir.file("x.npy"), {1, 1, 2, 2}, Preprocess{});
  });
  EXPECT_NE(shape_error.find("shape [2,3,2,2] does not fit the model input [1,1,2,2]"), std::string::npos)
      << shape_error;

  write_png(dir.file("gray.png"), ImageU8{1, 1, 1, {9}});
  const std::string channel_error = error_of<DataError>([&] {
    SampleSource(dir.file("gray.png"), {1, 3, 1, 1}, Preprocess{});
  });
  EXPECT_NE(channel_error.find("has 3 channels but the colour order gives 1"), std::string::npos) << channel_error;

  std::filesystem::create_directory(dir.path() / "empty");
  EXPECT_NE(error_of<DataError>([&] {
              SampleSource(dir.file("empty"), {1, 1, 2, 2}, Preprocess{});
            }).find("no images"),
            std::string::npos);
  EXPECT_NE(error_of<DataError>([&] {
              SampleSource(dir.file("nothing"), {1, 1, 2, 2}, Preprocess{});
            }).find("no such file"),
            std::string::npos);
  write_file(dir.file("data.bin"), {1, 2, 3, 4, 5});
  EXPECT_NE(error_of<DataError>([&] {
              SampleSource(dir.file("data.bin"), {1, 1, 2, 2}, Preprocess{});
            }).find("unrecognised"),
            std::string::npos);
  EXPECT_NE(error_of<DataError>([&] {
              SampleSource(dir.file("x.npy"), {2, 3, 2, 2}, Preprocess{});
            }).find("[1,C,H,W]"),
            std::string::npos);
}

}  // namespace
}  // namespace nestrt::io

#include <gtest/gtest.h>

#include "nestrt/io/data.h"
#include "test_files.h"

namespace nestrt::io {
namespace {

using testing::error_of;
using testing::idx_images_bytes;
using testing::idx_labels_bytes;
using testing::TempDir;
using testing::write_file;
using testing::write_gzip;

std::vector<uint8_t> ramp(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7);
  return v;
}

TEST(Idx, ImagesRawAndGzip) {
  TempDir dir;
  const std::vector<uint8_t> pixels = ramp(3 * 4 * 5);
  write_file(dir.file("images-idx3-ubyte"), idx_images_bytes(3, 4, 5, pixels));
  write_gzip(dir.file("images-idx3-ubyte.gz"), idx_images_bytes(3, 4, 5, pixels));
  for (const char* name : {"images-idx3-ubyte", "images-idx3-ubyte.gz"}) {
    const IdxImages images = load_idx_images(dir.file(name));
    EXPECT_EQ(images.count, 3);
    EXPECT_EQ(images.rows, 4);
    EXPECT_EQ(images.cols, 5);
    EXPECT_EQ(images.pixels, pixels);
    EXPECT_TRUE(is_idx_images_file(dir.file(name)));
  }
}

TEST(Idx, Labels) {
  TempDir dir;
  write_gzip(dir.file("labels.gz"), idx_labels_bytes({1, 2, 9, 0}));
  EXPECT_EQ(load_idx_labels(dir.file("labels.gz")), (std::vector<uint8_t>{1, 2, 9, 0}));
  EXPECT_FALSE(is_idx_images_file(dir.file("labels.gz")));
}

TEST(Idx, WrongMagicNamesBothKinds) {
  TempDir dir;
  write_file(dir.file("labels"), idx_labels_bytes({1, 2}));
  const std::string error = error_of<DataError>([&] { load_idx_images(dir.file("labels")); });
  EXPECT_NE(error.find("bad IDX magic 2049 (an IDX labels file), expected 2051"), std::string::npos) << error;
  write_file(dir.file("images"), idx_images_bytes(1, 1, 1, {3}));
  EXPECT_NE(error_of<DataError>([&] { load_idx_labels(dir.file("images")); }).find("expected 2049"), std::string::npos);
}

TEST(Idx, TruncatedAndTrailingData) {
  TempDir dir;
  std::vector<uint8_t> bytes = idx_images_bytes(2, 3, 3, ramp(18));
  std::vector<uint8_t> cut(bytes.begin(), bytes.end() - 5);
  write_gzip(dir.file("cut.gz"), cut);
  const std::string error = error_of<DataError>([&] { load_idx_images(dir.file("cut.gz")); });
  EXPECT_NE(error.find("cut.gz: truncated IDX file"), std::string::npos) << error;
  EXPECT_NE(error.find("found 13"), std::string::npos) << error;

  std::vector<uint8_t> header_only(bytes.begin(), bytes.begin() + 6);
  write_file(dir.file("header"), header_only);
  EXPECT_NE(error_of<DataError>([&] { load_idx_images(dir.file("header")); }).find("truncated IDX header"),
            std::string::npos);

  bytes.push_back(1);
  write_file(dir.file("long"), bytes);
  EXPECT_NE(error_of<DataError>([&] { load_idx_images(dir.file("long")); }).find("data after"), std::string::npos);
}

TEST(Idx, CorruptGzipAndImplausibleHeader) {
  TempDir dir;
  // A gzip member whose compressed body is garbage.
  std::vector<uint8_t> garbage = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  write_file(dir.file("bad.gz"), garbage);
  const std::string error = error_of<DataError>([&] { load_idx_images(dir.file("bad.gz")); });
  EXPECT_NE(error.find("bad.gz"), std::string::npos) << error;
  EXPECT_FALSE(error.empty());

  write_file(dir.file("huge"), idx_images_bytes(0x40000000, 60000, 60000, {}));
  EXPECT_NE(error_of<DataError>([&] { load_idx_images(dir.file("huge")); }).find("implausible"), std::string::npos);
  EXPECT_NE(error_of<DataError>([&] { load_idx_images(dir.file("missing")); }).find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace nestrt::io

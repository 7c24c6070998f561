#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "nestrt/io/data.h"
#include "test_files.h"

namespace nestrt::io {
namespace {

using testing::error_of;
using testing::npy_bytes;
using testing::npy_f32;
using testing::TempDir;
using testing::write_file;

// Runs f and returns the DataError message (empty when nothing was thrown).
TEST(Npy, Float32RoundTrip) {
  TempDir dir;
  const std::vector<float> values = {0.5f, -1.25f, 3.0f, 1e-7f, 42.0f, -0.0f};
  write_file(dir.file("a.npy"), npy_f32({2, 3}, values));
  const FloatTensor t = load_npy(dir.file("a.npy"));
  EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(t.data, values);
}

// save_npy writes what numpy writes for a 2-D array, byte for byte (the reference bytes come from
// the tests' own npy_f32 writer), and load_npy reads 2-D and 1-D arrays back.
TEST(Npy, SaveWritesNumpyFormat) {
  TempDir dir;
  for (const std::vector<int64_t>& shape : {std::vector<int64_t>{2, 3}, std::vector<int64_t>{6}}) {
    const std::vector<float> values = {0.5f, -1.25f, 3.0f, 1e-7f, 42.0f, -0.0f};
    save_npy(dir.file("s.npy"), {shape, values});
    const std::vector<uint8_t> expected = npy_f32(shape, values);
    std::ifstream in(dir.file("s.npy"), std::ios::binary);
    const std::vector<uint8_t> written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (shape.size() == 2) {
      EXPECT_EQ(written, expected);
    }
    const FloatTensor t = load_npy(dir.file("s.npy"));
    EXPECT_EQ(t.shape, shape);
    EXPECT_EQ(t.data, values);
  }
  const std::string error = error_of([&] { save_npy(dir.file("no_such_dir/s.npy"), {{1}, {1.0f}}); });
  EXPECT_NE(error.find("cannot write the .npy file"), std::string::npos) << error;
}

TEST(Npy, Float64AndUInt8AndVersion2) {
  TempDir dir;
  const std::vector<double> doubles = {1.5, -2.25, 1e10};
  std::vector<uint8_t> raw(doubles.size() * 8);
  std::memcpy(raw.data(), doubles.data(), raw.size());
  write_file(dir.file("d.npy"), npy_bytes("<f8", {3}, raw, false, 2));
  const FloatTensor d = load_npy(dir.file("d.npy"));
  EXPECT_EQ(d.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(d.data, (std::vector<float>{1.5f, -2.25f, 1e10f}));

  write_file(dir.file("u.npy"), npy_bytes("|u1", {1, 2, 2}, {0, 7, 200, 255}));
  const NpyArray u = load_npy_array(dir.file("u.npy"));
  EXPECT_EQ(u.type, NpyType::kUInt8);
  EXPECT_EQ(u.element_count(), 4);
  EXPECT_EQ(load_npy(dir.file("u.npy")).data, (std::vector<float>{0, 7, 200, 255}));
}

TEST(Npy, ScalarShape) {
  TempDir dir;
  write_file(dir.file("s.npy"), npy_f32({}, {3.5f}));
  const FloatTensor t = load_npy(dir.file("s.npy"));
  EXPECT_TRUE(t.shape.empty());
  EXPECT_EQ(t.data, std::vector<float>{3.5f});
}

TEST(Npy, RejectsWhatItCannotRead) {
  TempDir dir;
  const std::vector<uint8_t> four(4 * 4, 0);
  write_file(dir.file("fortran.npy"), npy_bytes("<f4", {2, 2}, four, true));
  EXPECT_NE(error_of<DataError>([&] { load_npy(dir.file("fortran.npy")); }).find("Fortran"), std::string::npos);

  write_file(dir.file("big.npy"), npy_bytes(">f4", {2, 2}, four));
  EXPECT_NE(error_of<DataError>([&] { load_npy(dir.file("big.npy")); }).find("unsupported .npy dtype '>f4'"),
            std::string::npos);

  write_file(dir.file("int.npy"), npy_bytes("<i4", {2, 2}, four));
  EXPECT_NE(error_of<DataError>([&] { load_npy(dir.file("int.npy")); }).find("'<i4'"), std::string::npos);

  std::vector<uint8_t> truncated = npy_f32({2, 2}, {1, 2, 3, 4});
  truncated.resize(truncated.size() - 3);
  write_file(dir.file("short.npy"), truncated);
  const std::string short_error = error_of<DataError>([&] { load_npy(dir.file("short.npy")); });
  EXPECT_NE(short_error.find("short.npy"), std::string::npos);
  EXPECT_NE(short_error.find("truncated .npy data: expected 16 bytes, found 13"), std::string::npos);

  std::vector<uint8_t> header_cut = npy_f32({2, 2}, {1, 2, 3, 4});
  header_cut.resize(30);
  write_file(dir.file("header.npy"), header_cut);
  EXPECT_NE(error_of<DataError>([&] { load_npy(dir.file("header.npy")); }).find("truncated .npy header"),
            std::string::npos);

  write_file(dir.file("text.npy"), {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'});
  EXPECT_NE(error_of<DataError>([&] { load_npy(dir.file("text.npy")); }).find("bad magic"), std::string::npos);

  EXPECT_NE(error_of<DataError>([&] { load_npy(dir.file("missing.npy")); }).find("cannot open"), std::string::npos);
}

TEST(Npy, DamagedHeadersFailCleanly) {
  TempDir dir;
  const std::vector<uint8_t> good = npy_f32({2, 3}, {1, 2, 3, 4, 5, 6});
  std::mt19937 rng(11);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<uint8_t> bytes = good;
    for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips) {
      bytes[rng() % 80] = static_cast<uint8_t>(rng());  // the header and the first values
    }
    write_file(dir.file("d.npy"), bytes);
    try {
      const FloatTensor t = load_npy(dir.file("d.npy"));
      int64_t count = 1;
      for (int64_t d : t.shape) count *= d;
      EXPECT_EQ(static_cast<size_t>(count), t.data.size());
    } catch (const DataError&) {
    }
  }
}

}  // namespace
}  // namespace nestrt::io

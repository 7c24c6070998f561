// Writers for the small files the io tests read back: a fresh temporary directory per test,
// hand-built .npy and IDX bytes, PNGs via stb_image_write.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "nestrt/io/image.h"

namespace nestrt::io::testing {

// A new empty directory under the system temp dir, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes);
void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes);

// .npy bytes: header with the given descr ("<f4", "|u1", ...), shape and fortran_order, then data.
std::vector<uint8_t> npy_bytes(const std::string& descr, const std::vector<int64_t>& shape,
                               const std::vector<uint8_t>& data, bool fortran_order = false, int version = 1);
std::vector<uint8_t> npy_f32(const std::vector<int64_t>& shape, const std::vector<float>& values);

std::vector<uint8_t> idx_images_bytes(uint32_t count, uint32_t rows, uint32_t cols, const std::vector<uint8_t>& pixels);
std::vector<uint8_t> idx_labels_bytes(const std::vector<uint8_t>& labels);

void write_png(const std::string& path, const ImageU8& image);

}  // namespace nestrt::io::testing

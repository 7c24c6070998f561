// Writers for the small files the io tests read back: a fresh temporary directory per test,
// hand-built .npy and IDX bytes, PNGs via stb_image_write.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "file_helpers.h"
#include "nestrt/io/image.h"

namespace nestrt::io::testing {

using nestrt::testing::error_of;
using nestrt::testing::npy_bytes;
using nestrt::testing::npy_f32;
using nestrt::testing::TempDir;
using nestrt::testing::write_file;

void write_gzip(const std::string& path, const std::vector<uint8_t>& bytes);

std::vector<uint8_t> idx_images_bytes(uint32_t count, uint32_t rows, uint32_t cols, const std::vector<uint8_t>& pixels);
std::vector<uint8_t> idx_labels_bytes(const std::vector<uint8_t>& labels);

void write_png(const std::string& path, const ImageU8& image);

}  // namespace nestrt::io::testing

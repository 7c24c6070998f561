#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nestrt::io {

// IDX image file (MNIST, Fashion-MNIST): count images of rows x cols gray pixels, row-major.
struct IdxImages {
  int count = 0;
  int rows = 0;
  int cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols
};

// Both read gzip-compressed (.gz) or raw files; the magic number (2051 images, 2049 labels) and
// the data size are checked against the header.
IdxImages load_idx_images(const std::string& path);
std::vector<uint8_t> load_idx_labels(const std::string& path);

// True when the file (after gunzip) starts with the IDX images magic number.
bool is_idx_images_file(const std::string& path);

}  // namespace nestrt::io

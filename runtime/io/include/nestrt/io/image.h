#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nestrt::io {

// 8-bit image, pixels in HWC order (row-major, channels interleaved).
struct ImageU8 {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;
};

// Decodes a PNG, JPEG or BMP file (anything stb_image reads) to 1 (gray) or 3 (RGB) channels,
// converting colour as needed.
ImageU8 load_image(const std::string& path, int channels);

// True when the file name ends in an extension load_image is meant for (.png .jpg .jpeg .bmp).
bool has_image_extension(const std::string& path);

// Bilinear resize with half-pixel centres (the convention of OpenCV's INTER_LINEAR and ONNX
// Resize "half_pixel"), no antialiasing, rounded to nearest.
ImageU8 resize_bilinear(const ImageU8& image, int height, int width);

}  // namespace nestrt::io

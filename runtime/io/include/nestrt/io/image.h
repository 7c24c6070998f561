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

// Centre crop to height x width, torchvision CenterCrop's offsets (center_crop_offset). A crop
// larger than the image throws DataError naming both sizes (torchvision would pad; we refuse).
ImageU8 center_crop(const ImageU8& image, int height, int width);

// torchvision's CenterCrop offset along one axis: int(round((in - out) / 2.0)) with Python 3's
// round half to even, so an odd difference d gives the even one of (d-1)/2 and (d+1)/2:
// d = 1 -> 0, 3 -> 2, 5 -> 2, 7 -> 4.
int center_crop_offset(int in, int out);

}  // namespace nestrt::io

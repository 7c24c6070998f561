#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "nestrt/io/image.h"

namespace nestrt::io {

// How pixels become the model's float input: first the geometry (resize, then centre crop), then
// x = (pixel * scale - mean[c]) / std[c]. mean and std hold 0 values (0 and 1), 1 value (every
// channel) or one value per channel.
//
// Geometry (0 = unused; all 0, the default, resizes straight to the input's H x W as before):
//  - resize_shorter N: resize (bilinear) so the shorter side is N, keeping the aspect ratio, like
//    torchvision Resize(N): the longer side becomes floor(N * long / short); a square image N x N;
//  - resize_height x resize_width: resize to exactly this size;
//  - crop_height x crop_width: then centre-crop (torchvision CenterCrop, see center_crop_offset).
// The result must be the model input's H x W.
struct Preprocess {
  enum class Color { Gray, RGB, BGR };
  float scale = 1.0f / 255.0f;
  std::vector<float> mean;
  std::vector<float> std;
  Color color = Color::Gray;
  int resize_shorter = 0;
  int resize_height = 0, resize_width = 0;
  int crop_height = 0, crop_width = 0;

  bool direct_resize() const {
    return resize_shorter == 0 && resize_height == 0 && resize_width == 0 && crop_height == 0 && crop_width == 0;
  }
};

// Largest resize or crop side accepted (the converter's flags and the file's fields).
inline constexpr int kMaxImageSide = 1 << 16;

// Channels the colour order implies: 1 for Gray, 3 for RGB and BGR.
int channels_of(Preprocess::Color color);

// torchvision Resize(N)'s output size for an image of height x width: {height, width}.
std::array<int, 2> shorter_side_size(int height, int width, int shorter);

// Why the geometry cannot give a model input of height x width whatever the image ("" if it can
// for some images): a field out of range, half a size, both kinds of resize, a crop other than the
// input size, an exact resize smaller than the crop or (without a crop) other than the input size,
// a shorter-side resize without a crop whose N is not the input's shorter side, or smaller than
// both crop sides.
std::string geometry_error(const Preprocess& preprocess, int64_t height, int64_t width);

// The image resized and cropped as the geometry says; it must come out height x width, else
// DataError naming the sizes (origin first). Direct: resized to height x width when it differs.
ImageU8 apply_geometry(ImageU8 image, const Preprocess& preprocess, int height, int width, const std::string& origin);

// E.g. "resize shorter side to 256, centre crop 224x224"; "resize to the input size" when direct.
std::string geometry_string(const Preprocess& preprocess);

// The image (HWC, RGB or gray) as a float CHW array; BGR reverses the channel order.
std::vector<float> image_to_nchw(const ImageU8& image, const Preprocess& preprocess);

}  // namespace nestrt::io

#pragma once

#include <vector>

#include "nestrt/io/image.h"

namespace nestrt::io {

// How pixels become the model's float input: x = (pixel * scale - mean[c]) / std[c].
// mean and std hold 0 values (0 and 1), 1 value (every channel) or one value per channel.
struct Preprocess {
  enum class Color { Gray, RGB, BGR };
  float scale = 1.0f / 255.0f;
  std::vector<float> mean;
  std::vector<float> std;
  Color color = Color::Gray;
};

// Channels the colour order implies: 1 for Gray, 3 for RGB and BGR.
int channels_of(Preprocess::Color color);

// The image (HWC, RGB or gray) as a float CHW array; BGR reverses the channel order.
std::vector<float> image_to_nchw(const ImageU8& image, const Preprocess& preprocess);

}  // namespace nestrt::io

#include "nestrt/io/preprocess.h"

#include <string>

#include "nestrt/io/data_error.h"

namespace nestrt::io {
namespace {

float per_channel(const std::vector<float>& values, int c, int channels, float fallback, const char* what) {
  if (values.empty()) return fallback;
  if (values.size() == 1) return values[0];
  if (values.size() == static_cast<size_t>(channels)) return values[c];
  throw DataError(std::string("preprocess: ") + what + " has " + std::to_string(values.size()) +
                  " values; expected 1 or one per channel (" + std::to_string(channels) + ")");
}

}  // namespace

int channels_of(Preprocess::Color color) {
  return color == Preprocess::Color::Gray ? 1 : 3;
}

std::vector<float> image_to_nchw(const ImageU8& image, const Preprocess& preprocess) {
  const int channels = image.channels;
  const size_t plane = static_cast<size_t>(image.height) * image.width;
  if (channels <= 0 || image.pixels.size() != plane * channels) {
    throw DataError("preprocess: image of " + std::to_string(image.height) + "x" + std::to_string(image.width) + "x" +
                    std::to_string(channels) + " has " + std::to_string(image.pixels.size()) + " pixels");
  }
  const bool reverse = preprocess.color == Preprocess::Color::BGR && channels == 3;
  std::vector<float> out(plane * channels);
  for (int c = 0; c < channels; ++c) {
    const float mean = per_channel(preprocess.mean, c, channels, 0.0f, "mean");
    const float std_dev = per_channel(preprocess.std, c, channels, 1.0f, "std");
    if (!(std_dev != 0.0f)) throw DataError("preprocess: std of channel " + std::to_string(c) + " is zero");
    const int source = reverse ? channels - 1 - c : c;
    float* dst = out.data() + plane * c;
    for (size_t i = 0; i < plane; ++i) {
      dst[i] = (static_cast<float>(image.pixels[i * channels + source]) * preprocess.scale - mean) / std_dev;
    }
  }
  return out;
}

}  // namespace nestrt::io

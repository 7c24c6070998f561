#include "nestrt/io/preprocess.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

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

namespace {

std::string size_string(int64_t height, int64_t width) {
  return std::to_string(height) + "x" + std::to_string(width);
}

}  // namespace

std::array<int, 2> shorter_side_size(int height, int width, int shorter) {
  // torchvision: short, long = (w, h) if w <= h else (h, w); new_long = int(N * long / short).
  if (width <= height) {
    return {static_cast<int>(std::min<int64_t>(int64_t{shorter} * height / width, INT32_MAX)), shorter};
  }
  return {shorter, static_cast<int>(std::min<int64_t>(int64_t{shorter} * width / height, INT32_MAX))};
}

std::string geometry_error(const Preprocess& p, int64_t height, int64_t width) {
  const std::initializer_list<std::pair<int, const char*>> fields = {{p.resize_shorter, "resize shorter side"},
                                                                     {p.resize_height, "resize height"},
                                                                     {p.resize_width, "resize width"},
                                                                     {p.crop_height, "crop height"},
                                                                     {p.crop_width, "crop width"}};
  for (const auto& [value, name] : fields) {
    if (value < 0 || value > kMaxImageSide) {
      return std::string(name) + " " + std::to_string(value) + " is outside 0.." + std::to_string(kMaxImageSide);
    }
  }
  if ((p.resize_height > 0) != (p.resize_width > 0)) {
    return "resize to " + size_string(p.resize_height, p.resize_width) + " needs both a height and a width";
  }
  if ((p.crop_height > 0) != (p.crop_width > 0)) {
    return "centre crop " + size_string(p.crop_height, p.crop_width) + " needs both a height and a width";
  }
  if (p.resize_shorter > 0 && p.resize_height > 0) {
    return "resize shorter side to " + std::to_string(p.resize_shorter) + " and resize to " +
           size_string(p.resize_height, p.resize_width) + " exclude each other";
  }
  const std::string input = "the model input " + size_string(height, width);
  if (p.crop_height > 0) {
    if (p.crop_height != height || p.crop_width != width) {
      return "centre crop " + size_string(p.crop_height, p.crop_width) + " differs from " + input;
    }
    if (p.resize_height > 0 && (p.resize_height < p.crop_height || p.resize_width < p.crop_width)) {
      return "centre crop " + size_string(p.crop_height, p.crop_width) + " is larger than the resized image of " +
             size_string(p.resize_height, p.resize_width);
    }
    if (p.resize_shorter > 0 && p.resize_shorter < std::min(p.crop_height, p.crop_width)) {
      return "centre crop " + size_string(p.crop_height, p.crop_width) +
             " is larger than any image resized to a shorter side of " + std::to_string(p.resize_shorter);
    }
  } else if (p.resize_height > 0 && (p.resize_height != height || p.resize_width != width)) {
    return "resize to " + size_string(p.resize_height, p.resize_width) + " without a crop differs from " + input;
  } else if (p.resize_shorter > 0 && p.resize_shorter != std::min(height, width)) {
    return "resize shorter side to " + std::to_string(p.resize_shorter) + " without a crop cannot give " + input;
  }
  return "";
}

std::string geometry_string(const Preprocess& p) {
  if (p.direct_resize()) return "resize to the input size";
  std::string s;
  if (p.resize_shorter > 0) s = "resize shorter side to " + std::to_string(p.resize_shorter);
  if (p.resize_height > 0) s = "resize to " + size_string(p.resize_height, p.resize_width);
  if (p.crop_height > 0)
    s += (s.empty() ? "" : ", ") + std::string("centre crop ") + size_string(p.crop_height, p.crop_width);
  return s;
}

ImageU8 apply_geometry(ImageU8 image, const Preprocess& p, int height, int width, const std::string& origin) {
  if (p.direct_resize()) {
    if (image.height != height || image.width != width) image = resize_bilinear(image, height, width);
    return image;
  }
  const std::string original = size_string(image.height, image.width);
  std::array<int, 2> size{image.height, image.width};
  if (p.resize_shorter > 0 && image.height > 0 && image.width > 0) {
    size = shorter_side_size(image.height, image.width, p.resize_shorter);
  } else if (p.resize_height > 0) {
    size = {p.resize_height, p.resize_width};
  }
  if (size[0] > kMaxImageSide || size[1] > kMaxImageSide) {
    throw DataError(origin + ": image of " + original + " would be resized to " + size_string(size[0], size[1]) + " (" +
                    geometry_string(p) + "), more than " + std::to_string(kMaxImageSide) + " a side");
  }
  if (size[0] != image.height || size[1] != image.width) image = resize_bilinear(image, size[0], size[1]);
  if (p.crop_height > 0) {
    if (p.crop_height > image.height || p.crop_width > image.width) {
      throw DataError(origin + ": image of " + original + " resized to " + size_string(image.height, image.width) +
                      " is smaller than the centre crop " + size_string(p.crop_height, p.crop_width) + " (" +
                      geometry_string(p) + ")");
    }
    image = center_crop(image, p.crop_height, p.crop_width);
  }
  if (image.height != height || image.width != width) {
    throw DataError(origin + ": image of " + original + " becomes " + size_string(image.height, image.width) + " (" +
                    geometry_string(p) + "), but the model input is " + size_string(height, width));
  }
  return image;
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

#include "nestrt/io/image.h"

#include <stb/stb_image.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <memory>

#include "nestrt/io/data_error.h"

namespace nestrt::io {

ImageU8 load_image(const std::string& path, int channels) {
  if (channels != 1 && channels != 3) {
    throw DataError(path + ": cannot load an image with " + std::to_string(channels) + " channels (1 or 3)");
  }
  if (!std::filesystem::is_regular_file(path)) throw DataError(path + ": no such image file");
  int width = 0, height = 0, stored_channels = 0;
  std::unique_ptr<stbi_uc, void (*)(void*)> data(stbi_load(path.c_str(), &width, &height, &stored_channels, channels),
                                                 stbi_image_free);
  if (data == nullptr) {
    throw DataError(path + ": cannot decode image (" + stbi_failure_reason() + "; PNG, JPEG and BMP are supported)");
  }
  ImageU8 image{height, width, channels, {}};
  image.pixels.assign(data.get(), data.get() + static_cast<size_t>(width) * height * channels);
  return image;
}

bool has_image_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

ImageU8 resize_bilinear(const ImageU8& image, int height, int width) {
  if (height <= 0 || width <= 0 || image.height <= 0 || image.width <= 0 || image.channels <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.height) * image.width * image.channels) {
    throw DataError("resize_bilinear: invalid image " + std::to_string(image.height) + "x" +
                    std::to_string(image.width) + "x" + std::to_string(image.channels) + " or target " +
                    std::to_string(height) + "x" + std::to_string(width));
  }
  // For each output coordinate: the two source indices and the weight of the second one.
  struct Tap {
    int lo, hi;
    float frac;
  };
  const auto taps = [](int out_size, int in_size) {
    std::vector<Tap> result(out_size);
    const float ratio = static_cast<float>(in_size) / static_cast<float>(out_size);
    for (int o = 0; o < out_size; ++o) {
      const float src = std::max(0.0f, (static_cast<float>(o) + 0.5f) * ratio - 0.5f);
      const int lo = std::min(static_cast<int>(src), in_size - 1);
      result[o] = {lo, std::min(lo + 1, in_size - 1), src - static_cast<float>(lo)};
    }
    return result;
  };
  const std::vector<Tap> ys = taps(height, image.height), xs = taps(width, image.width);
  const int c_count = image.channels;
  ImageU8 out{height, width, c_count, std::vector<uint8_t>(static_cast<size_t>(height) * width * c_count)};
  const auto at = [&](int y, int x, int c) {
    return static_cast<float>(image.pixels[(static_cast<size_t>(y) * image.width + x) * c_count + c]);
  };
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const Tap& ty = ys[y];
      const Tap& tx = xs[x];
      for (int c = 0; c < c_count; ++c) {
        const float top = at(ty.lo, tx.lo, c) + (at(ty.lo, tx.hi, c) - at(ty.lo, tx.lo, c)) * tx.frac;
        const float bottom = at(ty.hi, tx.lo, c) + (at(ty.hi, tx.hi, c) - at(ty.hi, tx.lo, c)) * tx.frac;
        const float v = top + (bottom - top) * ty.frac;
        out.pixels[(static_cast<size_t>(y) * width + x) * c_count + c] =
            static_cast<uint8_t>(std::clamp(std::nearbyint(v), 0.0f, 255.0f));
      }
    }
  }
  return out;
}

int center_crop_offset(int in, int out) {
  const int d = in - out;
  if (d % 2 == 0) return d / 2;
  const int down = (d - 1) / 2;  // (d - 1) / 2 and (d + 1) / 2 are equally near: take the even one
  return down % 2 == 0 ? down : down + 1;
}

ImageU8 center_crop(const ImageU8& image, int height, int width) {
  if (height <= 0 || width <= 0 || image.channels <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.height) * image.width * image.channels) {
    throw DataError("center_crop: invalid image " + std::to_string(image.height) + "x" + std::to_string(image.width) +
                    "x" + std::to_string(image.channels) + " or crop " + std::to_string(height) + "x" +
                    std::to_string(width));
  }
  if (height > image.height || width > image.width) {
    throw DataError("centre crop " + std::to_string(height) + "x" + std::to_string(width) +
                    " is larger than the image of " + std::to_string(image.height) + "x" + std::to_string(image.width));
  }
  const int top = center_crop_offset(image.height, height), left = center_crop_offset(image.width, width);
  const size_t row = static_cast<size_t>(width) * image.channels;
  ImageU8 out{height, width, image.channels, std::vector<uint8_t>(row * height)};
  for (int y = 0; y < height; ++y) {
    const auto src = image.pixels.begin() +
                     static_cast<std::ptrdiff_t>((static_cast<size_t>(top + y) * image.width + left) * image.channels);
    std::copy(src, src + static_cast<std::ptrdiff_t>(row), out.pixels.begin() + static_cast<std::ptrdiff_t>(row * y));
  }
  return out;
}

}  // namespace nestrt::io

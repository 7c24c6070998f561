#include "nestrt/io/sample_source.h"

#include <algorithm>
#include <filesystem>

#include "nestrt/io/data_error.h"
#include "nestrt/io/image.h"

namespace nestrt::io {
namespace {

namespace fs = std::filesystem;

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

std::vector<std::string> image_files_in(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_regular_file() && has_image_extension(entry.path().string())) files.push_back(entry.path().string());
  }
  if (ec) throw DataError(dir + ": cannot list directory: " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

// [N,H,W,C] elements of `size` bytes to [N,C,H,W].
std::vector<uint8_t> nhwc_to_nchw(const std::vector<uint8_t>& src, int64_t n, int64_t h, int64_t w, int64_t c,
                                  size_t size) {
  std::vector<uint8_t> dst(src.size());
  const size_t plane = static_cast<size_t>(h * w);
  for (int64_t i = 0; i < n; ++i) {
    const size_t base = static_cast<size_t>(i) * plane * static_cast<size_t>(c);
    for (size_t p = 0; p < plane; ++p) {
      for (int64_t ch = 0; ch < c; ++ch) {
        const size_t from = (base + p * static_cast<size_t>(c) + static_cast<size_t>(ch)) * size;
        const size_t to = (base + static_cast<size_t>(ch) * plane + p) * size;
        std::copy_n(src.begin() + static_cast<std::ptrdiff_t>(from), size,
                    dst.begin() + static_cast<std::ptrdiff_t>(to));
      }
    }
  }
  return dst;
}

size_t element_size(NpyType type) {
  return type == NpyType::kFloat64 ? 8 : type == NpyType::kFloat32 ? 4 : 1;
}

}  // namespace

NpyLayout parse_npy_layout(const std::string& text) {
  if (text == "nchw") return NpyLayout::kNCHW;
  if (text == "nhwc") return NpyLayout::kNHWC;
  throw DataError("unknown .npy layout '" + text + "' (nchw or nhwc)");
}

SampleSource::SampleSource(const std::string& path, const std::array<int64_t, 4>& input_shape_nchw,
                           const Preprocess& preprocess, NpyLayout layout)
    : channels_(input_shape_nchw[1]),
      height_(input_shape_nchw[2]),
      width_(input_shape_nchw[3]),
      preprocess_(preprocess) {
  const std::vector<int64_t> input(input_shape_nchw.begin(), input_shape_nchw.end());
  if (input_shape_nchw[0] != 1 || channels_ <= 0 || height_ <= 0 || width_ <= 0) {
    throw DataError("samples need a model input of shape [1,C,H,W], not " + shape_string(input));
  }
  const auto require_image_channels = [&] {
    if (channels_ != channels_of(preprocess.color)) {
      throw DataError(path + ": the model input " + shape_string(input) + " has " + std::to_string(channels_) +
                      " channels but the colour order gives " + std::to_string(channels_of(preprocess.color)) +
                      " (gray: 1, rgb/bgr: 3)");
    }
  };
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    require_image_channels();
    kind_ = Kind::kImageFiles;
    files_ = image_files_in(path);
    if (files_.empty()) throw DataError(path + ": directory holds no images (.png .jpg .jpeg .bmp)");
    count_ = files_.size();
    description_ = path + " (directory, " + std::to_string(count_) + " images)";
  } else if (!fs::exists(path, ec)) {
    throw DataError(path + ": no such file or directory");
  } else if (has_image_extension(path)) {
    require_image_channels();
    kind_ = Kind::kImageFiles;
    files_ = {path};
    count_ = 1;
    description_ = path + " (image)";
  } else if (fs::path(path).extension() == ".npy") {
    array_ = load_npy_array(path);
    const std::vector<int64_t> stored = array_.shape;
    if (layout == NpyLayout::kNHWC) {
      // [N,H,W,C] or [H,W,C] becomes [N,C,H,W] or [C,H,W]; a gray [N,H,W] has no channel axis.
      const std::vector<int64_t>& s = stored;
      if (s.size() == 4 && s[3] == channels_) {
        array_.bytes = nhwc_to_nchw(array_.bytes, s[0], s[1], s[2], s[3], element_size(array_.type));
        array_.shape = {s[0], s[3], s[1], s[2]};
      } else if (s.size() == 3 && s[2] == channels_) {
        array_.bytes = nhwc_to_nchw(array_.bytes, 1, s[0], s[1], s[2], element_size(array_.type));
        array_.shape = {s[2], s[0], s[1]};
      } else if (!(s.size() == 3 && channels_ == 1)) {
        throw DataError(path + ": .npy array of shape " + shape_string(s) + " does not fit the model input " +
                        shape_string(input) + " with --layout nhwc (expected [N,H,W,C] or [H,W,C]" +
                        (channels_ == 1 ? " or [N,H,W]" : "") + " with C = " + std::to_string(channels_) + ")");
      }
    }
    const std::vector<int64_t>& s = array_.shape;
    const bool nchw = s.size() == 4 && s[1] == channels_;
    const bool chw = s.size() == 3 && s[0] == channels_;
    const bool nhw = s.size() == 3 && channels_ == 1 && !chw;
    const bool pixels = array_.type == NpyType::kUInt8;
    const bool spatial_ok = pixels || (nchw && s[2] == height_ && s[3] == width_) ||
                            (chw && s[1] == height_ && s[2] == width_) || (nhw && s[1] == height_ && s[2] == width_);
    if (!(nchw || chw || nhw) || !spatial_ok) {
      const bool nhwc = layout == NpyLayout::kNHWC;
      throw DataError(
          path + ": .npy array of shape " + shape_string(stored) + " does not fit the model input " +
          shape_string(input) +
          (nhwc ? " with --layout nhwc (expected [N,H,W,C] or [H,W,C]" : " (expected [N,C,H,W] or [C,H,W]") +
          (channels_ == 1 ? " or [N,H,W]" : "") + (pixels ? ", any H and W for uint8 pixels)" : ")"));
    }
    count_ = chw ? 1 : static_cast<size_t>(s[0]);
    if (count_ == 0) throw DataError(path + ": .npy array holds no samples");
    if (pixels) {
      require_image_channels();
      kind_ = Kind::kPixelArray;
    } else {
      kind_ = Kind::kFloatArray;
      floats_ = to_float_tensor(array_);
      array_.bytes.clear();
    }
    description_ = path + " (.npy " + shape_string(stored) + (layout == NpyLayout::kNHWC ? " nhwc" : "") + ")";
  } else if (is_idx_images_file(path)) {
    require_image_channels();
    kind_ = Kind::kIdx;
    idx_ = load_idx_images(path);
    count_ = static_cast<size_t>(idx_.count);
    description_ = path + " (IDX, " + std::to_string(count_) + " images)";
  } else {
    throw DataError(path +
                    ": unrecognised sample data: expected a directory of images, an image (.png .jpg .jpeg .bmp), an "
                    ".npy file or an IDX images file (raw or .gz)");
  }
}

std::vector<float> SampleSource::from_image(ImageU8 image, const std::string& origin) const {
  if (image.channels == 1 && channels_ == 3) {
    ImageU8 rgb{image.height, image.width, 3, std::vector<uint8_t>(image.pixels.size() * 3)};
    for (size_t i = 0; i < image.pixels.size(); ++i) std::fill_n(rgb.pixels.begin() + 3 * i, 3, image.pixels[i]);
    image = std::move(rgb);
  }
  if (image.channels != channels_) {
    throw DataError(origin + ": image has " + std::to_string(image.channels) + " channels, the model input " +
                    std::to_string(channels_));
  }
  image = apply_geometry(std::move(image), preprocess_, static_cast<int>(height_), static_cast<int>(width_), origin);
  return image_to_nchw(image, preprocess_);
}

std::vector<float> SampleSource::get(size_t i) const {
  if (i >= count_) {
    throw DataError("sample " + std::to_string(i) + " requested from " + description_ + ", which holds " +
                    std::to_string(count_));
  }
  switch (kind_) {
    case Kind::kImageFiles: return from_image(load_image(files_[i], static_cast<int>(channels_)), files_[i]);
    case Kind::kFloatArray: {
      const size_t size = static_cast<size_t>(channels_ * height_ * width_);
      const auto begin = floats_.data.begin() + static_cast<std::ptrdiff_t>(i * size);
      return std::vector<float>(begin, begin + static_cast<std::ptrdiff_t>(size));
    }
    case Kind::kPixelArray: {
      // [N,C,H,W], [C,H,W] or [N,H,W] uint8 planes, transposed to an HWC image.
      const std::vector<int64_t>& s = array_.shape;
      const int h = static_cast<int>(s[s.size() - 2]), w = static_cast<int>(s[s.size() - 1]);
      const int c = static_cast<int>(channels_);
      const size_t plane = static_cast<size_t>(h) * w;
      const uint8_t* src = array_.bytes.data() + i * plane * c;
      ImageU8 image{h, w, c, std::vector<uint8_t>(plane * c)};
      for (int ch = 0; ch < c; ++ch) {
        for (size_t p = 0; p < plane; ++p) image.pixels[p * c + ch] = src[ch * plane + p];
      }
      return from_image(std::move(image), description_ + " sample " + std::to_string(i));
    }
    case Kind::kIdx: {
      const size_t plane = static_cast<size_t>(idx_.rows) * idx_.cols;
      const auto begin = idx_.pixels.begin() + static_cast<std::ptrdiff_t>(i * plane);
      ImageU8 image{idx_.rows, idx_.cols, 1, std::vector<uint8_t>(begin, begin + static_cast<std::ptrdiff_t>(plane))};
      return from_image(std::move(image), description_ + " image " + std::to_string(i));
    }
  }
  return {};
}

}  // namespace nestrt::io

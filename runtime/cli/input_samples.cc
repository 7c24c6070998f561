#include "input_samples.h"

#include <array>
#include <stdexcept>

namespace nestrt::cli {

io::Preprocess to_io_preprocess(const nestrt_preprocess& p, const nestrt_image_geometry& g) {
  io::Preprocess pre;
  pre.scale = p.scale;
  pre.mean.assign(p.mean, p.mean + p.channels);
  pre.std.assign(p.std, p.std + p.channels);
  pre.color = p.color == NESTRT_COLOR_RGB   ? io::Preprocess::Color::RGB
              : p.color == NESTRT_COLOR_BGR ? io::Preprocess::Color::BGR
                                            : io::Preprocess::Color::Gray;
  pre.resize_shorter = static_cast<int>(g.resize_shorter);
  pre.resize_height = static_cast<int>(g.resize_height);
  pre.resize_width = static_cast<int>(g.resize_width);
  pre.crop_height = static_cast<int>(g.crop_height);
  pre.crop_width = static_cast<int>(g.crop_width);
  return pre;
}

std::unique_ptr<io::SampleSource> open_samples(const ModelHandle& model, const std::string& path,
                                               io::NpyLayout layout) {
  const auto shape = model.input_shape();
  if (shape.size() != 4 || shape[0] != 1) {
    throw std::runtime_error("input files are supported for [1,C,H,W] models; this model's input is " +
                             std::to_string(shape.size()) + "-D");
  }
  nestrt_preprocess p;
  check(nestrt_model_preprocess(model.get(), &p));
  nestrt_image_geometry g;
  check(nestrt_model_image_geometry(model.get(), &g));
  return std::make_unique<io::SampleSource>(path, std::array<int64_t, 4>{shape[0], shape[1], shape[2], shape[3]},
                                            to_io_preprocess(p, g), layout);
}

void add_layout_flag(CLI::App* cmd, std::string& layout) {
  cmd->add_option("--layout", layout,
                  "axis order of .npy inputs: nchw ([N,C,H,W] or [C,H,W]) or nhwc ([N,H,W,C] or [H,W,C], "
                  "transposed to the model's NCHW); images are unaffected")
      ->check(CLI::IsMember({"nchw", "nhwc"}))
      ->capture_default_str();
}

}  // namespace nestrt::cli

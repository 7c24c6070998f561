#include "input_samples.h"

#include <array>
#include <stdexcept>

namespace nestrt::cli {

std::unique_ptr<io::SampleSource> open_samples(const ModelHandle& model, const std::string& path) {
  const auto shape = model.input_shape();
  if (shape.size() != 4 || shape[0] != 1) {
    throw std::runtime_error("input files are supported for [1,C,H,W] models; this model's input is " +
                             std::to_string(shape.size()) + "-D");
  }
  nestrt_preprocess p;
  check(nestrt_model_preprocess(model.get(), &p));
  io::Preprocess pre;
  pre.scale = p.scale;
  pre.mean.assign(p.mean, p.mean + p.channels);
  pre.std.assign(p.std, p.std + p.channels);
  pre.color = p.color == NESTRT_COLOR_RGB   ? io::Preprocess::Color::RGB
              : p.color == NESTRT_COLOR_BGR ? io::Preprocess::Color::BGR
                                            : io::Preprocess::Color::Gray;
  return std::make_unique<io::SampleSource>(path, std::array<int64_t, 4>{shape[0], shape[1], shape[2], shape[3]}, pre);
}

}  // namespace nestrt::cli

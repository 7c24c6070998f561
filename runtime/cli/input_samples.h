// Turns a user's input file (image, image directory, .npy, IDX) into the model's float input,
// preprocessed the way the converter recorded in the model.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "model_handle.h"
#include "nestrt/io/sample_source.h"

namespace nestrt::cli {

// The C API's preprocessing and image geometry as the io library's.
io::Preprocess to_io_preprocess(const nestrt_preprocess& p, const nestrt_image_geometry& g);

std::unique_ptr<io::SampleSource> open_samples(const ModelHandle& model, const std::string& path,
                                               io::NpyLayout layout = io::NpyLayout::kNCHW);

// --layout nchw|nhwc: the axis order of .npy input files (images are unaffected).
void add_layout_flag(CLI::App* cmd, std::string& layout);

}  // namespace nestrt::cli

// Turns a user's input file (image, image directory, .npy, IDX) into the model's float input,
// preprocessed the way the converter recorded in the model.
#pragma once

#include <memory>
#include <string>

#include "model_handle.h"
#include "nestrt/io/sample_source.h"

namespace nestrt::cli {

std::unique_ptr<io::SampleSource> open_samples(const ModelHandle& model, const std::string& path);

}  // namespace nestrt::cli

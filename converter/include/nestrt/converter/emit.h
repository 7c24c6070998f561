#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nestrt/converter/quantised_model.h"
#include "nestrt/format/model_file.h"
#include "nestrt/io/preprocess.h"

namespace nestrt::converter {

// Everything in the file that is not the graph.
struct ModelInfo {
  io::Preprocess preprocess;
  std::vector<std::string> labels;
  std::string producer;      // "nestrt-convert <version>"
  std::string source_model;  // file name of the ONNX model
  uint64_t source_xxh64 = 0;
  std::string calibration;
  uint32_t calibration_samples = 0;
};

inline constexpr uint64_t kPlaneAlignment = 64;  // of each layer's plane within its section

// The FlatBuffer metadata and the two payload sections (high planes, low planes) of a .nest file.
struct EmittedModel {
  std::vector<uint8_t> metadata;
  std::vector<format::SectionPayload> payloads;
};
EmittedModel emit_model(const QuantisedModel& model, const ModelInfo& info);

}  // namespace nestrt::converter

#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nestrt/converter/quantised_model.h"

namespace nestrt::converter {

struct LayerReport {
  std::string name;
  std::string op;            // runtime opcode name
  std::string source_op;     // ONNX op_type
  std::string weight_shape;  // OHWI, empty without weights
  double sqnr_full_db = 0.0;
  double sqnr_part_db = 0.0;
  double output_sqnr_full_db = 0.0;  // the layer's output against the float model's
  double output_sqnr_part_db = 0.0;
  uint64_t high_bytes = 0;  // bit-packed plane bytes, as written to the file
  uint64_t low_bytes = 0;
  int high_width = 0;  // stored bits per weight of each plane
  int low_width = 0;
  float output_scale = 0.0f;
  int32_t output_zero_point = 0;
};

struct ConversionReport {
  std::string source_model;
  std::string output_path;
  NestConfig nesting;
  std::string calibration;
  uint32_t calibration_samples = 0;
  std::vector<LayerReport> layers;
  uint64_t file_size = 0;
  uint64_t high_bytes = 0;
  uint64_t low_bytes = 0;
  std::vector<std::string> notes;  // QuantisedModel::notes
};

// The per-layer part of a report (file fields left for the caller).
ConversionReport make_report(const QuantisedModel& model);
// Human-readable table: one row per operator, then totals.
std::string format_table(const ConversionReport& report);
std::string to_json(const ConversionReport& report);

}  // namespace nestrt::converter

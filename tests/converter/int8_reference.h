// A plain int8 interpreter of a .nest model following the integer semantics of design §4 and the
// schema comments, written independently of the converter to check its quantisation end to end.
#pragma once

#include <cstdint>
#include <vector>

#include "nestrt/format/model_file.h"

namespace nestrt::converter::testing {

class Int8Reference {
 public:
  Int8Reference(const format::ModelFile& file, bool part_mode);
  // Input in the source model's NCHW float layout; returns the dequantised output.
  std::vector<float> run(const std::vector<float>& input_nchw);

 private:
  void run_operator(const fb::Operator& op);
  std::vector<int8_t> decode_weights(const fb::NestedWeights& weights) const;

  const format::ModelFile& file_;
  const fb::Model& model_;
  bool part_mode_;
  std::vector<std::vector<int8_t>> tensors_;
};

}  // namespace nestrt::converter::testing

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
  // One serving mode's weights of an operator, decoded once: w - weight_zero_point, OHWI.
  struct LayerParams {
    std::vector<int32_t> weights;
    std::vector<int32_t> bias;
    std::vector<float> multiplier;
  };
  LayerParams decode(const fb::NestedWeights& weights) const;
  void run_operator(const fb::Operator& op, const LayerParams& params);

  const format::ModelFile& file_;
  const fb::Model& model_;
  bool part_mode_;
  std::vector<std::vector<int8_t>> tensors_;
  std::vector<LayerParams> layers_;  // per operator (empty without weights)
};

}  // namespace nestrt::converter::testing

// The model after quantisation and nesting: NHWC tensors with activation quant, runtime operators
// with their options and nested weights. emit_model() serialises it one to one.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "nestrt/converter/calibrate.h"
#include "nestrt/converter/graph.h"
#include "nestrt/converter/nest.h"
#include "nestrt/converter/quantise.h"
#include "nestrt_generated.h"

namespace nestrt::converter {

struct ModeParamsData {
  std::vector<float> weight_scale;
  std::vector<int32_t> weight_zero_point;
  std::vector<int32_t> bias;
  std::vector<float> multiplier;
};

struct NestedLayerWeights {
  std::vector<int32_t> shape;  // OHWI: [O, KH, KW, I/groups]
  std::vector<int8_t> high;    // OHWI order
  std::vector<int8_t> low;
  ModeParamsData full;
  ModeParamsData part;
  double sqnr_full_db = 0.0;  // dequantised weights vs the float weights
  double sqnr_part_db = 0.0;
  double output_sqnr_full_db = 0.0;  // the layer's output against the float model's (output_sqnr.h)
  double output_sqnr_part_db = 0.0;
  // Graded switching (sensitivity.h): output error of this layer alone in part mode, its place in
  // the release order, and output error / top-1 agreement with full mode once it and every
  // layer ranked before it run in part mode.
  double sensitivity = 0.0;
  int low_rank = 0;
  double step_error = 0.0;
  double step_agreement = 1.0;
  bool nested = true;  // false: kept at full precision in both modes (--no-nest), low plane all zero
  // Bit-plane nesting: part mode computes with 2 * high + 1 (part_weight), as the runtime decodes
  // every nested layer of a Bitplane file.
  bool part_midpoint = false;
};

struct QuantTensor {
  std::string name;
  std::vector<int32_t> shape;  // NHWC for 4-D, [N, C] for 2-D
  ActivationQuant quant;
};

struct QuantOperator {
  std::string name;
  std::string source_op;  // ONNX op_type (report)
  fb::OpCode code = fb::OpCode::Conv2D;
  std::vector<int32_t> inputs;
  std::vector<int32_t> outputs;
  ConvAttrs conv;             // Conv2D, DepthwiseConv2D
  PoolAttrs pool;             // pools (GlobalAveragePool: kernel = H x W)
  float pool_multiplier = 1;  // AveragePool2D, GlobalAveragePool: s_in / s_out
  float add_multipliers[2] = {1, 1};
  float mul_multiplier = 1;                      // Mul: s_a * s_b / s_out
  std::vector<int8_t> lookup_table;              // Lookup: 256 outputs, for inputs -128..127
  std::vector<float> softmax_exp_table;          // Softmax: exp(-s_in * d), d = 0..255
  std::vector<float> concat_multipliers;         // Concat: s_i / s_out per input
  int32_t resize_h = 1, resize_w = 1;            // Resize: upsampling factors
  int32_t zero_insert_h = 1, zero_insert_w = 1;  // ZeroInsert: strides
  std::optional<NestedLayerWeights> weights;
  int8_t output_min = -128;
  int8_t output_max = 127;
};

struct QuantisedModel {
  NestConfig nesting;
  std::vector<QuantTensor> tensors;
  std::vector<QuantOperator> operators;  // topologically sorted
  int32_t input = -1;
  int32_t output = -1;
  Shape input_shape_nchw;
  std::vector<std::string> notes;  // for the user, e.g. a layer gptq nested with squant for lack of data
};

// Quantises a normalised graph with calibrated ranges (indexed like graph.values) and nests its
// weights, except those of the Conv/FC nodes named in not_nested (an unknown name is an error).
// Method gptq reads each layer's statistics from `hessians` (by node name).
QuantisedModel quantise_graph(const Graph& graph, const std::vector<Range>& ranges, const NestConfig& nesting,
                              const std::set<std::string>& not_nested = {}, const LayerHessians* hessians = nullptr);

}  // namespace nestrt::converter

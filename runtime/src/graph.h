// The executable form of a model's graph: tensors with their byte sizes and quantisation, and
// operators with geometry, nested weight planes (pointers into the mapping) and per-mode
// parameters. Built once at load; every shape is checked against the operator's attributes here.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "nestrt/format/model_file.h"
#include "nestrt/kernels/reference.h"

namespace nestrt::runtime {

struct TensorInfo {
  std::string name;
  std::vector<int32_t> shape;  // NHWC or [N, C]
  size_t elements = 0;
  float scale = 1.f;
  int32_t zero_point = 0;
};

struct OpPlan {
  std::string name;                                                // the node's name in the model
  std::string label() const { return "operator '" + name + "'"; }  // for messages
  nestrt::fb::OpCode code{};
  std::vector<int32_t> inputs;
  int32_t output = -1;
  kernels::ConvGeometry conv;  // Conv2D, DepthwiseConv2D
  kernels::PoolGeometry pool;  // pooling
  kernels::ActivationParams activation;
  kernels::AddParams add;
  float pool_multiplier = 1.f;
  // Lookup: the file's table with the operator's output_min/output_max clamp applied (the clamp
  // every operator fuses), so the kernels need not clamp.
  std::array<int8_t, 256> lookup_table{};
  kernels::MulParams mul;
  bool mul_broadcast = false;  // second input [N, 1, 1, C] over an [N, H, W, C] first input
  size_t mul_batch = 0, mul_spatial = 0, mul_channels = 0;  // broadcast geometry
  kernels::SoftmaxParams softmax;                           // exp_table points into the mapping
  size_t softmax_rows = 0, softmax_channels = 0;
  // Concat: one entry per input (its requantisation and channel count), rows = the product of
  // every dimension but the last.
  std::vector<kernels::ConcatParams> concat;
  std::vector<size_t> concat_channels;
  size_t concat_rows = 0, concat_output_channels = 0;
  kernels::ResizeGeometry resize;
  kernels::ZeroInsertGeometry zero_insert;  // the fill value is the input's zero point (activation.input_zero_point)
  int fc_in = 0, fc_out = 0, fc_batch = 1;
  kernels::NestedPlanes planes;  // weighted ops
  kernels::ChannelQuant full_quant, part_quant;
  int low_rank = -1;  // weighted ops: place in the release order of graded switching (low-plane order)
  // Level k runs the first k ops of the release order in part mode.
  bool part_at(uint32_t level) const { return low_rank >= 0 && static_cast<uint32_t>(low_rank) < level; }
};

// One step of graded switching: level k runs the weighted ops of rank < k in part mode.
struct ReleaseStep {
  size_t op = 0;         // index in GraphPlan::ops of the op this step adds
  uint32_t section = 0;  // its low plane: file section and byte range in the mapping
  const uint8_t* low_begin = nullptr;
  const uint8_t* low_end = nullptr;
  float sensitivity = 0.f;  // the converter's estimates (fb::NestedWeights)
  float step_error = 0.f;
  float step_agreement = 1.f;
};

struct GraphPlan {
  std::vector<TensorInfo> tensors;
  std::vector<OpPlan> ops;
  int32_t input = -1;
  int32_t output = -1;
  std::vector<int64_t> input_shape;   // float input as the source model declares it (NCHW)
  std::vector<int64_t> output_shape;  // float output in the source model's layout
  size_t max_weight_elements = 0;     // decode scratch a session needs
  std::vector<ReleaseStep> release;   // weighted ops in release order (ascending low-plane address)
  bool graded = false;                // every low plane lies in one section, so levels release prefixes of it
};

// Throws format::FormatError (kBadMetadata) naming the operator when shapes do not agree.
GraphPlan build_graph_plan(const format::ModelFile& file);

}  // namespace nestrt::runtime

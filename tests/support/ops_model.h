// Builds a small .nest file with the table and elementwise operators and no weights, so runtime
// tests need no converter:
//   input [1,H,W,C] -> Lookup 'lut' -> [1,H,W,C] ---------------------------+
//   input -> MaxPool2D 'pool' (kernel H x W) -> [1,1,1,C] -> Mul 'mul' (broadcast) -> [1,H,W,C]
//   -> Reshape 'flatten' -> [1, H*W*C] -> Softmax 'softmax' -> [1, H*W*C] (the graph output).
// The fields below default to that valid model; the others break one thing each (bad-input tests).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace nestrt::testing {

struct OpsModelSpec {
  int height = 2, width = 3, channels = 4;
  // Quantisation (scale, zero point) of each tensor.
  float input_scale = 0.25f, lut_scale = 0.5f, mul_scale = 0.125f, softmax_scale = 1.f / 256;
  int input_zero_point = -3, lut_zero_point = 2, mul_zero_point = -1, softmax_zero_point = -128;
  std::vector<int8_t> lookup_table;  // empty: lookup_table_entries of a fixed scrambling function
  int lookup_table_entries = 256;
  int8_t lookup_output_max = 100;            // the fused clamp of the Lookup
  std::vector<int32_t> lookup_output_shape;  // empty: the input's
  float mul_multiplier = 1.f / 64;
  int mul_inputs = 2;
  int pool_kernel_h = 0, pool_kernel_w = 0;  // 0: the whole input (a [1,1,1,C] second Mul input)
  std::vector<float> exp_table;              // empty: exp(-mul_scale * d) for d < exp_table_entries
  int exp_table_entries = 256;
  bool softmax_rank4 = false;  // Softmax reads the [1,H,W,C] Mul output directly
  // Options each op carries: "" for none; another type's name for a wrong type.
  std::string lookup_options = "LookupOptions", mul_options = "MulOptions", softmax_options = "SoftmaxOptions";
};

// The default Lookup table and Softmax exp_table of a spec (what the file holds).
std::vector<int8_t> ops_model_lookup_table(const OpsModelSpec& spec);
std::vector<float> ops_model_exp_table(const OpsModelSpec& spec);

// Writes the model to path (atomically, like the converter).
void write_ops_model(const std::string& path, const OpsModelSpec& spec = {});

// A second model, for Concat and Resize:
//   input [1,2,4,3] -> Lookup 'lut' -> [1,2,4,3] ----------------------------------------------+
//   input -> Reshape 'fold' -> [1,1,2,12] -> Resize 'up' (2 x 2) -> [1,2,4,12] ----------------+-> Concat 'cat'
//   input -> Lookup 'lut2' (another table) -> [1,2,4,3] ----------------------------------------+   -> [1,2,4,18]
// Concat's inputs are lut, up, lut2 in that order, with three different quantisations; 'up'
// keeps the input's (multiplier 1 and equal zero points: the copy case). Operators run in the
// order fold, up, lut, lut2, cat.
struct ConcatModelSpec {
  float input_scale = 0.25f, lut_scale = 0.5f, lut2_scale = 0.125f, up_scale = 0.25f, cat_scale = 0.25f;
  int input_zero_point = -3, lut_zero_point = 2, lut2_zero_point = -7, up_zero_point = -3, cat_zero_point = -3;
  int8_t cat_output_min = -100, cat_output_max = 120;  // Concat's fused clamp
  int resize_scale_h = 2, resize_scale_w = 2;
  std::vector<int32_t> up_shape;       // empty: [1, scale_h, 2 * scale_w, 12]
  std::vector<int32_t> cat_shape;      // empty: [1, 2, 4, 18]
  int cat_inputs = 3;                  // the first this many of lut, up, lut2
  std::vector<float> cat_multipliers;  // empty: input scale / cat_scale for each input
  std::string cat_options = "ConcatOptions", resize_options = "ResizeOptions";  // "": none
};

// The two Lookup tables of the concat model ('lut', 'lut2').
std::vector<int8_t> concat_model_table(int which);

void write_concat_model(const std::string& path, const ConcatModelSpec& spec = {});

// A third model, for ZeroInsert: input [1,3,4,5] (NHWC) -> ZeroInsert 'zeros' -> output
// [1, 2 * stride_h + 1, 3 * stride_w + 1, 5] (unless out_shape says otherwise).
struct ZeroInsertModelSpec {
  float input_scale = 0.25f, output_scale = 0.25f;
  int input_zero_point = -3, output_zero_point = -3;
  int stride_h = 2, stride_w = 3;
  std::vector<int32_t> out_shape;             // empty: the shape the strides give
  std::string options = "ZeroInsertOptions";  // "": none
  int8_t output_min = -128, output_max = 127;
};

void write_zero_insert_model(const std::string& path, const ZeroInsertModelSpec& spec = {});

}  // namespace nestrt::testing

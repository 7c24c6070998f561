// Reference int8 kernels: the definition of correct output for every other variant (design §4).
// Layouts: activations NHWC int8, weights OHWI int8 (already decoded from the nested planes).
// Names follow XNNPACK's scheme: <datatype>_<op>__<isa>.
#pragma once

#include <cstddef>
#include <cstdint>

#include "nestrt/kernels/packed_plane.h"

namespace nestrt::kernels {

enum class NestMode { kFull, kPart };

// One layer's nested weights as stored in the file: count elements in OHWI order per plane.
struct NestedPlanes {
  PackedPlane high;
  PackedPlane low;  // read only in full mode
  size_t count = 0;
  int low_bits = 0;
  // Bit-plane nesting (high = q >> low_bits): part mode decodes 2 * high + 1, the midpoint of the
  // high part's bucket in units of half its step (the part-mode scale is s_c * 2^(low_bits - 1)).
  // The loader keeps 2 * high + 1 inside int8 (|high| <= 64). Full mode is unaffected.
  bool part_midpoint = false;
};

// Decodes the weights a mode serves: full = high * 2^low_bits + low (exactly the int8 weight),
// part = high, or 2 * high + 1 with part_midpoint (used with the part-mode per-channel scale).
void nest_qs8_decode__ref(const NestedPlanes& planes, NestMode mode, int8_t* out);

// Part mode's weights [first, first + n): unpack_plane of the high plane, then the midpoint
// mapping 2 * v + 1 if planes.part_midpoint. Every kernel's part-mode decode goes through this.
void unpack_part(const NestedPlanes& planes, size_t first, size_t n, int8_t* out);

// Per-output-channel quantisation of a conv / fully connected layer for one mode.
struct ChannelQuant {
  const int32_t* bias = nullptr;               // in units of input_scale * weight_scale[c]
  const float* multiplier = nullptr;           // input_scale * weight_scale[c] / output_scale
  const int32_t* weight_zero_point = nullptr;  // may be null: all zero
};

// Zero points and the fused-activation clamp of one operator's input and output.
struct ActivationParams {
  int32_t input_zero_point = 0;
  int32_t output_zero_point = 0;
  int32_t output_min = -128;
  int32_t output_max = 127;
};

struct ConvGeometry {
  int batch = 1;
  int in_h = 0, in_w = 0, in_c = 0;
  int out_h = 0, out_w = 0, out_c = 0;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0;
  int groups = 1;  // in_c and out_c divisible by groups; weights [out_c, KH, KW, in_c / groups]
};

// Output size along one axis for a window op (floor mode): the helper every caller shares.
int conv_output_size(int in, int kernel, int stride, int dilation, int pad_before, int pad_after);

// Grouped 2-D convolution. Padding reads the input zero point (i.e. real zero).
void qs8_conv2d__ref(const ConvGeometry& g, const ActivationParams& a, const int8_t* input, const int8_t* weights,
                     const ChannelQuant& q, int8_t* output);

// Depthwise convolution: out_c == in_c * depth_multiplier, weights [out_c, KH, KW, 1].
void qs8_dwconv2d__ref(const ConvGeometry& g, const ActivationParams& a, const int8_t* input, const int8_t* weights,
                       const ChannelQuant& q, int8_t* output);

// Fully connected: input [batch, in_features], weights [out_features, in_features].
void qs8_fully_connected__ref(int batch, int in_features, int out_features, const ActivationParams& a,
                              const int8_t* input, const int8_t* weights, const ChannelQuant& q, int8_t* output);

// Element-wise add of two equally shaped tensors with their own quantisation:
// y = clamp(round_half_even(float(a - za) * ma + float(b - zb) * mb) + zo).
struct AddParams {
  int32_t a_zero_point = 0, b_zero_point = 0, output_zero_point = 0;
  float a_multiplier = 1.f, b_multiplier = 1.f;
  int32_t output_min = -128, output_max = 127;
};
void qs8_add__ref(size_t count, const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output);

// Table lookup, any elementwise function of one int8 tensor: y = table[x + 128] (256 entries).
void qs8_lookup__ref(size_t count, const int8_t* table, const int8_t* input, int8_t* output);

// Element-wise multiply with its own quantisation:
// y = clamp(round_half_even(float((a - za) * (b - zb)) * multiplier) + zo), multiplier =
// scale_a * scale_b / output_scale. The product of two zero-point-shifted int8 values (at most
// 255 * 255) is exact in int32 and in float, so this is requantize()'s rule on that product.
struct MulParams {
  int32_t a_zero_point = 0, b_zero_point = 0, output_zero_point = 0;
  float multiplier = 1.f;
  int32_t output_min = -128, output_max = 127;
};
// a and b hold count elements each (equal shapes).
void qs8_mul__ref(size_t count, const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output);
// a is [batch, spatial, channels] (NHWC with spatial = H * W), b is [batch, channels] ([N, 1, 1, C]),
// broadcast over the spatial positions (squeeze-excite); output as a.
void qs8_mul_broadcast__ref(size_t batch, size_t spatial, size_t channels, const MulParams& p, const int8_t* a,
                            const int8_t* b, int8_t* output);

// Softmax over the last axis of a [rows, channels] tensor. Per row with maximum m:
// e_i = exp_table[m - x_i], s = the float sum of e_i in index order, r = 1 / (s * output_scale)
// (float), y_i = clamp(round_half_even(e_i * r) + zo). The input zero point cancels in m - x_i.
struct SoftmaxParams {
  const float* exp_table = nullptr;  // 256 entries: exp(-input_scale * d) for d = 0..255
  float output_scale = 1.f;
  int32_t output_zero_point = 0, output_min = -128, output_max = 127;
};
void qs8_softmax__ref(size_t rows, size_t channels, const SoftmaxParams& p, const int8_t* input, int8_t* output);

// One input of a channel concatenation (the last axis): writes the input's channels into its
// slice [channel_offset, channel_offset + channels) of every output row of output_channels,
// requantised y = clamp(round_half_even(float(x - z_in) * multiplier) + zo). A Concat operator is
// one call per input. With multiplier 1 and z_in == zo the formula copies (then clamps).
struct ConcatParams {
  int32_t input_zero_point = 0, output_zero_point = 0;
  float multiplier = 1.f;  // input_scale / output_scale
  int32_t output_min = -128, output_max = 127;
};
// input is [rows, channels]; output is [rows, output_channels].
void qs8_concat__ref(size_t rows, size_t channels, size_t output_channels, size_t channel_offset, const ConcatParams& p,
                     const int8_t* input, int8_t* output);

// Nearest-neighbour upsampling by integer factors: input [batch, in_h, in_w, channels], output
// [batch, in_h * scale_h, in_w * scale_w, channels], y[n, oy, ox, c] = x[n, oy / scale_h, ox / scale_w, c].
struct ResizeGeometry {
  size_t batch = 1, in_h = 0, in_w = 0, channels = 0;
  size_t scale_h = 1, scale_w = 1;
};
void qs8_resize_nearest__ref(const ResizeGeometry& g, const int8_t* input, int8_t* output);

// Zero insertion (a transposed convolution's stride): input [batch, in_h, in_w, channels], output
// [batch, (in_h - 1) * stride_h + 1, (in_w - 1) * stride_w + 1, channels] with
// y[n, oy * stride_h, ox * stride_w, c] = x[n, oy, ox, c] and every other element zero_point (the
// input's, which is the output's: real 0). Exact: values are copied.
struct ZeroInsertGeometry {
  size_t batch = 1, in_h = 0, in_w = 0, channels = 0;
  size_t stride_h = 1, stride_w = 1;
  size_t out_h() const { return in_h == 0 ? 0 : (in_h - 1) * stride_h + 1; }
  size_t out_w() const { return in_w == 0 ? 0 : (in_w - 1) * stride_w + 1; }
};
void qs8_zero_insert__ref(const ZeroInsertGeometry& g, int8_t zero_point, const int8_t* input, int8_t* output);

struct PoolGeometry {
  int batch = 1;
  int in_h = 0, in_w = 0, channels = 0;
  int out_h = 0, out_w = 0;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_top = 0, pad_left = 0;
  bool count_include_pad = false;
};

// Max over the window's in-bounds elements; input and output share their quantisation.
void qs8_maxpool2d__ref(const PoolGeometry& g, int32_t output_min, int32_t output_max, const int8_t* input,
                        int8_t* output);

// y = clamp(round_half_even(float(sum(x - zi)) * (multiplier / float(count))) + zo), count = the
// window's in-bounds elements (or the whole kernel if count_include_pad).
void qs8_avgpool2d__ref(const PoolGeometry& g, const ActivationParams& a, float multiplier, const int8_t* input,
                        int8_t* output);

}  // namespace nestrt::kernels

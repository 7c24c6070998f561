#include "executor.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "nestrt/kernels/dispatch.h"
#include "nestrt/kernels/dwconv.h"
#include "nestrt/kernels/elementwise.h"
#include "nestrt/kernels/gemm.h"
#include "nestrt/kernels/pooling.h"
#include "nestrt/kernels/reference.h"
#include "nestrt/kernels/requantize.h"

namespace nestrt::runtime {
namespace {

namespace fb = nestrt::fb;
using kernels::NestMode;

// Conv2D (groups == 1) and FullyConnected run on the active variant's GEMM path, depthwise
// convolution on its depthwise kernel (AVX2, AVX512-VNNI or NEON), add, mul, lookup, concat, resize,
// zero insertion and pooling on
// the portable vectorised kernels (every variant but ref, which runs the reference kernels
// throughout), all on the session's threads; softmax (a classifier's [N, classes]) runs the
// reference kernel on the calling thread. Every variant gives the reference's bits.
void run_op(const GraphPlan& plan, const OpPlan& op, NestMode mode, kernels::Variant variant, int8_t* const* tensors,
            int8_t* scratch, pthreadpool_t pool) {
  const int8_t* in = tensors[op.inputs[0]];
  int8_t* out = tensors[op.output];
  const size_t out_elements = plan.tensors[static_cast<size_t>(op.output)].elements;
  const kernels::ChannelQuant& quant = mode == NestMode::kFull ? op.full_quant : op.part_quant;
  switch (op.code) {
    case fb::OpCode::Conv2D:
      if (variant != kernels::Variant::kRef && kernels::gemm_supports(op.conv, quant)) {
        kernels::qs8_conv2d_nested(variant, op.conv, op.activation, in, op.planes, mode, quant, out, scratch, pool);
      } else {
        kernels::nest_qs8_decode__ref(op.planes, mode, scratch);
        kernels::qs8_conv2d__ref(op.conv, op.activation, in, scratch, quant, out);
      }
      break;
    case fb::OpCode::DepthwiseConv2D:
      if (variant != kernels::Variant::kRef && kernels::dwconv_supports(op.conv, quant)) {
        kernels::qs8_dwconv2d_nested(variant, op.conv, op.activation, in, op.planes, mode, quant, out, scratch, pool);
      } else {
        kernels::nest_qs8_decode__ref(op.planes, mode, scratch);
        kernels::qs8_dwconv2d__ref(op.conv, op.activation, in, scratch, quant, out);
      }
      break;
    case fb::OpCode::FullyConnected: {
      const kernels::ConvGeometry g = kernels::fully_connected_geometry(op.fc_batch, op.fc_in, op.fc_out);
      if (variant != kernels::Variant::kRef && kernels::gemm_supports(g, quant)) {
        kernels::qs8_conv2d_nested(variant, g, op.activation, in, op.planes, mode, quant, out, scratch, pool);
      } else {
        kernels::nest_qs8_decode__ref(op.planes, mode, scratch);
        kernels::qs8_fully_connected__ref(op.fc_batch, op.fc_in, op.fc_out, op.activation, in, scratch, quant, out);
      }
      break;
    }
    case fb::OpCode::Add:
      if (variant != kernels::Variant::kRef) {
        kernels::qs8_add__portable(out_elements, op.add, in, tensors[op.inputs[1]], out, pool);
      } else {
        kernels::qs8_add__ref(out_elements, op.add, in, tensors[op.inputs[1]], out);
      }
      break;
    case fb::OpCode::MaxPool2D:
      if (variant != kernels::Variant::kRef) {
        kernels::qs8_maxpool2d__portable(op.pool, op.activation.output_min, op.activation.output_max, in, out, pool);
      } else {
        kernels::qs8_maxpool2d__ref(op.pool, op.activation.output_min, op.activation.output_max, in, out);
      }
      break;
    case fb::OpCode::AveragePool2D:
    case fb::OpCode::GlobalAveragePool:
      if (variant != kernels::Variant::kRef) {
        kernels::qs8_avgpool2d__portable(op.pool, op.activation, op.pool_multiplier, in, out, pool);
      } else {
        kernels::qs8_avgpool2d__ref(op.pool, op.activation, op.pool_multiplier, in, out);
      }
      break;
    case fb::OpCode::Reshape:
      if (in != out) std::copy_n(in, out_elements, out);  // an arena may alias a reshape in place
      break;
    case fb::OpCode::Lookup:
      if (variant != kernels::Variant::kRef) {
        kernels::qs8_lookup__portable(out_elements, op.lookup_table.data(), in, out, pool);
      } else {
        kernels::qs8_lookup__ref(out_elements, op.lookup_table.data(), in, out);
      }
      break;
    case fb::OpCode::Mul: {
      const int8_t* in2 = tensors[op.inputs[1]];
      if (op.mul_broadcast && variant != kernels::Variant::kRef) {
        kernels::qs8_mul_broadcast__portable(op.mul_batch, op.mul_spatial, op.mul_channels, op.mul, in, in2, out, pool);
      } else if (op.mul_broadcast) {
        kernels::qs8_mul_broadcast__ref(op.mul_batch, op.mul_spatial, op.mul_channels, op.mul, in, in2, out);
      } else if (variant != kernels::Variant::kRef) {
        kernels::qs8_mul__portable(out_elements, op.mul, in, in2, out, pool);
      } else {
        kernels::qs8_mul__ref(out_elements, op.mul, in, in2, out);
      }
      break;
    }
    case fb::OpCode::Softmax:  // [N, classes] at the end of a classifier: the reference for every variant
      kernels::qs8_softmax__ref(op.softmax_rows, op.softmax_channels, op.softmax, in, out);
      break;
    case fb::OpCode::Concat: {  // one call per input, each filling its channel slice of every row
      size_t offset = 0;
      for (size_t i = 0; i < op.inputs.size(); ++i) {
        const size_t channels = op.concat_channels[i];
        if (variant != kernels::Variant::kRef) {
          kernels::qs8_concat__portable(op.concat_rows, channels, op.concat_output_channels, offset, op.concat[i],
                                        tensors[op.inputs[i]], out, pool);
        } else {
          kernels::qs8_concat__ref(op.concat_rows, channels, op.concat_output_channels, offset, op.concat[i],
                                   tensors[op.inputs[i]], out);
        }
        offset += channels;
      }
      break;
    }
    case fb::OpCode::Resize:
      if (variant != kernels::Variant::kRef) {
        kernels::qs8_resize_nearest__portable(op.resize, in, out, pool);
      } else {
        kernels::qs8_resize_nearest__ref(op.resize, in, out);
      }
      break;
    case fb::OpCode::ZeroInsert: {
      const auto zero_point = static_cast<int8_t>(op.activation.input_zero_point);
      if (variant != kernels::Variant::kRef) {
        kernels::qs8_zero_insert__portable(op.zero_insert, zero_point, in, out, pool);
      } else {
        kernels::qs8_zero_insert__ref(op.zero_insert, zero_point, in, out);
      }
      break;
    }
  }
}

// Visits (nchw_index, nhwc_index) pairs of a tensor; rank-2 tensors are the same in both layouts.
template <typename Fn>
void for_each_layout_pair(const TensorInfo& t, Fn fn) {
  if (t.shape.size() != 4) {
    for (size_t i = 0; i < t.elements; ++i) fn(i, i);
    return;
  }
  const size_t n = static_cast<size_t>(t.shape[0]), h = static_cast<size_t>(t.shape[1]),
               w = static_cast<size_t>(t.shape[2]), c = static_cast<size_t>(t.shape[3]);
  for (size_t b = 0; b < n; ++b)
    for (size_t ch = 0; ch < c; ++ch)
      for (size_t y = 0; y < h; ++y)
        for (size_t x = 0; x < w; ++x) fn(((b * c + ch) * h + y) * w + x, ((b * h + y) * w + x) * c + ch);
}

}  // namespace

// The decoded weights (reference path), or the GEMM path's panels + packed input rows: enough for
// whichever variant runs, so a session sized once serves every variant.
size_t op_scratch_bytes(const OpPlan& op, size_t threads) {
  switch (op.code) {
    case fb::OpCode::Conv2D:
      return std::max(op.planes.count, kernels::qs8_conv2d_nested_scratch_bytes(op.conv, threads));
    case fb::OpCode::FullyConnected:
      return std::max(op.planes.count,
                      kernels::qs8_conv2d_nested_scratch_bytes(
                          kernels::fully_connected_geometry(op.fc_batch, op.fc_in, op.fc_out), threads));
    case fb::OpCode::DepthwiseConv2D:
      return std::max(op.planes.count, kernels::qs8_dwconv2d_nested_scratch_bytes(op.conv));
    default: return op.planes.count;
  }
}

void execute(const GraphPlan& plan, uint32_t level, int8_t* const* tensors, int8_t* scratch, pthreadpool_t pool,
             uint64_t* op_ns) {
  const kernels::Variant variant = kernels::active_variant();  // one variant for the whole run
  for (size_t i = 0; i < plan.ops.size(); ++i) {
    const OpPlan& op = plan.ops[i];
    const NestMode mode = op.part_at(level) ? NestMode::kPart : NestMode::kFull;
    if (op_ns == nullptr) {
      run_op(plan, op, mode, variant, tensors, scratch, pool);
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    run_op(plan, op, mode, variant, tensors, scratch, pool);
    op_ns[i] += static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
  }
}

uint64_t op_macs(const OpPlan& op) {
  const kernels::ConvGeometry& g = op.conv;
  switch (op.code) {
    case fb::OpCode::Conv2D:
    case fb::OpCode::DepthwiseConv2D:
      return uint64_t(g.batch) * uint64_t(g.out_h) * uint64_t(g.out_w) * uint64_t(g.out_c) *
             uint64_t(g.in_c / std::max(g.groups, 1)) * uint64_t(g.kernel_h) * uint64_t(g.kernel_w);
    case fb::OpCode::FullyConnected: return uint64_t(op.fc_batch) * uint64_t(op.fc_in) * uint64_t(op.fc_out);
    default: return 0;
  }
}

const char* op_type_name(const OpPlan& op) {
  return fb::EnumNameOpCode(op.code);
}

void quantize_input(const TensorInfo& tensor, const float* nchw, int8_t* nhwc) {
  // NaN maps to the zero point (real 0) rather than to an undefined conversion.
  if (tensor.shape.size() != 4)
    return kernels::qs8_quantize__portable(tensor.elements, tensor.scale, tensor.zero_point, nchw, nhwc);
  // One source row (NCHW's last axis) at a time, quantised contiguously, then scattered to NHWC.
  const size_t n = static_cast<size_t>(tensor.shape[0]), h = static_cast<size_t>(tensor.shape[1]),
               w = static_cast<size_t>(tensor.shape[2]), c = static_cast<size_t>(tensor.shape[3]);
  constexpr size_t kChunk = 256;
  int8_t row[kChunk];
  for (size_t b = 0; b < n; ++b)
    for (size_t ch = 0; ch < c; ++ch)
      for (size_t y = 0; y < h; ++y)
        for (size_t x0 = 0; x0 < w; x0 += kChunk) {
          const size_t len = std::min(kChunk, w - x0);
          kernels::qs8_quantize__portable(len, tensor.scale, tensor.zero_point, nchw + ((b * c + ch) * h + y) * w + x0,
                                          row);
          int8_t* dst = nhwc + ((b * h + y) * w + x0) * c + ch;
          for (size_t x = 0; x < len; ++x) dst[x * c] = row[x];
        }
}

void dequantize_output(const TensorInfo& tensor, const int8_t* nhwc, float* nchw) {
  for_each_layout_pair(tensor, [&](size_t dst, size_t src) {
    nchw[dst] = tensor.scale * static_cast<float>(int32_t{nhwc[src]} - tensor.zero_point);
  });
}

}  // namespace nestrt::runtime

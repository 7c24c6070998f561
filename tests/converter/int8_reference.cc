#include "int8_reference.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "plane_values.h"

namespace nestrt::converter::testing {
namespace {

int32_t round_half_even(float v) {
  return static_cast<int32_t>(std::clamp(std::nearbyint(v), -1e9f, 1e9f));
}

int8_t saturate(int32_t v, int32_t lo, int32_t hi) {
  return static_cast<int8_t>(std::clamp(v, lo, hi));
}

size_t count_of(const flatbuffers::Vector<int32_t>& shape) {
  size_t n = 1;
  for (int32_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

}  // namespace

Int8Reference::Int8Reference(const format::ModelFile& file, bool part_mode)
    : file_(file), model_(file.model()), part_mode_(part_mode) {
  for (const fb::Tensor* t : *model_.graph()->tensors()) tensors_.emplace_back(count_of(*t->shape()));
  for (const fb::Operator* op : *model_.graph()->operators()) {
    layers_.push_back(op->weights() != nullptr ? decode(*op->weights()) : LayerParams{});
  }
}

Int8Reference::LayerParams Int8Reference::decode(const fb::NestedWeights& weights) const {
  const std::vector<int8_t> high = nestrt::testing::high_plane_values(file_, weights);
  const std::vector<int8_t> low = nestrt::testing::low_plane_values(file_, weights);
  const fb::ModeParams& mode = part_mode_ ? *weights.part() : *weights.full();
  const int l =
      weights.low_bits() >= 0 ? weights.low_bits() : model_.nesting()->total_bits() - model_.nesting()->high_bits();
  const size_t channels = static_cast<size_t>(weights.shape()->Get(0)), per_channel = high.size() / channels;
  LayerParams p;
  p.bias.assign(mode.bias()->begin(), mode.bias()->end());
  p.multiplier.assign(mode.multiplier()->begin(), mode.multiplier()->end());
  p.weights.resize(high.size());
  // docs/format.md: a Bitplane file's part mode decodes 2 * high + 1 on every layer with l > 0.
  const bool midpoint = model_.nesting()->method() == fb::NestMethod::Bitplane && l > 0;
  for (size_t i = 0; i < high.size(); ++i) {
    const int h = high[i];
    const int q = part_mode_ ? (midpoint ? 2 * h + 1 : h) : h * (1 << l) + low[i];
    p.weights[i] = q - mode.weight_zero_point()->Get(static_cast<uint32_t>(i / per_channel));
  }
  return p;
}

std::vector<float> Int8Reference::run(const std::vector<float>& input_nchw) {
  const fb::Graph& graph = *model_.graph();
  const fb::Tensor& in = *graph.tensors()->Get(static_cast<uint32_t>(graph.inputs()->Get(0)));
  const int h = in.shape()->Get(1), w = in.shape()->Get(2), c = in.shape()->Get(3);
  std::vector<int8_t>& x = tensors_[static_cast<size_t>(graph.inputs()->Get(0))];
  for (int ch = 0; ch < c; ++ch)
    for (int p = 0; p < h * w; ++p)
      x[static_cast<size_t>(p * c + ch)] =
          saturate(round_half_even(input_nchw[static_cast<size_t>(ch * h * w + p)] / in.quant()->scale()) +
                       in.quant()->zero_point(),
                   -128, 127);
  for (uint32_t i = 0; i < graph.operators()->size(); ++i) run_operator(*graph.operators()->Get(i), layers_[i]);
  const fb::Tensor& out = *graph.tensors()->Get(static_cast<uint32_t>(graph.outputs()->Get(0)));
  const std::vector<int8_t>& y = tensors_[static_cast<size_t>(graph.outputs()->Get(0))];
  std::vector<float> result(y.size());
  for (size_t i = 0; i < y.size(); ++i)
    result[i] = out.quant()->scale() * static_cast<float>(y[i] - out.quant()->zero_point());
  return result;
}

void Int8Reference::run_operator(const fb::Operator& op, const LayerParams& params) {
  const auto& tensors = *model_.graph()->tensors();
  const auto in_index = static_cast<uint32_t>(op.inputs()->Get(0)),
             out_index = static_cast<uint32_t>(op.outputs()->Get(0));
  const fb::Tensor& in_t = *tensors.Get(in_index);
  const fb::Tensor& out_t = *tensors.Get(out_index);
  const std::vector<int8_t>& x = tensors_[in_index];
  std::vector<int8_t>& y = tensors_[out_index];
  const int32_t zp_in = in_t.quant()->zero_point(), zp_out = out_t.quant()->zero_point();
  const int32_t lo = op.output_min(), hi = op.output_max();
  const auto& is = *in_t.shape();
  const auto& os = *out_t.shape();
  switch (op.code()) {
    case fb::OpCode::Conv2D:
    case fb::OpCode::DepthwiseConv2D:
    case fb::OpCode::FullyConnected: {
      const fb::NestedWeights& nw = *op.weights();
      const int32_t* wq = params.weights.data();
      const int o_count = nw.shape()->Get(0), kh = nw.shape()->Get(1), kw = nw.shape()->Get(2), ig = nw.shape()->Get(3);
      const auto requantise = [&](int32_t acc, int o) {
        return saturate(round_half_even(static_cast<float>(acc) * params.multiplier[static_cast<size_t>(o)]) + zp_out,
                        lo, hi);
      };
      if (op.code() == fb::OpCode::FullyConnected) {
        for (int o = 0; o < o_count; ++o) {
          int32_t acc = params.bias[static_cast<size_t>(o)];
          for (int i = 0; i < ig; ++i) acc += (x[static_cast<size_t>(i)] - zp_in) * wq[o * ig + i];
          y[static_cast<size_t>(o)] = requantise(acc, o);
        }
        break;
      }
      const auto* c = op.options_as_Conv2DOptions();
      const int ih = is.Get(1), iw = is.Get(2), ic = is.Get(3), oh = os.Get(1), ow = os.Get(2);
      const int sh = c->stride_h(), sw = c->stride_w(), dh = c->dilation_h(), dw = c->dilation_w();
      const int pt = c->pad_top(), pl = c->pad_left(), group_out = o_count / c->groups();
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          for (int o = 0; o < o_count; ++o) {
            int32_t acc = params.bias[static_cast<size_t>(o)];
            const int first = (o / group_out) * ig;
            for (int ky = 0; ky < kh; ++ky) {
              const int iy = oy * sh - pt + ky * dh;
              if (iy < 0 || iy >= ih) continue;
              for (int kx = 0; kx < kw; ++kx) {
                const int ix = ox * sw - pl + kx * dw;
                if (ix < 0 || ix >= iw) continue;
                const int8_t* xp = x.data() + (iy * iw + ix) * ic + first;
                const int32_t* wp = wq + ((o * kh + ky) * kw + kx) * ig;
                for (int i = 0; i < ig; ++i) acc += (xp[i] - zp_in) * wp[i];
              }
            }
            y[static_cast<size_t>((oy * ow + ox) * o_count + o)] = requantise(acc, o);
          }
      break;
    }
    case fb::OpCode::Add: {
      const auto* a = op.options_as_AddOptions();
      const auto b_index = static_cast<uint32_t>(op.inputs()->Get(1));
      const std::vector<int8_t>& b = tensors_[b_index];
      const int32_t zb = tensors.Get(b_index)->quant()->zero_point();
      for (size_t i = 0; i < y.size(); ++i) {
        const float v = static_cast<float>(x[i] - zp_in) * a->input1_multiplier() +
                        static_cast<float>(b[i] - zb) * a->input2_multiplier();
        y[i] = saturate(round_half_even(v) + zp_out, lo, hi);
      }
      break;
    }
    case fb::OpCode::MaxPool2D:
    case fb::OpCode::AveragePool2D:
    case fb::OpCode::GlobalAveragePool: {
      const auto* p = op.options_as_Pool2DOptions();
      const int ih = is.Get(1), iw = is.Get(2), ch = is.Get(3), oh = os.Get(1), ow = os.Get(2);
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          for (int c = 0; c < ch; ++c) {
            int32_t sum = 0, max = -128, count = 0;
            for (int ky = 0; ky < p->kernel_h(); ++ky)
              for (int kx = 0; kx < p->kernel_w(); ++kx) {
                const int iy = oy * p->stride_h() - p->pad_top() + ky, ix = ox * p->stride_w() - p->pad_left() + kx;
                if (iy < 0 || iy >= ih || ix < 0 || ix >= iw) continue;
                const int32_t v = x[static_cast<size_t>((iy * iw + ix) * ch + c)];
                sum += v - zp_in;
                max = std::max(max, v);
                ++count;
              }
            if (p->count_include_pad()) count = p->kernel_h() * p->kernel_w();
            const size_t at = static_cast<size_t>((oy * ow + ox) * ch + c);
            y[at] = op.code() == fb::OpCode::MaxPool2D
                        ? saturate(max, lo, hi)
                        : saturate(
                              round_half_even(static_cast<float>(sum) * (p->multiplier() / static_cast<float>(count))) +
                                  zp_out,
                              lo, hi);
          }
      break;
    }
    case fb::OpCode::Reshape: y = x; break;
    case fb::OpCode::Lookup: {
      const auto* table = op.options_as_LookupOptions()->table();
      for (size_t i = 0; i < y.size(); ++i) y[i] = table->Get(static_cast<uint32_t>(x[i] + 128));
      break;
    }
    case fb::OpCode::Mul: {
      const auto b_index = static_cast<uint32_t>(op.inputs()->Get(1));
      const std::vector<int8_t>& b = tensors_[b_index];
      const int32_t zb = tensors.Get(b_index)->quant()->zero_point();
      const size_t channels = static_cast<size_t>(is.Get(is.size() - 1));
      const bool per_channel = b.size() != x.size();  // [N,1,1,C] against [N,H,W,C]
      for (size_t i = 0; i < y.size(); ++i) {
        const int32_t product = (x[i] - zp_in) * (b[per_channel ? i % channels : i] - zb);
        y[i] = saturate(
            round_half_even(static_cast<float>(product) * op.options_as_MulOptions()->multiplier()) + zp_out, lo, hi);
      }
      break;
    }
    case fb::OpCode::Concat: {  // NHWC or [N, C]: each output row is the inputs' rows one after the other
      const auto* m = op.options_as_ConcatOptions()->input_multipliers();
      const size_t out_c = static_cast<size_t>(os.Get(os.size() - 1)), rows = y.size() / out_c;
      size_t first = 0;
      for (uint32_t k = 0; k < op.inputs()->size(); ++k) {
        const auto index = static_cast<uint32_t>(op.inputs()->Get(k));
        const std::vector<int8_t>& xk = tensors_[index];
        const int32_t zk = tensors.Get(index)->quant()->zero_point();
        const size_t ck = xk.size() / rows;
        for (size_t r = 0; r < rows; ++r)
          for (size_t c = 0; c < ck; ++c)
            y[r * out_c + first + c] =
                saturate(round_half_even(static_cast<float>(xk[r * ck + c] - zk) * m->Get(k)) + zp_out, lo, hi);
        first += ck;
      }
      break;
    }
    case fb::OpCode::Resize: {
      const auto* r = op.options_as_ResizeOptions();
      const int ih = is.Get(1), iw = is.Get(2), ch = is.Get(3), oh = os.Get(1), ow = os.Get(2);
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          for (int c = 0; c < ch; ++c)
            y[static_cast<size_t>((oy * ow + ox) * ch + c)] =
                x[static_cast<size_t>(((oy / r->scale_h()) * iw + ox / r->scale_w()) * ch + c)];
      (void)ih;
      break;
    }
    case fb::OpCode::ZeroInsert: {  // the zero point everywhere, the input at multiples of the strides
      const auto* z = op.options_as_ZeroInsertOptions();
      const int ih = is.Get(1), iw = is.Get(2), ch = is.Get(3), ow = os.Get(2);
      std::fill(y.begin(), y.end(), static_cast<int8_t>(zp_in));
      for (int iy = 0; iy < ih; ++iy)
        for (int ix = 0; ix < iw; ++ix)
          for (int c = 0; c < ch; ++c)
            y[static_cast<size_t>(((iy * z->stride_h()) * ow + ix * z->stride_w()) * ch + c)] =
                x[static_cast<size_t>((iy * iw + ix) * ch + c)];
      break;
    }
    case fb::OpCode::Softmax: {
      const auto* table = op.options_as_SoftmaxOptions()->exp_table();
      const size_t classes = static_cast<size_t>(is.Get(1));
      for (size_t row = 0; row < y.size(); row += classes) {
        int32_t peak = -128;
        for (size_t c = row; c < row + classes; ++c) peak = std::max<int32_t>(peak, x[c]);
        float sum = 0.0f;
        for (size_t c = row; c < row + classes; ++c) sum += table->Get(static_cast<uint32_t>(peak - x[c]));
        const float r = 1.0f / (sum * out_t.quant()->scale());
        for (size_t c = row; c < row + classes; ++c) {
          y[c] = saturate(round_half_even(table->Get(static_cast<uint32_t>(peak - x[c])) * r) + zp_out, lo, hi);
        }
      }
      break;
    }
  }
}

}  // namespace nestrt::converter::testing

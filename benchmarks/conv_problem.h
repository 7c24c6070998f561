// Shared by the convolution benchmarks (conv_bench.cc, Google Benchmark on the host) and the
// instruction-count driver (conv_insncount.cc, run under qemu-aarch64): the shape lists
// (benchmarks/shapes/<model>.txt), one deterministic random problem per shape (8:6 nested planes
// and the same weights as plain int8), and XNNPACK's qc8 convolution on that problem with the
// same quantisation, so both implementations compute the same output bits up to XNNPACK's own
// fp32 multiplier (input_scale * kernel_scale / output_scale, see docs/performance.md).
#pragma once

#include <xnnpack.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "nestrt/format/plane_coding.h"
#include "nestrt/kernels/gemm.h"
#include "nestrt/kernels/reference.h"

namespace nestrt::bench {

namespace nk = nestrt::kernels;

struct Shape {
  std::string model, name;
  int in_h = 0, in_w = 0, in_c = 0, out_c = 0, k = 1, stride = 1, pad = 0, count = 1;
};

// Reads <dir>/<model>.txt; exits with status 2 (message prefixed by `prog`) when it is missing.
inline std::vector<Shape> load_shapes(const std::string& dir, const std::string& model, const char* prog) {
  std::ifstream f(dir + "/" + model + ".txt");
  if (!f) {
    std::fprintf(stderr, "%s: cannot read %s/%s.txt\n", prog, dir.c_str(), model.c_str());
    std::exit(2);
  }
  std::vector<Shape> out;
  for (std::string line; std::getline(f, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream is(line);
    Shape s;
    s.model = model;
    if (is >> s.name >> s.in_h >> s.in_w >> s.in_c >> s.out_c >> s.k >> s.stride >> s.pad >> s.count) out.push_back(s);
  }
  return out;
}

struct Problem {
  nk::ConvGeometry g;
  std::vector<int8_t> input, high, low, decoded, output, scratch;
  std::vector<uint8_t> high_bytes, low_bytes;
  nestrt::format::PlaneCoding high_coding, low_coding;
  std::vector<int32_t> bias;
  std::vector<float> multiplier, kernel_scale;
  double ops = 0;  // 2 * MACs

  // Weights as the converter writes them (converter/src/quantise.cc, nest.cc): symmetric int8 q in
  // [-127, 127], split 8:6 nearest, high = clamp(rint(q / 4), -32, 31), low = q - 4 high in
  // [-2, 3], each plane bit-packed in its narrowest coding (6-bit high, 3-bit low). Full mode then
  // never holds -128 (the NEON pairing kernel applies); part mode (4 high) does.
  explicit Problem(const Shape& s) {
    std::mt19937 rng(1);
    std::uniform_int_distribution<int> d(-128, 127), qd(-127, 127);
    g.in_h = s.in_h, g.in_w = s.in_w, g.in_c = s.in_c, g.out_c = s.out_c, g.kernel_h = g.kernel_w = s.k;
    g.stride_h = g.stride_w = s.stride, g.pad_top = g.pad_left = s.pad;
    g.out_h = nk::conv_output_size(s.in_h, s.k, s.stride, 1, s.pad, s.pad);
    g.out_w = nk::conv_output_size(s.in_w, s.k, s.stride, 1, s.pad, s.pad);
    const size_t weights = size_t(s.out_c) * s.k * s.k * s.in_c;
    input.resize(size_t(s.in_h) * s.in_w * s.in_c);
    for (auto& v : input) v = static_cast<int8_t>(d(rng));
    high.resize(weights), low.resize(weights), decoded.resize(weights);
    for (size_t i = 0; i < weights; ++i) {
      const int q = qd(rng), h = std::clamp(static_cast<int>(std::nearbyint(q / 4.0)), -32, 31);
      high[i] = static_cast<int8_t>(h), low[i] = static_cast<int8_t>(q - 4 * h), decoded[i] = static_cast<int8_t>(q);
    }
    high_coding = nestrt::format::narrowest_plane_coding(high),
    low_coding = nestrt::format::narrowest_plane_coding(low);
    high_bytes = nestrt::format::pack_plane(high, high_coding), low_bytes = nestrt::format::pack_plane(low, low_coding);
    output.resize(size_t(g.out_h) * g.out_w * s.out_c);
    scratch.resize(nk::qs8_conv2d_nested_scratch_bytes(g));
    bias.assign(size_t(s.out_c), 100);
    multiplier.assign(size_t(s.out_c), 0.0005f);
    kernel_scale.assign(size_t(s.out_c), 0.01f);
    ops = 2.0 * double(g.out_h) * g.out_w * s.out_c * s.k * s.k * s.in_c;
  }
  nk::NestedPlanes planes() const {
    return {{high_bytes.data(), high_coding.width, high_coding.offset},
            {low_bytes.data(), low_coding.width, low_coding.offset},
            high.size(),
            2};
  }
};

// Input zero point 1, output zero point -3, no clamping: matches create_xnnpack_conv().
inline const nk::ActivationParams kAct{1, -3, -128, 127};

// XNNPACK's qc8 convolution of `s` on p.decoded (packed here, at creation), set up to read
// p.input and write `output` (batch 1). Input scale 0.02, kernel scales p.kernel_scale (0.01),
// output scale 0.4: multiplier 0.0005 as in p.multiplier. On failure returns the failing status
// and leaves *op null. xnn_initialize() must have succeeded.
inline xnn_status create_xnnpack_conv(const Shape& s, const Problem& p, int8_t* output, xnn_operator_t* op) {
  *op = nullptr;
  const uint32_t pad = static_cast<uint32_t>(s.pad);
  xnn_status st = xnn_create_convolution2d_nhwc_qc8(
      pad, pad, pad, pad, uint32_t(s.k), uint32_t(s.k), uint32_t(s.stride), uint32_t(s.stride), 1, 1, 1, size_t(s.in_c),
      size_t(s.out_c), size_t(s.in_c), size_t(s.out_c), 1, 0.02f, p.kernel_scale.data(), p.decoded.data(),
      p.bias.data(), -3, 0.4f, -128, 127, 0, op);
  if (st != xnn_status_success) return st;
  st = xnn_setup_convolution2d_nhwc_qc8(*op, 1, size_t(s.in_h), size_t(s.in_w), p.input.data(), output, nullptr);
  if (st != xnn_status_success) {
    xnn_delete_operator(*op);
    *op = nullptr;
  }
  return st;
}

}  // namespace nestrt::bench

// Convolution throughput on real ResNet-18 shapes: nestrt's reference kernel (nested decode +
// conv, full and part mode) against XNNPACK's qc8 convolution on the same problem, one thread.
// The reference kernel is the correctness baseline, not the fast path; this benchmark is where
// the NEON/AVX variants (issue 3) will be measured against XNNPACK.
#include <benchmark/benchmark.h>
#include <xnnpack.h>

#include <random>
#include <vector>

#include "nestrt/kernels/reference.h"

namespace {

struct Shape {
  const char* name;
  int hw, in_c, out_c, k, stride;
};
// ResNet-18 at 224x224: one 3x3 conv per stage, plus a 1x1 projection.
constexpr Shape kShapes[] = {
    {"resnet18_conv2_3x3_56x56x64", 56, 64, 64, 3, 1},
    {"resnet18_conv3_3x3_28x28x128", 28, 128, 128, 3, 1},
    {"resnet18_conv4_3x3_14x14x256", 14, 256, 256, 3, 1},
    {"resnet18_proj4_1x1s2_28x28x128", 28, 128, 256, 1, 2},
};

struct Problem {
  nestrt::kernels::ConvGeometry g;
  std::vector<int8_t> input, high, low, decoded, output;
  std::vector<int32_t> bias;
  std::vector<float> multiplier, kernel_scale;
  double ops = 0;  // 2 * MACs

  explicit Problem(const Shape& s) {
    std::mt19937 rng(1);
    std::uniform_int_distribution<int> d(-128, 127), hd(-32, 31), ld(-2, 1);
    g.in_h = g.in_w = s.hw, g.in_c = s.in_c, g.out_c = s.out_c, g.kernel_h = g.kernel_w = s.k;
    g.stride_h = g.stride_w = s.stride, g.pad_top = g.pad_left = s.k / 2;
    g.out_h = g.out_w = nestrt::kernels::conv_output_size(s.hw, s.k, s.stride, 1, s.k / 2, s.k / 2);
    const size_t weights = size_t(s.out_c) * s.k * s.k * s.in_c;
    input.resize(size_t(s.hw) * s.hw * s.in_c);
    for (auto& v : input) v = static_cast<int8_t>(d(rng));
    high.resize(weights), low.resize(weights), decoded.resize(weights);
    for (auto& v : high) v = static_cast<int8_t>(hd(rng));
    for (auto& v : low) v = static_cast<int8_t>(ld(rng));
    output.resize(size_t(g.out_h) * g.out_w * s.out_c);
    bias.assign(size_t(s.out_c), 100);
    multiplier.assign(size_t(s.out_c), 0.0005f);
    kernel_scale.assign(size_t(s.out_c), 0.01f);
    ops = 2.0 * double(g.out_h) * g.out_w * s.out_c * s.k * s.k * s.in_c;
  }
};

void ref_conv(benchmark::State& state, const Shape& shape, nestrt::kernels::NestMode mode) {
  Problem p(shape);
  const nestrt::kernels::NestedPlanes planes{p.high.data(), p.low.data(), p.high.size(), 2};
  const nestrt::kernels::ActivationParams a{1, -3, -128, 127};
  const nestrt::kernels::ChannelQuant q{p.bias.data(), p.multiplier.data(), nullptr};
  for (auto _ : state) {
    nestrt::kernels::nest_qs8_decode__ref(planes, mode, p.decoded.data());
    nestrt::kernels::qs8_conv2d__ref(p.g, a, p.input.data(), p.decoded.data(), q, p.output.data());
    benchmark::DoNotOptimize(p.output.data());
  }
  state.counters["GOP/s"] = benchmark::Counter(p.ops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

void xnnpack_conv(benchmark::State& state, const Shape& s) {
  Problem p(s);
  if (xnn_initialize(nullptr) != xnn_status_success) return state.SkipWithError("xnn_initialize failed");
  for (size_t i = 0; i < p.high.size(); ++i) p.decoded[i] = static_cast<int8_t>(p.high[i] * 4 + p.low[i]);
  xnn_operator_t op = nullptr;
  const uint32_t pad = static_cast<uint32_t>(s.k / 2);
  if (xnn_create_convolution2d_nhwc_qc8(pad, pad, pad, pad, uint32_t(s.k), uint32_t(s.k), uint32_t(s.stride),
                                        uint32_t(s.stride), 1, 1, 1, size_t(s.in_c), size_t(s.out_c), size_t(s.in_c),
                                        size_t(s.out_c), 1, 0.02f, p.kernel_scale.data(), p.decoded.data(),
                                        p.bias.data(), -3, 0.4f, -128, 127, 0, &op) != xnn_status_success ||
      xnn_setup_convolution2d_nhwc_qc8(op, 1, size_t(s.hw), size_t(s.hw), p.input.data(), p.output.data(), nullptr) !=
          xnn_status_success) {
    return state.SkipWithError("XNNPACK qc8 convolution setup failed");
  }
  for (auto _ : state) xnn_run_operator(op, nullptr);
  xnn_delete_operator(op);
  state.counters["GOP/s"] = benchmark::Counter(p.ops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

int register_all = [] {
  for (const Shape& s : kShapes) {
    benchmark::RegisterBenchmark((std::string("nestrt_ref_full/") + s.name).c_str(), ref_conv, s,
                                 nestrt::kernels::NestMode::kFull)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((std::string("nestrt_ref_part/") + s.name).c_str(), ref_conv, s,
                                 nestrt::kernels::NestMode::kPart)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark((std::string("xnnpack_qc8/") + s.name).c_str(), xnnpack_conv, s)
        ->Unit(benchmark::kMillisecond);
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();

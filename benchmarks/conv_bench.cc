// Convolution / GEMM throughput on the non-depthwise layers of ResNet-18 and MobileNetV2 at
// 224x224 (shape lists: benchmarks/shapes/*.txt), GOP/s, one thread unless named *_2t:
//   nestrt_<variant>_full/...       decode nested planes (high + low) into panels, then GEMM
//   nestrt_<variant>_part/...       decode the high plane only, then GEMM
//   nestrt_<variant>_predecoded/... the same GEMM on panels decoded once outside the loop
//   xnnpack_qc8/...                 XNNPACK's qc8 convolution (weights packed at creation)
//   *_2t/...                        the same at 2 threads (pthreadpool)
// The reference kernel runs only with NESTRT_BENCH_REF=1 (it is slow). Ratios against XNNPACK
// come from the same run: scripts/bench-kernels.sh prints the SUMMARY line.
#include <benchmark/benchmark.h>
#include <pthreadpool.h>
#include <xnnpack.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "nestrt/format/plane_coding.h"
#include "nestrt/kernels/dispatch.h"
#include "nestrt/kernels/gemm.h"
#include "nestrt/kernels/reference.h"

namespace {

namespace nk = nestrt::kernels;

struct Shape {
  std::string model, name;
  int in_h = 0, in_w = 0, in_c = 0, out_c = 0, k = 1, stride = 1, pad = 0, count = 1;
};

std::vector<Shape> load_shapes(const std::string& dir, const std::string& model) {
  std::ifstream f(dir + "/" + model + ".txt");
  if (!f) {
    std::fprintf(stderr, "conv_bench: cannot read %s/%s.txt\n", dir.c_str(), model.c_str());
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
  nestrt::format::PlaneCoding high_coding{6, 0}, low_coding{2, 0};
  std::vector<int32_t> bias;
  std::vector<float> multiplier, kernel_scale;
  double ops = 0;  // 2 * MACs

  explicit Problem(const Shape& s) {
    std::mt19937 rng(1);
    std::uniform_int_distribution<int> d(-128, 127), hd(-32, 31), ld(-2, 1);
    g.in_h = s.in_h, g.in_w = s.in_w, g.in_c = s.in_c, g.out_c = s.out_c, g.kernel_h = g.kernel_w = s.k;
    g.stride_h = g.stride_w = s.stride, g.pad_top = g.pad_left = s.pad;
    g.out_h = nk::conv_output_size(s.in_h, s.k, s.stride, 1, s.pad, s.pad);
    g.out_w = nk::conv_output_size(s.in_w, s.k, s.stride, 1, s.pad, s.pad);
    const size_t weights = size_t(s.out_c) * s.k * s.k * s.in_c;
    input.resize(size_t(s.in_h) * s.in_w * s.in_c);
    for (auto& v : input) v = static_cast<int8_t>(d(rng));
    high.resize(weights), low.resize(weights), decoded.resize(weights);
    for (auto& v : high) v = static_cast<int8_t>(hd(rng));
    for (auto& v : low) v = static_cast<int8_t>(ld(rng));
    for (size_t i = 0; i < weights; ++i) decoded[i] = static_cast<int8_t>(high[i] * 4 + low[i]);
    // Bit-packed as the converter writes 8:6 planes: 6-bit high, 2-bit low (this low range).
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

const nk::ActivationParams kAct{1, -3, -128, 127};

void set_counters(benchmark::State& state, const Problem& p) {
  state.counters["GOP/s"] = benchmark::Counter(p.ops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

// A pthreadpool for `threads` > 1 (null: the calling thread), destroyed with the benchmark.
struct Threads {
  pthreadpool_t pool = nullptr;
  explicit Threads(size_t threads) : pool(threads > 1 ? pthreadpool_create(threads) : nullptr) {}
  ~Threads() { pthreadpool_destroy(pool); }
  Threads(const Threads&) = delete;
  Threads& operator=(const Threads&) = delete;
};

void nested_conv(benchmark::State& state, const Shape& shape, nk::Variant v, nk::NestMode mode, size_t threads) {
  Problem p(shape);
  const Threads t(threads);
  p.scratch.resize(nk::qs8_conv2d_nested_scratch_bytes(p.g, threads));
  const nk::ChannelQuant q{p.bias.data(), p.multiplier.data(), nullptr};
  for (auto _ : state) {
    nk::qs8_conv2d_nested(v, p.g, kAct, p.input.data(), p.planes(), mode, q, p.output.data(), p.scratch.data(), t.pool);
    benchmark::DoNotOptimize(p.output.data());
  }
  set_counters(state, p);
}

void predecoded_conv(benchmark::State& state, const Shape& shape, nk::Variant v) {
  Problem p(shape);
  const nk::ChannelQuant q{p.bias.data(), p.multiplier.data(), nullptr};
  const size_t k = size_t(shape.k) * shape.k * shape.in_c, kc = nk::round_up(k, 4);
  const size_t ocp = nk::round_up(size_t(shape.out_c), nk::kPanelNR);
  std::vector<int8_t> panels(ocp * kc), tmp(nk::kPanelNR * kc);
  std::vector<int32_t> ksum(ocp);
  nk::nest_qs8_decode_panels(p.planes(), nk::NestMode::kFull, shape.out_c, int(k), panels.data(), ksum.data(),
                             tmp.data());
  for (auto _ : state) {
    nk::qs8_conv2d_packed(v, p.g, kAct, p.input.data(), panels.data(), ksum.data(), q, p.output.data(),
                          p.scratch.data());
    benchmark::DoNotOptimize(p.output.data());
  }
  set_counters(state, p);
}

void xnnpack_conv(benchmark::State& state, const Shape& s, size_t threads) {
  Problem p(s);
  const Threads t(threads);
  if (xnn_initialize(nullptr) != xnn_status_success) return state.SkipWithError("xnn_initialize failed");
  xnn_operator_t op = nullptr;
  const uint32_t pad = static_cast<uint32_t>(s.pad);
  if (xnn_create_convolution2d_nhwc_qc8(pad, pad, pad, pad, uint32_t(s.k), uint32_t(s.k), uint32_t(s.stride),
                                        uint32_t(s.stride), 1, 1, 1, size_t(s.in_c), size_t(s.out_c), size_t(s.in_c),
                                        size_t(s.out_c), 1, 0.02f, p.kernel_scale.data(), p.decoded.data(),
                                        p.bias.data(), -3, 0.4f, -128, 127, 0, &op) != xnn_status_success ||
      xnn_setup_convolution2d_nhwc_qc8(op, 1, size_t(s.in_h), size_t(s.in_w), p.input.data(), p.output.data(),
                                       nullptr) != xnn_status_success) {
    return state.SkipWithError("XNNPACK qc8 convolution setup failed");
  }
  for (auto _ : state) xnn_run_operator(op, t.pool);
  xnn_delete_operator(op);
  set_counters(state, p);
}

std::vector<Shape>& all_shapes() {
  static std::vector<Shape> shapes = [] {
    const char* env = std::getenv("NESTRT_BENCH_SHAPES_DIR");
    const std::string dir = env && *env ? env : NESTRT_BENCH_SHAPES_DIR;
    std::vector<Shape> out;
    for (const char* model : {"resnet18", "mobilenetv2"}) {
      for (Shape& s : load_shapes(dir, model)) out.push_back(s);
    }
    return out;
  }();
  return shapes;
}

int register_all = [] {
  std::vector<nk::Variant> variants;
  for (nk::Variant v : nk::kAllVariants) {
    if (v != nk::Variant::kRef && nk::gemm_ukernel(v).fn && nk::variant_available(v)) variants.push_back(v);
  }
  const bool with_ref = std::getenv("NESTRT_BENCH_REF") != nullptr;
  for (const Shape& s : all_shapes()) {
    // The layer count rides in the name so the summary script can weight by it.
    const std::string suffix = "/" + s.model + "/" + s.name + "/x" + std::to_string(s.count);
    for (nk::Variant v : variants) {
      const std::string base = std::string("nestrt_") + nk::variant_name(v);
      benchmark::RegisterBenchmark((base + "_full" + suffix).c_str(), nested_conv, s, v, nk::NestMode::kFull, 1);
      benchmark::RegisterBenchmark((base + "_part" + suffix).c_str(), nested_conv, s, v, nk::NestMode::kPart, 1);
      benchmark::RegisterBenchmark((base + "_full_2t" + suffix).c_str(), nested_conv, s, v, nk::NestMode::kFull, 2);
      benchmark::RegisterBenchmark((base + "_predecoded" + suffix).c_str(), predecoded_conv, s, v);
    }
    if (with_ref) {
      benchmark::RegisterBenchmark(("nestrt_ref_full" + suffix).c_str(), nested_conv, s, nk::Variant::kRef,
                                   nk::NestMode::kFull, 1);
    }
    benchmark::RegisterBenchmark(("xnnpack_qc8" + suffix).c_str(), xnnpack_conv, s, 1);
    benchmark::RegisterBenchmark(("xnnpack_qc8_2t" + suffix).c_str(), xnnpack_conv, s, 2);
  }
  return 0;
}();

}  // namespace

BENCHMARK_MAIN();

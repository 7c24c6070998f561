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

#include <cstdlib>
#include <string>
#include <vector>

#include "conv_problem.h"
#include "nestrt/kernels/dispatch.h"
#include "nestrt/kernels/gemm.h"
#include "nestrt/kernels/reference.h"

namespace {

namespace nk = nestrt::kernels;
using nestrt::bench::kAct;
using nestrt::bench::Problem;
using nestrt::bench::Shape;

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
  const int group = nk::gemm_ukernel(v).k_group;  // panels in the order this variant reads
  const size_t k = size_t(shape.k) * shape.k * shape.in_c, kc = nk::round_up(k, size_t(group));
  const size_t ocp = nk::round_up(size_t(shape.out_c), nk::kPanelNR);
  std::vector<int8_t> panels(ocp * kc), tmp(nk::kPanelNR * kc);
  std::vector<int32_t> ksum(ocp);
  nk::nest_qs8_decode_panels(p.planes(), nk::NestMode::kFull, shape.out_c, int(k), panels.data(), ksum.data(),
                             tmp.data(), group);
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
  if (nestrt::bench::create_xnnpack_conv(s, p, p.output.data(), &op) != xnn_status_success) {
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
      for (Shape& s : nestrt::bench::load_shapes(dir, model, "conv_bench")) out.push_back(s);
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

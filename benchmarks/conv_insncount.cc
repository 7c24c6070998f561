// Fixed-iteration convolution driver for instruction counting under qemu-aarch64 with
// ../shared/tools/qemu-insncount (scripts/bench-kernels-arm.sh). qemu counts the whole process,
// so setup is excluded by difference: run once with --runs 0 and once with --runs R, and
// (count_R - count_0) / R is the cost of one run. Everything that is not a run happens before the
// first run and is identical for every R: the random problem (benchmarks/conv_problem.h), weight
// bit-packing, XNNPACK operator creation (its weight packing) and setup, the kernel variant choice,
// W warm-up runs (--warmup, default 1: first-call effects), and all printing. One thread.
//
//   nestrt_conv_insncount --impl nested|predecoded|xnnpack --model resnet18|mobilenetv2 --shape NAME[,NAME]|all
//                         --runs N [--mode full|part] [--warmup W] [--variant V] [--shapes-dir DIR]
//   (predecoded: our GEMM alone, on panels decoded once during setup: the decode overhead)
//   nestrt_conv_insncount --impl check --model M --shape NAME|all   (ours against XNNPACK, once)
//   nestrt_conv_insncount --list --model M                          (name count MACs per shape)
#include <xnnpack.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iterator>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "conv_problem.h"
#include "nestrt/kernels/dispatch.h"
#include "nestrt/kernels/gemm.h"

namespace {

namespace nk = nestrt::kernels;
using nestrt::bench::Problem;
using nestrt::bench::Shape;

constexpr const char* kProg = "nestrt_conv_insncount";

[[noreturn]] void usage(const char* error) {
  std::FILE* out = error ? stderr : stdout;
  if (error) std::fprintf(stderr, "%s: %s\n", kProg, error);
  std::fprintf(out,
               "usage: %s --impl nested|predecoded|xnnpack --model resnet18|mobilenetv2 --shape NAME[,NAME]|all\n"
               "          --runs N [--mode full|part] [--warmup W] [--variant V] [--shapes-dir DIR]\n"
               "       %s --impl check --model M --shape NAME[,NAME]|all [--variant V] [--shapes-dir DIR]\n"
               "       %s --list --model M [--shapes-dir DIR]\n"
               "Sets up every selected shape (random 8:6 nested weights, XNNPACK qc8 operator), runs W warm-up\n"
               "runs (default 1), then N runs of each, on one thread. Count instructions at N=0 and N=R under\n"
               "qemu and divide the difference by R. predecoded: our GEMM alone, on panels decoded at setup.\n"
               "check: ours (full mode) and XNNPACK once per shape, outputs compared (exit 1 when they differ\n"
               "by more than one step or look degenerate). --list: name, count and MACs of each shape.\n"
               "--variant forces our kernel variant (default: run-time dispatch, or NESTRT_KERNELS).\n",
               kProg, kProg, kProg);
  std::exit(error ? 2 : 0);
}

struct Options {
  std::string impl, model, shape, mode = "full", variant, shapes_dir = NESTRT_BENCH_SHAPES_DIR;
  long runs = -1, warmup = 1;
  bool list = false;
};

long parse_count(const char* flag, const char* v) {
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (!*v || *end || n < 0) usage((std::string(flag) + " needs a non-negative integer, got '" + v + "'").c_str());
  return n;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") usage(nullptr);
    if (a == "--list") {
      o.list = true;
      continue;
    }
    if (i + 1 >= argc) usage(("missing value after " + a).c_str());
    const char* v = argv[++i];
    const std::pair<const char*, std::string*> strings[] = {{"--impl", &o.impl},       {"--model", &o.model},
                                                            {"--shape", &o.shape},     {"--mode", &o.mode},
                                                            {"--variant", &o.variant}, {"--shapes-dir", &o.shapes_dir}};
    const auto it = std::find_if(std::begin(strings), std::end(strings), [&](const auto& e) { return a == e.first; });
    if (it != std::end(strings)) {
      *it->second = v;
    } else if (a == "--runs" || a == "--warmup") {
      (a == "--runs" ? o.runs : o.warmup) = parse_count(a.c_str(), v);
    } else {
      usage(("unknown option '" + a + "'").c_str());
    }
  }
  if (o.model.empty()) usage("--model is required");
  if (o.list) return o;
  if (o.impl != "nested" && o.impl != "predecoded" && o.impl != "xnnpack" && o.impl != "check") {
    usage("--impl must be nested, predecoded, xnnpack or check");
  }
  if (o.shape.empty()) usage("--shape is required (a shape name or all)");
  if (o.mode != "full" && o.mode != "part") usage("--mode must be full or part");
  if (o.impl == "check" && o.mode != "full") usage("--impl check compares full mode only");
  if (o.impl != "check" && o.runs < 0) usage("--runs is required");
  return o;
}

// Nested convolution on one problem: decode (full: high + low planes; part: high only) + GEMM.
struct NestedRunner {
  const Problem& p;
  nk::Variant v;
  nk::NestMode mode;
  nk::ChannelQuant q;
  NestedRunner(Problem& prob, nk::Variant variant, nk::NestMode m)
      : p(prob), v(variant), mode(m), q{prob.bias.data(), prob.multiplier.data(), nullptr} {
    if (!nk::gemm_supports(prob.g, q)) {
      std::fprintf(stderr, "%s: the GEMM path does not support this problem\n", kProg);
      std::exit(1);
    }
  }
  void run(int8_t* output, void* scratch) const {
    nk::qs8_conv2d_nested(v, p.g, nestrt::bench::kAct, p.input.data(), p.planes(), mode, q, output, scratch, nullptr);
  }
};

// The same GEMM on panels decoded once here (conv_bench's predecoded_conv): no per-run decode.
struct PredecodedRunner {
  const Problem& p;
  nk::Variant v;
  nk::ChannelQuant q;
  std::vector<int8_t> panels;
  std::vector<int32_t> ksum;
  PredecodedRunner(Problem& prob, nk::Variant variant, nk::NestMode mode)
      : p(prob), v(variant), q{prob.bias.data(), prob.multiplier.data(), nullptr} {
    const int group = nk::gemm_ukernel(v).k_group;  // panels in the order this variant reads
    const size_t k = size_t(p.g.kernel_h) * p.g.kernel_w * p.g.in_c, kc = nk::round_up(k, size_t(group));
    const size_t ocp = nk::round_up(size_t(p.g.out_c), nk::kPanelNR);
    std::vector<int8_t> tmp(nk::kPanelNR * kc);
    panels.resize(ocp * kc), ksum.resize(ocp);
    nk::nest_qs8_decode_panels(p.planes(), mode, p.g.out_c, int(k), panels.data(), ksum.data(), tmp.data(), group);
  }
  void run(int8_t* output, void* scratch) const {
    nk::qs8_conv2d_packed(v, p.g, nestrt::bench::kAct, p.input.data(), panels.data(), ksum.data(), q, output, scratch,
                          nullptr);
  }
};

struct XnnpackRunner {
  xnn_operator_t op = nullptr;
  XnnpackRunner(const Shape& s, const Problem& p, int8_t* output) {
    if (nestrt::bench::create_xnnpack_conv(s, p, output, &op) != xnn_status_success) {
      std::fprintf(stderr, "%s: XNNPACK qc8 convolution setup failed for %s\n", kProg, s.name.c_str());
      std::exit(1);
    }
  }
  ~XnnpackRunner() { xnn_delete_operator(op); }
  XnnpackRunner(const XnnpackRunner&) = delete;
  XnnpackRunner& operator=(const XnnpackRunner&) = delete;
  void run() const {
    if (xnn_run_operator(op, nullptr) != xnn_status_success) {
      std::fprintf(stderr, "%s: xnn_run_operator failed\n", kProg);
      std::exit(1);
    }
  }
};

// Ours (full mode) against XNNPACK on one problem. XNNPACK derives its multiplier as
// 0.02f * 0.01f / 0.4f in fp32, which need not equal our 0.0005f exactly, so outputs may differ by
// one step where the scaled accumulator sits at a rounding boundary; anything more is a bug.
bool check_shape(const Shape& s, nk::Variant v) {
  Problem p(s);
  const NestedRunner nested(p, v, nk::NestMode::kFull);
  std::vector<int8_t> ours(p.output.size(), 0), theirs(p.output.size(), 0);
  const XnnpackRunner xnn(s, p, theirs.data());
  nested.run(ours.data(), p.scratch.data());
  xnn.run();
  size_t differ = 0, saturated = 0;
  int max_diff = 0;
  std::set<int> distinct;
  for (size_t i = 0; i < ours.size(); ++i) {
    const int d = std::abs(int(ours[i]) - int(theirs[i]));
    differ += d != 0;
    max_diff = std::max(max_diff, d);
    saturated += ours[i] == -128 || ours[i] == 127;
    distinct.insert(ours[i]);
  }
  const bool ok = max_diff <= 1 && distinct.size() >= 16 && saturated < ours.size() / 2;
  std::printf("check %-20s outputs=%zu differ=%zu max_diff=%d distinct=%zu saturated=%.1f%% %s\n", s.name.c_str(),
              ours.size(), differ, max_diff, distinct.size(), 100.0 * double(saturated) / double(ours.size()),
              ok ? "ok" : "FAILED");
  if (max_diff > 1) {  // which side is wrong: the reference kernel (slow, so only here) decides
    std::vector<int8_t> ref(p.output.size(), 0);
    nk::qs8_conv2d__ref(p.g, nestrt::bench::kAct, p.input.data(), p.decoded.data(), nested.q, ref.data());
    size_t ours_off = 0, theirs_off = 0;
    for (size_t i = 0; i < ref.size(); ++i)
      ours_off += ours[i] != ref[i], theirs_off += std::abs(theirs[i] - ref[i]) > 1;
    std::printf("check %-20s against the reference kernel: ours differ=%zu, XNNPACK differ by >1=%zu\n", s.name.c_str(),
                ours_off, theirs_off);
  }
  return ok;
}

int run(const Options& o) {
  std::vector<Shape> shapes = nestrt::bench::load_shapes(o.shapes_dir, o.model, kProg);
  if (o.list) {
    for (const Shape& s : shapes) {
      const double out_h = nk::conv_output_size(s.in_h, s.k, s.stride, 1, s.pad, s.pad);
      const double out_w = nk::conv_output_size(s.in_w, s.k, s.stride, 1, s.pad, s.pad);
      std::printf("%s %d %.0f\n", s.name.c_str(), s.count, out_h * out_w * s.out_c * s.k * s.k * s.in_c);
    }
    return 0;
  }
  if (o.shape != "all") {  // NAME[,NAME...], in the order given
    std::vector<Shape> picked;
    for (size_t b = 0; b <= o.shape.size();) {
      const size_t e = std::min(o.shape.find(',', b), o.shape.size());
      const std::string name = o.shape.substr(b, e - b);
      auto it = std::find_if(shapes.begin(), shapes.end(), [&](const Shape& s) { return s.name == name; });
      if (it == shapes.end()) {
        std::fprintf(stderr, "%s: no shape '%s' in %s/%s.txt\n", kProg, name.c_str(), o.shapes_dir.c_str(),
                     o.model.c_str());
        return 2;
      }
      picked.push_back(*it);
      b = e + 1;
    }
    shapes = picked;
  }
  if (!o.variant.empty()) nk::set_variant(nk::parse_variant(o.variant));
  const nk::Variant v = nk::active_variant();
  if (o.impl != "xnnpack") {
    const char* env = std::getenv("NESTRT_KERNELS");
    std::printf("variant=%s (%s) ukernel=%s\n", nk::variant_name(v),
                !o.variant.empty() ? "forced"
                : env && *env      ? "NESTRT_KERNELS"
                                   : "dispatch",
                nk::gemm_ukernel(v).name);
  }
  if ((o.impl == "xnnpack" || o.impl == "check") && xnn_initialize(nullptr) != xnn_status_success) {
    std::fprintf(stderr, "%s: xnn_initialize failed\n", kProg);
    return 1;
  }
  if (o.impl == "check") {
    bool ok = true;
    for (const Shape& s : shapes) ok = check_shape(s, v) && ok;
    std::printf("check %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
  }
  std::fflush(stdout);  // nothing is printed after the first counted run
  const nk::NestMode mode = o.mode == "part" ? nk::NestMode::kPart : nk::NestMode::kFull;
  for (const Shape& s : shapes) {
    Problem p(s);
    if (o.impl == "nested") {
      const NestedRunner r(p, v, mode);
      for (long i = 0; i < o.warmup; ++i) r.run(p.output.data(), p.scratch.data());
      for (long i = 0; i < o.runs; ++i) r.run(p.output.data(), p.scratch.data());
    } else if (o.impl == "predecoded") {
      const PredecodedRunner r(p, v, mode);
      for (long i = 0; i < o.warmup; ++i) r.run(p.output.data(), p.scratch.data());
      for (long i = 0; i < o.runs; ++i) r.run(p.output.data(), p.scratch.data());
    } else {
      const XnnpackRunner r(s, p, p.output.data());
      for (long i = 0; i < o.warmup; ++i) r.run();
      for (long i = 0; i < o.runs; ++i) r.run();
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", kProg, e.what());
    return 1;
  }
}

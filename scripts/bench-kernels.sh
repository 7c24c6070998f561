#!/bin/sh
# Kernel benchmarks on the host: nestrt's GEMM variants (full mode, part mode, and the same GEMM on
# pre-decoded panels) against XNNPACK's qc8 convolution on the non-depthwise conv/GEMM shapes of
# ResNet-18 and MobileNetV2 at 224x224 (benchmarks/shapes/), one thread (plus full mode and XNNPACK
# at 2 threads, printed as TOTALS-2-THREADS), medians of 5 repetitions run in random order.
# Ends with:
#   SUMMARY host resnet18 full_vs_xnnpack=R part_vs_xnnpack=R mobilenetv2 full_vs_xnnpack=R
#           part_vs_xnnpack=R decode_overhead=P%
# R = (sum over the model's layers of XNNPACK time) / (sum of ours), i.e. model-level throughput
# ratio ours/XNNPACK (> 1: we are faster); decode_overhead = full-mode time / time of the same
# kernel on pre-decoded int8 panels - 1, over both models. Variant: NESTRT_KERNELS if set, else the
# best one this CPU runs (the dispatch default).
#   BUILD_DIR=build/bench scripts/bench-kernels.sh [extra benchmark args]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/bench}
if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNESTRT_BUILD_TESTS=OFF \
    -DNESTRT_BUILD_CONVERTER=OFF >/dev/null
fi
ninja -C "$build" nestrt_conv_bench >/dev/null
out=$(mktemp /tmp/nestrt-bench-kernels.XXXXXX.json)
trap 'rm -f "$out"' EXIT
# Repetitions run in random order across all benchmarks, so a slow spell of a shared machine is
# spread over ours and XNNPACK's instead of landing on one of them.
"$build/benchmarks/nestrt_conv_bench" --benchmark_min_time="${BENCH_MIN_TIME:-0.2}" \
  --benchmark_repetitions="${BENCH_REPETITIONS:-5}" --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true \
  --benchmark_out="$out" --benchmark_out_format=json "$@" >&2
python3 - "$out" "${NESTRT_KERNELS:-}" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))
forced = sys.argv[2]
t = {}  # (kind, model, layer) -> (count, seconds)
for b in data["benchmarks"]:
    if b.get("aggregate_name", "median") != "median":
        continue
    kind, model, layer, count = b["run_name"].split("/")[:4]
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
    # One thread: CPU time (steadier on a shared machine). Two threads: wall time, since the
    # workers' CPU time is not the main thread's.
    seconds = b["real_time" if kind.endswith("_2t") else "cpu_time"] * scale
    t[(kind, model, layer)] = (int(count[1:]), seconds)
kinds = sorted({k for k, _, _ in t})
variants = [v for v in ("avx512vnni", "avx2", "i8mm", "neondot", "neon") if f"nestrt_{v}_full" in kinds]
if forced:
    variants = [forced] + [v for v in variants if v != forced]
models = ["resnet18", "mobilenetv2"]

def total(kind, model):
    return sum(c * s for (k, m, _), (c, s) in t.items() if k == kind and m == model)


print(f"{'layer':34s} {'xnnpack':>9s} " + " ".join(f"{v+'_full':>16s} {v+'_part':>16s} {v+'_pre':>15s}" for v in variants))
for model in models:
    for (k, m, layer), (c, s) in sorted(t.items()):
        if k != "xnnpack_qc8" or m != model:
            continue
        row = f"{model + '/' + layer:34s} {s*1e3:8.3f}m "
        for v in variants:
            f = t[(f"nestrt_{v}_full", m, layer)][1]
            p = t[(f"nestrt_{v}_part", m, layer)][1]
            d = t[(f"nestrt_{v}_predecoded", m, layer)][1]
            row += f"{f*1e3:8.3f}m x{s/f:5.2f} {p*1e3:8.3f}m x{s/p:5.2f} {d*1e3:8.3f}m x{s/d:4.2f} "
        print(row)
for v in variants:
    parts = [f"variant={v}"]
    full_sum = pre_sum = 0.0
    for model in models:
        x = total("xnnpack_qc8", model)
        f = total(f"nestrt_{v}_full", model)
        p = total(f"nestrt_{v}_part", model)
        full_sum += f
        pre_sum += total(f"nestrt_{v}_predecoded", model)
        parts.append(f"{model} xnnpack={x*1e3:.2f}ms full={f*1e3:.2f}ms part={p*1e3:.2f}ms")
    parts.append(f"predecoded={pre_sum*1e3:.2f}ms")
    print("TOTALS " + " ".join(parts))
    if f"nestrt_{v}_full_2t" in kinds and "xnnpack_qc8_2t" in kinds:
        print(f"TOTALS-2-THREADS variant={v} " + " ".join(
            f"{m} xnnpack={total('xnnpack_qc8_2t', m)*1e3:.2f}ms full={total(f'nestrt_{v}_full_2t', m)*1e3:.2f}ms"
            f" full_vs_xnnpack={total('xnnpack_qc8_2t', m)/total(f'nestrt_{v}_full_2t', m):.2f}" for m in models))
v = variants[0]
line = "SUMMARY host"
full_sum = pre_sum = 0.0
for model in models:
    x = total("xnnpack_qc8", model)
    f = total(f"nestrt_{v}_full", model)
    p = total(f"nestrt_{v}_part", model)
    full_sum += f
    pre_sum += total(f"nestrt_{v}_predecoded", model)
    line += f" {model} full_vs_xnnpack={x/f:.2f} part_vs_xnnpack={x/p:.2f}"
line += f" decode_overhead={(full_sum/pre_sum-1)*100:.0f}%"
print(f"(variant {v}, 1 thread)")
print(line)
PY

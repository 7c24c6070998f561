#!/usr/bin/env bash
# Kernel instruction counts on ARM, under qemu-aarch64 (qemu is no clock, so we count guest
# instructions with ../shared/tools/qemu-insncount): nestrt's nested convolution (full mode by
# default: decode high + low planes into panels, then GEMM) against XNNPACK's arm64 qc8
# convolution on the non-depthwise conv/GEMM shapes of ResNet-18 and MobileNetV2 at 224x224
# (benchmarks/shapes/), one thread, per qemu CPU model (cortex-a72: no SDOT, our `neon` kernels;
# cortex-a76: SDOT, `neondot`; both chosen by run-time dispatch, printed per model).
#
# Per shape, implementation and CPU, benchmarks/conv_insncount.cc runs under the plugin twice: with
# --runs 0 and with --runs R. Both do the same setup (random problem, weight packing, XNNPACK
# operator creation, one warm-up run), so (count_R - count_0) / R is the exact cost of one run.
# Shapes are weighted by their `count` column and summed per model. Our GEMM alone on panels
# decoded once at setup (`predecoded`) is counted too, which splits our cost into decode and GEMM
# (decode = ours / predecoded - 1). Before counting, every shape
# is run once by both implementations and the outputs compared (at most one step apart: XNNPACK's
# fp32 multiplier), so a no-op kernel cannot be counted.
#
# Usage: scripts/bench-kernels-arm.sh [options]
#   --cpus LIST         qemu CPU models, comma-separated (default cortex-a72,cortex-a76)
#   --models LIST       resnet18,mobilenetv2 (default both)
#   --shapes REGEX      only shapes whose name matches (extended regex; default all)
#   --runs R            counted runs per measurement (default 2)
#   --mode full|part    our kernel's nesting mode (default full; XNNPACK is the same either way)
#   --jobs N            qemu processes at a time (default 1; counts do not depend on it)
#   --build-dir DIR     arm64 build directory (default build/aarch64-insn)
#   --build-jobs N      ninja -j (default 2)
#   --insncount-dir DIR qemu-insncount sources (default $NESTRT_INSNCOUNT_DIR, else
#                       <repo>/../shared/tools/qemu-insncount)
#   --no-check          skip the output comparison
#   --no-predecoded     skip the predecoded counts (a third faster)
#   --timeout S         limit per qemu process in seconds (default 1800)
# Ends with one line (ours/XNNPACK instructions, both models' shapes summed; lower is better):
#   SUMMARY arm a72 insn_ratio=R a76 insn_ratio=R
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
prog=bench-kernels-arm.sh

cpus=cortex-a72,cortex-a76
models=resnet18,mobilenetv2
shapes_re=""
runs=2
mode=full
jobs=1
build=$root/build/aarch64-insn
build_jobs=2
insncount_dir=${NESTRT_INSNCOUNT_DIR:-$(dirname "$root")/shared/tools/qemu-insncount}
check=1
predecoded=1
timeout_s=1800

die() { echo "$prog: error: $*" >&2; exit 1; }
usage_error() { echo "$prog: $* (see --help)" >&2; exit 2; }
need_value() { [ $# -ge 2 ] || usage_error "missing value after $1"; }
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --cpus) need_value "$@"; cpus=$2; shift 2 ;;
    --models) need_value "$@"; models=$2; shift 2 ;;
    --shapes) need_value "$@"; shapes_re=$2; shift 2 ;;
    --runs) need_value "$@"; runs=$2; shift 2 ;;
    --mode) need_value "$@"; mode=$2; shift 2 ;;
    --jobs) need_value "$@"; jobs=$2; shift 2 ;;
    --build-dir) need_value "$@"; build=$2; shift 2 ;;
    --build-jobs) need_value "$@"; build_jobs=$2; shift 2 ;;
    --insncount-dir) need_value "$@"; insncount_dir=$2; shift 2 ;;
    --no-check) check=0; shift ;;
    --no-predecoded) predecoded=0; shift ;;
    --timeout) need_value "$@"; timeout_s=$2; shift 2 ;;
    *) usage_error "unknown option '$1'" ;;
  esac
done
for n in "$runs:--runs" "$jobs:--jobs" "$build_jobs:--build-jobs" "$timeout_s:--timeout"; do
  case "${n%%:*}" in '' | *[!0-9]* | 0) usage_error "${n#*:} needs a positive integer, got '${n%%:*}'" ;; esac
done
case "$mode" in full | part) ;; *) usage_error "--mode must be full or part" ;; esac
IFS=', ' read -r -a cpu_list <<<"$cpus"
IFS=', ' read -r -a model_list <<<"$models"
[ ${#cpu_list[@]} -gt 0 ] || usage_error "--cpus is empty"
for m in "${model_list[@]}"; do
  [ -f "$root/benchmarks/shapes/$m.txt" ] || usage_error "unknown model '$m' (no benchmarks/shapes/$m.txt)"
done
case "$build" in /*) ;; *) build=$PWD/$build ;; esac

for tool in cmake ninja aarch64-linux-gnu-g++ qemu-aarch64 cc python3 timeout; do
  command -v "$tool" >/dev/null || die "'$tool' not found: run scripts/setup.sh (it installs the cross toolchain and qemu-user)"
done
if [ ! -f "$insncount_dir/build.sh" ] || [ ! -f "$insncount_dir/insncount.c" ]; then
  die "qemu-insncount not found in '$insncount_dir' (expected build.sh and insncount.c there);" \
    "set NESTRT_INSNCOUNT_DIR or pass --insncount-dir"
fi

start=$(date +%s)
tmp=$(mktemp -d /tmp/nestrt-insncount.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# 1. The arm64 driver (only its target) and the plugin.
if [ ! -f "$build/build.ninja" ]; then
  echo "== configuring $build" >&2
  cmake -S "$root" -B "$build" -G Ninja --toolchain "$root/toolchains/aarch64-linux-gnu.cmake" \
    -DCMAKE_BUILD_TYPE=Release >"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log" >&2; die "cmake configure failed"; }
fi
echo "== building nestrt_conv_insncount (arm64) in $build" >&2
ninja -C "$build" -j "$build_jobs" nestrt_conv_insncount >"$tmp/ninja.log" 2>&1 ||
  { cat "$tmp/ninja.log" >&2; die "build failed"; }
bin=$build/benchmarks/nestrt_conv_insncount
plugin=$build/libinsncount.so
if [ ! -f "$plugin" ] || [ "$insncount_dir/insncount.c" -nt "$plugin" ]; then
  bash "$insncount_dir/build.sh" "$plugin" >/dev/null || die "building the qemu-insncount plugin failed"
fi
prefix=$(sed -n 's/^NESTRT_ARM64_PREFIX:PATH=//p' "$build/CMakeCache.txt")
libdir=${prefix:-/opt/nestrt-arm64}/usr/lib/aarch64-linux-gnu
[ -d "$libdir" ] || die "arm64 library directory '$libdir' missing: run scripts/setup.sh"

# qemu CPU OUT ARGS...: runs the driver under qemu (toolchains/qemu-aarch64.sh supplies the
# sysroot's library path) with the counting plugin; writes stdout to OUT and the count to OUT.n.
# LD_BIND_NOW resolves every PLT entry at load, so no lazy binding is counted inside a run.
qemu_count() {
  local cpu=$1 out=$2
  shift 2
  if ! QEMU_CPU=$cpu timeout "$timeout_s" sh "$root/toolchains/qemu-aarch64.sh" "$cpu" "$libdir" \
    -E LD_BIND_NOW=1 -plugin "$plugin" -d plugin -D "$out.log" "$bin" "$@" >"$out" 2>"$out.err"; then
    echo "$prog: error: QEMU_CPU=$cpu $(basename "$bin") $* failed:" >&2
    cat "$out.err" "$out" >&2
    return 1
  fi
  sed -n 's/^insns: \([0-9]*\)$/\1/p' "$out.log" >"$out.n"
  [ -s "$out.n" ] || { echo "$prog: error: no 'insns:' line from the plugin for $*" >&2; return 1; }
}

# 2. Shapes per model (name count MACs), filtered.
for m in "${model_list[@]}"; do
  QEMU_CPU=${cpu_list[0]} timeout 300 sh "$root/toolchains/qemu-aarch64.sh" "${cpu_list[0]}" "$libdir" \
    "$bin" --list --model "$m" >"$tmp/shapes.$m" || die "listing the shapes of $m failed"
  if [ -n "$shapes_re" ]; then
    awk -v re="$shapes_re" '$1 ~ re' "$tmp/shapes.$m" >"$tmp/shapes.$m.f" && mv "$tmp/shapes.$m.f" "$tmp/shapes.$m"
  fi
done
total_shapes=0
for m in "${model_list[@]}"; do total_shapes=$((total_shapes + $(wc -l <"$tmp/shapes.$m"))); done
[ "$total_shapes" -gt 0 ] || die "no shape matches '$shapes_re'"

# 3. Correctness once per CPU model and network: ours (full mode) against XNNPACK.
if [ "$check" -eq 1 ]; then
  for cpu in "${cpu_list[@]}"; do
    for m in "${model_list[@]}"; do
      names=$(cut -d' ' -f1 "$tmp/shapes.$m" | paste -sd,)
      [ -n "$names" ] || continue
      echo "== checking ours against XNNPACK: $cpu $m" >&2
      if ! QEMU_CPU=$cpu timeout "$timeout_s" sh "$root/toolchains/qemu-aarch64.sh" "$cpu" "$libdir" \
        "$bin" --impl check --model "$m" --shape "$names" >"$tmp/check.$cpu.$m" 2>&1; then
        cat "$tmp/check.$cpu.$m" >&2
        die "outputs of ours and XNNPACK disagree on $cpu $m (or the check did not run)"
      fi
      sed "s/^/  $cpu $m: /" "$tmp/check.$cpu.$m" >&2
    done
  done
fi

# 4. Counts: every (cpu, model, shape, impl) at --runs 0 and --runs R, at most $jobs at a time.
impls=(nested xnnpack)
[ "$predecoded" -eq 0 ] || impls+=(predecoded)
echo "== counting: ${#cpu_list[@]} CPU model(s), $total_shapes shape(s), implementations ${impls[*]}, runs 0 and $runs" >&2
failed=0
running=0
for cpu in "${cpu_list[@]}"; do
  for m in "${model_list[@]}"; do
    while read -r name _; do
      for impl in "${impls[@]}"; do
        for r in 0 "$runs"; do
          if [ "$running" -ge "$jobs" ]; then
            wait -n || failed=1
            running=$((running - 1))
          fi
          qemu_count "$cpu" "$tmp/count.$cpu.$m.$name.$impl.$r" \
            --impl "$impl" --model "$m" --shape "$name" --runs "$r" --mode "$mode" &
          running=$((running + 1))
        done
      done
    done <"$tmp/shapes.$m"
  done
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
[ "$failed" -eq 0 ] || die "some qemu runs failed (see above)"
wall=$(($(date +%s) - start))

# 5. Tables and the summary.
python3 - "$tmp" "$runs" "$mode" "$wall" "${cpu_list[*]}" "${model_list[*]}" "$predecoded" <<'PY'
import os, re, sys
tmp, runs, mode, wall = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
cpus, models, with_pre = sys.argv[5].split(), sys.argv[6].split(), sys.argv[7] == "1"

def per_run(cpu, m, name, impl):  # (count_R - count_0) / R
    n = [int(open(os.path.join(tmp, f"count.{cpu}.{m}.{name}.{impl}.{r}.n")).read().split()[0]) for r in (0, runs)]
    return (n[1] - n[0]) / runs

def variant(cpu, m, name):
    out = open(os.path.join(tmp, f"count.{cpu}.{m}.{name}.nested.0")).read()
    hit = re.search(r"^variant=(\S+) \(([^)]*)\) ukernel=(\S*)", out, re.M)
    return f"{hit.group(1)} ({hit.group(2)}, {hit.group(3)})" if hit else "?"

short = lambda cpu: cpu.replace("cortex-", "")
ratios, decode = {}, {}
for cpu in cpus:
    cpu_ours = cpu_xnn = 0.0
    variants = set()
    for m in models:
        rows = [line.split() for line in open(os.path.join(tmp, f"shapes.{m}")) if line.strip()]
        if not rows:
            continue
        print(f"\n{cpu} {m}: guest instructions per run, 1 thread; ours = nested {mode} mode (decode + GEMM),"
              f" xnnpack = qc8 convolution" + (", pre = our GEMM on predecoded panels" if with_pre else ""))
        head = f"{'shape':20s} {'n':>2s} {'MMAC':>7s} {'ours':>13s} {'xnnpack':>13s} {'ours/xnn':>8s}"
        if with_pre:
            head += f" {'pre':>13s} {'pre/xnn':>7s} {'decode':>7s}"
        print(head + f" {'insn/MAC ours':>13s} {'xnn':>6s}")
        tot = {"o": 0.0, "x": 0.0, "p": 0.0, "mac": 0.0}
        for name, c, macs in rows:
            c, macs = int(c), float(macs)
            o, x = per_run(cpu, m, name, "nested"), per_run(cpu, m, name, "xnnpack")
            p = per_run(cpu, m, name, "predecoded") if with_pre else 0.0
            variants.add(variant(cpu, m, name))
            for k, v in (("o", o), ("x", x), ("p", p), ("mac", macs)):
                tot[k] += c * v
            line = f"{name:20s} {c:2d} {macs/1e6:7.2f} {o:13,.0f} {x:13,.0f} {o/x:8.3f}"
            if with_pre:
                line += f" {p:13,.0f} {p/x:7.3f} {(o/p-1)*100:6.1f}%"
            print(line + f" {o/macs:13.3f} {x/macs:6.3f}")
        line = f"{'total (x n)':20s} {'':2s} {tot['mac']/1e6:7.1f} {tot['o']:13,.0f} {tot['x']:13,.0f} {tot['o']/tot['x']:8.3f}"
        if with_pre:
            line += f" {tot['p']:13,.0f} {tot['p']/tot['x']:7.3f} {(tot['o']/tot['p']-1)*100:6.1f}%"
            decode[(cpu, m)] = tot["o"] / tot["p"] - 1
        print(line + f" {tot['o']/tot['mac']:13.3f} {tot['x']/tot['mac']:6.3f}")
        ratios[(cpu, m)] = tot["o"] / tot["x"]
        cpu_ours, cpu_xnn = cpu_ours + tot["o"], cpu_xnn + tot["x"]
    ratios[cpu] = cpu_ours / cpu_xnn
    print(f"{cpu}: our kernel variant {', '.join(sorted(variants))}")
print(f"\nwall time {wall // 60} min {wall % 60} s (counts at --runs 0 and {runs}, {mode} mode)")
for cpu in cpus:
    parts = []
    for m in models:
        if (cpu, m) in ratios:
            parts.append(f"{m} insn_ratio={ratios[(cpu, m)]:.3f}"
                         + (f" decode_overhead={decode[(cpu, m)]*100:.0f}%" if (cpu, m) in decode else ""))
    print(f"RATIO {short(cpu)} " + " ".join(parts) + f" all insn_ratio={ratios[cpu]:.3f}")
print("SUMMARY arm " + " ".join(f"{short(cpu)} insn_ratio={ratios[cpu]:.3f}" for cpu in cpus))
PY

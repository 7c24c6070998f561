#!/usr/bin/env bash
# End-to-end runtime benchmarks on this host (never under qemu): `nestrt bench` with the native
# and the XNNPACK backend, full and part mode, 1 and 2 threads, on the shipped Fashion-MNIST model
# and, when Debian's torch stack is installed (scripts/setup.sh --train), on ResNet-18- and
# MobileNetV2-shaped models at 224x224 with random weights; then `nestrt bench-switch`.
# Backend runs are interleaved and repeated (ROUNDS), and the median of their medians is kept.
# Ends with one line:
#   SUMMARY e2e <model> native_vs_xnnpack=R native_vs_xnnpack_2t=R part_resident_ratio=R ...
#           switch_up_warm_vs_reload=R switch_up_cold_vs_bound=R switch_down_ms=T storage_vs_separate=R
# Conventions (as issue 5 defines them): native_vs_xnnpack = native median latency / XNNPACK
# median latency, full mode (< 1: nestrt is faster; target <= 0.85; _2t: at 2 threads); switch_up_warm_vs_reload = warm part->full switch /
# loading the model + first run (< 1: switching is cheaper); switch_up_cold_vs_bound = cold
# part->full switch / reading the low sections sequentially from a cold page cache (the floor);
# switch_down_ms = full->part switch; part_resident_ratio = resident weight bytes in part mode /
# in full mode; storage_vs_separate = nested file bytes / (plain INT8 + plain INT6 files, made with
# nestrt-convert --nest 8 and --nest 6). Switch fields are of the largest model benchmarked.
# Usage: scripts/bench-runtime.sh [--no-224] [--runs N] [--rounds N]
#   --no-224    only the shipped model (skips exporting and converting the 224x224 models, ~6 min
#               the first time; they are cached in the build directory)
#   --runs N    timed runs per `nestrt bench` (default 20); --rounds N: repetitions (default 3)
#   BUILD_DIR   build directory (default build/bench-runtime), configured and built as needed
#   BENCH_CPU   the CPU that 1-thread runs of both backends are pinned to (default: the last one;
#               on the development VM CPU 0 ran both backends 27-50 % slower than CPU 1)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build/bench-runtime}
with_224=1
runs=20
rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --no-224) with_224=0 ;;
    --runs)
      runs=${2:?--runs needs a number}
      shift
      ;;
    --rounds)
      rounds=${2:?--rounds needs a number}
      shift
      ;;
    -h | --help)
      sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "bench-runtime.sh: unknown option '$1' (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done
for n in "$runs" "$rounds"; do
  if ! [[ "$n" =~ ^[1-9][0-9]*$ ]]; then
    echo "bench-runtime.sh: --runs and --rounds take a positive integer, not '$n'" >&2
    exit 2
  fi
done

if [ ! -f "$build/build.ninja" ]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNESTRT_BUILD_TESTS=OFF \
    -DNESTRT_BUILD_BENCHMARKS=OFF -DNESTRT_BUILD_CONVERTER=ON >/dev/null
fi
cmake --build "$build" -j2 --target nestrt nestrt-convert >/dev/null
nestrt=$build/runtime/cli/nestrt
convert=$build/converter/nestrt-convert
models=$build/bench-models
mkdir -p "$models"

# --- models ---------------------------------------------------------------------------------
fashion_data=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
suffix() { [ "$1" = 8:6 ] && echo "" || echo ".int$1"; }
# A converted model is stale once the converter is newer (e.g. a format change).
stale() { [ ! -f "$1" ] || [ "$convert" -nt "$1" ]; }
if stale "$models/fashion_mnist_resnet.nest"; then
  [ -f "$fashion_data" ] || {
    echo "bench-runtime.sh: $fashion_data missing: run scripts/setup.sh" >&2
    exit 1
  }
  for nest in 8:6 8 6; do # the nested model and the plain INT8 and INT6 baselines (--separate)
    "$convert" "$root/models/fashion_mnist_resnet.onnx" -o "$models/fashion_mnist_resnet$(suffix "$nest").nest" \
      --nest "$nest" --calib "$fashion_data" --calib-count 512 --labels "$root/models/fashion_mnist_labels.txt" -q
  done
fi
bench_models=(fashion_mnist_resnet)

if [ "$with_224" = 1 ]; then
  if /usr/bin/python3 -c 'import torch, torchvision, onnx, numpy' 2>/dev/null; then
    if [ ! -f "$models/resnet18.onnx" ] || [ ! -f "$models/mobilenetv2.onnx" ]; then
      echo "exporting ResNet-18 and MobileNetV2 (torchvision, random weights, seed 0) to ONNX" >&2
      /usr/bin/python3 - "$models" <<'PY'
import sys
import numpy as np
import onnx
import torch
import torchvision

out = sys.argv[1]
torch.manual_seed(0)
for name, ctor in (("resnet18", torchvision.models.resnet18), ("mobilenetv2", torchvision.models.mobilenet_v2)):
    torch.onnx.export(ctor().eval(), torch.randn(1, 3, 224, 224), f"{out}/{name}.onnx", opset_version=13,
                      input_names=["input"], output_names=["logits"])
np.save(f"{out}/calib224.npy", np.random.default_rng(0).standard_normal((8, 3, 224, 224)).astype(np.float32))
PY
    fi
    for m in resnet18 mobilenetv2; do
      if stale "$models/$m.nest"; then
        echo "converting $m (8:6, and plain 8 and 6 bits; 8 random calibration samples; a few minutes)" >&2
        for nest in 8:6 8 6; do
          "$convert" "$models/$m.onnx" -o "$models/$m$(suffix "$nest").nest" --nest "$nest" \
            --calib "$models/calib224.npy" --calib-count 8 -q
        done
      fi
      bench_models+=("$m")
    done
  else
    echo "note: /usr/bin/python3 lacks torch/torchvision/onnx (scripts/setup.sh --train): 224x224 models skipped" >&2
  fi
fi

# --- latency --------------------------------------------------------------------------------
# Bytes from nestrt's short sizes ("1.50 MiB").
to_bytes() {
  awk -v v="$1" -v u="$2" 'BEGIN { m = (u == "KiB") ? 1024 : (u == "MiB") ? 1048576 : (u == "GiB") ? 1073741824 : 1;
                                   printf "%.0f", v * m }'
}
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# Two threads on a 2-core machine that is busy with other work measure the scheduler, not us:
# pthreadpool's workers spin, and a descheduled one stalls every operator.
load() { cut -d' ' -f1 /proc/loadavg; }
echo "load average before: $(load) on $(nproc) cores"
if awk -v l="$(load)" -v n="$(nproc)" 'BEGIN { exit !(l > n / 4) }'; then
  echo "warning: the machine is busy: figures (2-thread ones above all) are unreliable; rerun when idle"
fi

# 1-thread runs of both backends on one CPU, so a slower or busier core cannot favour either.
bench_cpu=${BENCH_CPU:-$(($(nproc) - 1))}
pin=()
if command -v taskset >/dev/null; then
  pin=(taskset -c "$bench_cpu")
  echo "1-thread runs pinned to CPU $bench_cpu (BENCH_CPU)"
fi

declare -A latency resident
echo "nestrt bench: median latency in ms (median of $rounds rounds of $runs timed runs each, backends interleaved);"
echo "ratio = native latency / XNNPACK latency (< 1: nestrt native is faster)"
printf '%-22s %-5s %-7s %10s %10s %7s\n' model mode threads native xnnpack ratio
for m in "${bench_models[@]}"; do
  for mode in full part; do
    for threads in 1 2; do
      declare -A samples=([native]="" [xnnpack]="")
      for ((r = 0; r < rounds; r++)); do
        for backend in native xnnpack; do
          run=("$nestrt")
          [ "$threads" = 1 ] && run=("${pin[@]}" "$nestrt")
          out=$("${run[@]}" bench -m "$models/$m.nest" --mode "$mode" --threads "$threads" --backend "$backend" \
            --runs "$runs" --warmup 3 2>/dev/null)
          samples[$backend]+=" $(awk '/^latency ms:/ { print $6 }' <<<"$out")"
          if [ "$backend" = native ]; then
            read -r v u < <(sed -n 's/.*weights resident \([0-9.]*\) \([KMG]*i*B\) .*/\1 \2/p' <<<"$out")
            resident[$m/$mode]=$(to_bytes "$v" "$u")
          fi
        done
      done
      for backend in native xnnpack; do
        latency[$m/$mode/$threads/$backend]=$(median <<<"${samples[$backend]}")
      done
      n=${latency[$m/$mode/$threads/native]}
      x=${latency[$m/$mode/$threads/xnnpack]}
      printf '%-22s %-5s %-7s %10.3f %10.3f %7.2f\n' "$m" "$mode" "$threads" "$n" "$x" \
        "$(awk -v a="$n" -v b="$x" 'BEGIN { print a / b }')"
    done
  done
done

# --- switching ------------------------------------------------------------------------------
switch_summary=""
switch_model=""
largest=0
# One row per model for the plot of switch latency against model size.
switch_table=$build/switch_vs_size.tsv
printf 'model\tfile_bytes\tup_warm_ms\tup_cold_ms\tcold_read_ms\tdown_ms\tdown_evict_ms\treload_warm_ms\treload_cold_ms\tsep8_warm_ms\tsep8_cold_ms\n' >"$switch_table"
field() { sed -n "s/^$1 *\([0-9.]*\) ms.*/\1/p" <<<"$2" | head -1; }
for m in "${bench_models[@]}"; do
  echo
  echo "nestrt bench-switch -m $m.nest --cycles 20 --separate $m.int8.nest $m.int6.nest"
  out=$("$nestrt" bench-switch -m "$models/$m.nest" --cycles 20 --separate "$models/$m.int8.nest" "$models/$m.int6.nest")
  echo "$out"
  sep8=$(sed -n 's/^load separate full-width model + first run: warm *\([0-9.]*\) ms, cold *\([0-9.]*\) ms/\1\t\2/p' <<<"$out")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$(stat -c %s "$models/$m.nest")" \
    "$(field 'switch part->full, warm:' "$out")" "$(field 'switch part->full, cold:' "$out")" \
    "$(field 'cold sequential read of the low sections:' "$out")" "$(field 'switch full->part:' "$out")" \
    "$(sed -n 's/^switch full->part: .*(  *\([0-9.]*\) ms when also evicting.*/\1/p' <<<"$out")" \
    "$(field 'load nested model + first run, warm:' "$out")" "$(field 'load nested model + first run, cold:' "$out")" \
    "$sep8" >>"$switch_table"
  size=$(stat -c %s "$models/$m.nest")
  if [ "$size" -gt "$largest" ]; then # the SUMMARY's switch fields: the largest model's
    largest=$size
    switch_model=$m
    switch_summary=$(grep '^SUMMARY switch' <<<"$out")
  fi
done
up_warm=$(sed -n 's/.*up_warm_vs_reload=\([0-9.]*\).*/\1/p' <<<"$switch_summary")
down_ms=$(sed -n 's/.*down_ms=\([0-9.]*\).*/\1/p' <<<"$switch_summary")
up_cold_bound=$(sed -n 's/.*up_cold_vs_bound=\([0-9.]*\).*/\1/p' <<<"$switch_summary")
storage=$(sed -n 's/.*storage_vs_separate=\([0-9.]*\).*/\1/p' <<<"$switch_summary")

echo
echo "switch latency by model size: $switch_table"
if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
  /usr/bin/python3 "$root/scripts/plot_switch_latency.py" "$switch_table" -o "$root/docs/switch_latency_vs_size.png"
else
  echo "note: no matplotlib (scripts/setup.sh --plots): plot of switch latency by model size skipped"
fi

# --- summary --------------------------------------------------------------------------------
echo
echo "load average after: $(load) on $(nproc) cores"
echo "fields: native_vs_xnnpack = native/XNNPACK latency, full mode (<1: nestrt faster), 1 thread and 2 (_2t);"
echo "switch fields of $switch_model; part_resident_ratio = part/full resident weight bytes of each model"
line="SUMMARY e2e"
for m in "${bench_models[@]}"; do
  r1=$(awk -v a="${latency[$m/full/1/native]}" -v b="${latency[$m/full/1/xnnpack]}" 'BEGIN { printf "%.2f", a / b }')
  r2=$(awk -v a="${latency[$m/full/2/native]}" -v b="${latency[$m/full/2/xnnpack]}" 'BEGIN { printf "%.2f", a / b }')
  pr=$(awk -v a="${resident[$m/part]}" -v b="${resident[$m/full]}" 'BEGIN { printf "%.3f", a / b }')
  line+=" $m native_vs_xnnpack=$r1 native_vs_xnnpack_2t=$r2 part_resident_ratio=$pr"
done
line+=" switch_up_warm_vs_reload=$up_warm switch_up_cold_vs_bound=$up_cold_bound switch_down_ms=$down_ms"
line+=" storage_vs_separate=$storage"
echo "$line"

#!/usr/bin/env bash
# Accuracy of NestQuant on the shipped Fashion-MNIST models (models/*.onnx with a model card),
# configuration by configuration: converts each ONNX model for each nesting (8:6, 8:5, 8:4, 6:4)
# and method (nearest, squant, gptq, truncate), evaluates full and part mode on the 10k test set with
# `nestrt eval --mode both`, and adds the separate-PTQ baselines (weights quantised directly to 6
# and 4 bits: full mode of --nest 6:4 / 4:2). Writes build/accuracy/<model>/results.json and
# docs/accuracy_<model>.png (accuracy against resident weight bytes), and prints one SUMMARY line
# per model.
# Usage: scripts/eval-accuracy.sh [--limit N] [--no-plot] [--model NAME]
#   --limit N     evaluate the first N test images only (default: all 10,000)
#   --model NAME  only this model (fashion_mnist_resnet, fashion_mnist_mobilenetv2)
set -euo pipefail
cd "$(dirname "$0")/.."

limit=0
plot=1
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --limit) limit=${2:?--limit needs a number}; shift 2 ;;
    --no-plot) plot=0; shift ;;
    --model) only=${2:?--model needs a name}; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "eval-accuracy.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

data=/usr/share/datasets/fashion-mnist
python=/usr/bin/python3  # Debian's, which has the packages setup.sh installs
if [ "$plot" -eq 1 ]; then bash scripts/setup.sh --no-cross --plots >/dev/null; else bash scripts/setup.sh --no-cross >/dev/null; fi
cmake -S . -B build/host -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/host -j "$(nproc)" --target nestrt nestrt-convert >/dev/null

models=()
for card in models/fashion_mnist_*.json; do
  m=$(basename "$card" .json)
  [ -z "$only" ] || [ "$m" = "$only" ] || continue
  [ -f "models/$m.onnx" ] && models+=("$m")
done
if [ ${#models[@]} -eq 0 ]; then
  echo "eval-accuracy.sh: no model${only:+ named '$only'} in models/ (an .onnx with its .json card)" >&2
  exit 2
fi

# name  nesting  method
configs=(
  "nearest-8:6 8:6 nearest" "squant-8:6 8:6 squant" "gptq-8:6 8:6 gptq" "truncate-8:6 8:6 truncate"
  "nearest-8:5 8:5 nearest" "squant-8:5 8:5 squant" "gptq-8:5 8:5 gptq"
  "nearest-8:4 8:4 nearest" "squant-8:4 8:4 squant" "gptq-8:4 8:4 gptq" "truncate-8:4 8:4 truncate"
  "nearest-6:4 6:4 nearest" "squant-6:4 6:4 squant"
  "nearest-4:2 4:2 nearest"
)
summaries=()
for model in "${models[@]}"; do
  out=build/accuracy/$model
  mkdir -p "$out"
  echo "== $model"
  results="$out/results.jsonl"
  : >"$results"
  for config in "${configs[@]}"; do
    read -r name nest method <<<"$config"
    nest_file="$out/$name.nest"
    build/host/converter/nestrt-convert "models/$model.onnx" -o "$nest_file" --nest "$nest" \
      --nest-method "$method" --calib "$data/train-images-idx3-ubyte.gz" --calib-count 512 \
      --labels models/fashion_mnist_labels.txt --report "$out/$name.report.json" -q
    log=$(build/host/runtime/cli/nestrt eval --model "$nest_file" --mode both --limit "$limit" \
      --data "$data/t10k-images-idx3-ubyte.gz" --labels "$data/t10k-labels-idx1-ubyte.gz")
    full=$(sed -n 's/^full mode: top-1 \([0-9.]*\)%.*/\1/p' <<<"$log")
    part=$(sed -n 's/^part mode: top-1 \([0-9.]*\)%.*/\1/p' <<<"$log")
    disagree=$(sed -n 's/.*disagree on \([0-9]*\) of.*/\1/p' <<<"$log")
    printf '%-14s full %6s%%  part %6s%%  (modes disagree on %s samples)\n' "$name" "$full" "$part" "$disagree"
    printf '{"name": "%s", "nest": "%s", "method": "%s", "full": %s, "part": %s, "disagree": %s, "report": "%s"}\n' \
      "$name" "$nest" "$method" "$full" "$part" "$disagree" "$out/$name.report.json" >>"$results"
  done
  plot_args=()
  [ "$plot" -eq 1 ] && plot_args=(--plot "docs/accuracy_$model.png")
  summary_out=$("$python" scripts/accuracy_summary.py "$results" --model "$model" \
    --fp32-from "models/$model.json" --json "$out/results.json" "${plot_args[@]}")
  echo "$summary_out"
  summaries+=("$(grep '^SUMMARY ' <<<"$summary_out")")
done
echo
printf '%s\n' "${summaries[@]}"

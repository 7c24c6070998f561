#!/usr/bin/env bash
# Accuracy of NestQuant on the shipped Fashion-MNIST models (models/*.onnx with a model card) and on
# PaddleOCR's real text-orientation classifier (ppocr_cls: fetched by scripts/fetch-ocr-model.sh,
# evaluated on text-line crops of opencv-doc images made by scripts/make_text_crops.py, upright
# and rotated by 180 degrees), configuration by configuration: converts each ONNX model for each
# nesting (8:6, 8:5, 8:4, 6:4) and method (nearest, squant, gptq, truncate, bitplane), evaluates full and
# part mode on the test set with `nestrt eval --mode both`, and adds the separate-PTQ baselines (weights quantised directly to 6
# and 4 bits: full mode of --nest 6:4 / 4:2). Writes build/accuracy/<model>/results.json and
# docs/accuracy_<model>.png (accuracy against resident weight bytes), and prints one SUMMARY line
# per model. For ppocr_cls the FP32 accuracy is the converter's float path on the evaluation crops,
# checked against ONNX Runtime (scripts/ort_reference.mjs, when node is installed): the largest
# absolute difference of the two outputs is printed and stored in results.json.
# Usage: scripts/eval-accuracy.sh [--limit N] [--no-plot] [--model NAME]
#   --limit N     evaluate the first N test samples only (default: all)
#   --model NAME  only this model (fashion_mnist_resnet, fashion_mnist_mobilenetv2, ppocr_cls)
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
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "eval-accuracy.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

data=/usr/share/datasets/fashion-mnist
python=/usr/bin/python3  # Debian's, which has the packages setup.sh installs
setup_args=(--no-cross --train)  # --train: numpy, PIL and opencv-doc for the text crops
[ "$plot" -eq 1 ] && setup_args+=(--plots)
bash scripts/setup.sh "${setup_args[@]}" >/dev/null
cmake -S . -B build/host -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/host -j "$(nproc)" --target nestrt nestrt-convert >/dev/null

models=()
for card in models/fashion_mnist_*.json; do
  m=$(basename "$card" .json)
  [ -z "$only" ] || [ "$m" = "$only" ] || continue
  [ -f "models/$m.onnx" ] && models+=("$m")
done
[ -z "$only" ] || [ "$only" = ppocr_cls ] && models+=(ppocr_cls)
if [ ${#models[@]} -eq 0 ]; then
  echo "eval-accuracy.sh: no model${only:+ named '$only'} in models/ (an .onnx with its .json card) or ppocr_cls" >&2
  exit 2
fi

# name  nesting  method
configs=(
  "nearest-8:6 8:6 nearest" "squant-8:6 8:6 squant" "gptq-8:6 8:6 gptq" "truncate-8:6 8:6 truncate"
  "bitplane-8:6 8:6 bitplane"
  "nearest-8:5 8:5 nearest" "squant-8:5 8:5 squant" "gptq-8:5 8:5 gptq" "bitplane-8:5 8:5 bitplane"
  "nearest-8:4 8:4 nearest" "squant-8:4 8:4 squant" "gptq-8:4 8:4 gptq" "truncate-8:4 8:4 truncate"
  "bitplane-8:4 8:4 bitplane"
  "nearest-6:4 6:4 nearest" "squant-6:4 6:4 squant" "gptq-6:4 6:4 gptq" "bitplane-6:4 6:4 bitplane"
  "nearest-4:2 4:2 nearest"
)
# Sets onnx, convert_args, eval_args and card (the JSON with fp32_test_top1) for one model.
prepare_model() {
  local model=$1 out=$2
  if [ "$model" != ppocr_cls ]; then
    onnx=models/$model.onnx
    convert_args=(--calib "$data/train-images-idx3-ubyte.gz" --calib-count 512 --labels models/fashion_mnist_labels.txt)
    eval_args=(--data "$data/t10k-images-idx3-ubyte.gz" --labels "$data/t10k-labels-idx1-ubyte.gz")
    card=models/$model.json
    test_set="Fashion-MNIST test set"
    return
  fi
  local ocr=build/ocr crops=build/ocr/textcrops
  bash scripts/fetch-ocr-model.sh --out "$ocr" >/dev/null
  [ -f "$crops/crops_u8.npy" ] || "$python" scripts/make_text_crops.py --out "$crops" >/dev/null
  onnx=$ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx
  local input=(--input-shape 1,3,48,192 --mean 0.5 --std 0.5 --color bgr)
  convert_args=("${input[@]}" --calib "$crops/calib_u8.npy" --calib-count 1000 --labels "$ocr/labels.txt")
  eval_args=(--data "$crops/crops_u8.npy" --labels "$crops/labels.txt")
  # FP32: the converter's float path on the evaluation crops, and ONNX Runtime on the same inputs.
  build/host/converter/nestrt-convert "$onnx" -o "$out/fp32-probe.nest" "${input[@]}" --calib "$crops/crops_u8.npy" \
    --calib-count 100000 --nest 8 --fp32-outputs "$out/fp32_outputs.npy" -q
  local ort_args=()
  if command -v node >/dev/null && npm ci --prefix scripts/ort --silent >/dev/null 2>&1; then
    node scripts/ort_reference.mjs --model "$onnx" --input "$crops/crops_u8.npy" --scale 1/255 --mean 0.5 --std 0.5 \
      --color bgr --output "$out/ort_outputs.npy" -q >/dev/null
    ort_args=(--ort "$out/ort_outputs.npy")
  else
    echo "eval-accuracy.sh: node/npm unavailable: no ONNX Runtime agreement check" >&2
  fi
  card=$out/fp32_card.json
  test_set="opencv-doc text crops"
  "$python" - "$out/fp32_outputs.npy" "$crops/labels.txt" "$card" "$limit" "${ort_args[@]}" <<'PY'
import json, sys
import numpy as np
outputs, labels_path, card, limit = np.load(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
labels = np.loadtxt(labels_path, dtype=np.int64)
n = len(labels) if limit == 0 else min(limit, len(labels))
info = {"fp32_test_top1": round(100.0 * float((outputs[:n].argmax(1) == labels[:n]).mean()), 2), "test_samples": n}
if len(sys.argv) > 6:
    ort = np.load(sys.argv[6])
    info["onnxruntime_max_abs_diff"] = float(np.abs(ort - outputs).max())
    info["onnxruntime_top1"] = round(100.0 * float((ort[:n].argmax(1) == labels[:n]).mean()), 2)
    print(f"FP32 (converter float path) top-1 {info['fp32_test_top1']:.2f}%, ONNX Runtime {info['onnxruntime_top1']:.2f}%, "
          f"max |difference| of the outputs {info['onnxruntime_max_abs_diff']:.3g} over {len(labels)} samples")
json.dump(info, open(card, "w"), indent=2)
PY
}

summaries=()
for model in "${models[@]}"; do
  out=build/accuracy/$model
  mkdir -p "$out"
  echo "== $model"
  prepare_model "$model" "$out"
  results="$out/results.jsonl"
  : >"$results"
  for config in "${configs[@]}"; do
    read -r name nest method <<<"$config"
    nest_file="$out/$name.nest"
    build/host/converter/nestrt-convert "$onnx" -o "$nest_file" --nest "$nest" --nest-method "$method" \
      "${convert_args[@]}" --report "$out/$name.report.json" -q
    log=$(build/host/runtime/cli/nestrt eval --model "$nest_file" --mode both --limit "$limit" "${eval_args[@]}")
    full=$(sed -n 's/^full mode: top-1 \([0-9.]*\)%.*/\1/p' <<<"$log")
    part=$(sed -n 's/^part mode: top-1 \([0-9.]*\)%.*/\1/p' <<<"$log")
    disagree=$(sed -n 's/.*disagree on \([0-9]*\) of.*/\1/p' <<<"$log")
    printf '%-14s full %6s%%  part %6s%%  (modes disagree on %s samples)\n' "$name" "$full" "$part" "$disagree"
    printf '{"name": "%s", "nest": "%s", "method": "%s", "full": %s, "part": %s, "disagree": %s, "report": "%s"}\n' \
      "$name" "$nest" "$method" "$full" "$part" "$disagree" "$out/$name.report.json" >>"$results"
  done
  # Graded switching on the 8:4 gptq file: accuracy at every level between full and part mode.
  build/host/runtime/cli/nestrt eval --model "$out/gptq-8:4.nest" --levels --limit "$limit" "${eval_args[@]}" \
    >"$out/levels-gptq-8:4.txt"
  plot_args=()
  [ "$plot" -eq 1 ] && plot_args=(--plot "docs/accuracy_$model.png" --test-set "$test_set"
    --levels "$out/levels-gptq-8:4.txt" --levels-label "8:4 gptq")
  summary_out=$("$python" scripts/accuracy_summary.py "$results" --model "$model" \
    --fp32-from "$card" --json "$out/results.json" "${plot_args[@]}")
  echo "$summary_out"
  summaries+=("$(grep '^SUMMARY ' <<<"$summary_out")")
done
echo
printf '%s\n' "${summaries[@]}"

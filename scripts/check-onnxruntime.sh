#!/usr/bin/env bash
# The converter's FP32 path against ONNX Runtime, model by model, on the same inputs: the shipped
# Fashion-MNIST models on the first N test images, PaddleOCR's classifier on its evaluation text
# crops (when build/ocr holds them: scripts/prepare-ocr-e2e.sh). For each model, nestrt-convert
# runs the float model over the inputs (--fp32-outputs) and scripts/ort_reference.mjs runs
# onnxruntime-node (CPU, pinned in scripts/ort/package.json) over them; prints one line per model,
#   ORT model=M samples=N max_abs_diff=D top1_agreement=A%
# and fails when a difference exceeds 1e-4 (the outputs are logits or probabilities of order 1).
# Usage: scripts/check-onnxruntime.sh NESTRT_CONVERT [--samples N]   (default 256)
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h | --help | "") sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; [ -n "${1:-}" ]; exit ;;
esac
convert=$1
samples=256
[ "${2:-}" = --samples ] && samples=${3:?--samples needs a number}
python=/usr/bin/python3
out=build/ort
mkdir -p "$out"
npm ci --prefix scripts/ort --silent >/dev/null

compare() { # model converter.npy ort.npy
  "$python" - "$@" <<'PY'
import sys
import numpy as np
name, ours, ort = sys.argv[1], np.load(sys.argv[2]), np.load(sys.argv[3])
ours, ort = ours.reshape(len(ours), -1), ort.reshape(len(ort), -1)
diff = float(np.abs(ours - ort).max()) if ours.shape == ort.shape else float("inf")
agree = 100.0 * float((ours.argmax(1) == ort.argmax(1)).mean()) if ours.shape == ort.shape else 0.0
print(f"ORT model={name} samples={len(ort)} max_abs_diff={diff:.3g} top1_agreement={agree:.2f}%")
sys.exit(0 if diff < 1e-4 else 1)
PY
}

failed=0
data=/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz
"$python" - "$data" "$samples" "$out/fashion_u8.npy" <<'PY'
import gzip, sys
import numpy as np
raw = gzip.open(sys.argv[1]).read()
n = int(sys.argv[2])
images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 1, 28, 28)[:n]
np.save(sys.argv[3], images)
PY
for model in fashion_mnist_resnet fashion_mnist_mobilenetv2; do
  "$convert" "models/$model.onnx" -o "$out/$model.nest" --nest 8 --calib "$out/fashion_u8.npy" \
    --calib-count "$samples" --fp32-outputs "$out/$model.converter.npy" -q
  node scripts/ort_reference.mjs --model "models/$model.onnx" --input "$out/fashion_u8.npy" --scale 1/255 \
    --output "$out/$model.ort.npy" -q >/dev/null
  compare "$model" "$out/$model.converter.npy" "$out/$model.ort.npy" || failed=1
done
ocr=build/ocr
if [ -f "$ocr/ppocr_cls.nest" ] && [ -f "$ocr/textcrops/crops_u8.npy" ]; then
  "$convert" "$ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" -o "$out/ppocr_cls.nest" --nest 8 --input-shape 1,3,48,192 \
    --mean 0.5 --std 0.5 --color bgr --calib "$ocr/textcrops/crops_u8.npy" --calib-count "$samples" \
    --fp32-outputs "$out/ppocr_cls.converter.npy" -q
  node scripts/ort_reference.mjs --model "$ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" \
    --input "$ocr/textcrops/crops_u8.npy" --scale 1/255 --mean 0.5 --std 0.5 --color bgr --limit "$samples" \
    --output "$out/ppocr_cls.ort.npy" -q >/dev/null
  compare ppocr_cls "$out/ppocr_cls.converter.npy" "$out/ppocr_cls.ort.npy" || failed=1
fi
exit "$failed"

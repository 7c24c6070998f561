#!/usr/bin/env bash
# Prepares the PaddleOCR end-to-end test (tests/runtime/ocr_e2e_test.cc) in build/ocr: fetches the
# text-orientation classifier (fetch-ocr-model.sh), makes the text-line crops (make_text_crops.py),
# converts the model with the given nestrt-convert (--nest 8:6 squant, calibrated on the
# calibration crops, with --fp32-outputs), runs ONNX Runtime on the evaluation and calibration
# crops (scripts/ort_reference.mjs) and checks that the converter's float path agrees with ONNX
# Runtime on the calibration crops (largest absolute output difference below 1e-4, printed).
# Usage: scripts/prepare-ocr-e2e.sh NESTRT_CONVERT
# Then: NESTRT_OCR_DIR=build/ocr <build>/tests/nestrt_ocr_e2e_test
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h | --help | "") sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; [ -n "${1:-}" ]; exit ;;
esac
convert=$1
python=/usr/bin/python3 # Debian's: numpy and PIL from scripts/setup.sh --ocr
ocr=build/ocr
crops=$ocr/textcrops

bash scripts/fetch-ocr-model.sh --out "$ocr"
[ -f "$crops/crops_u8.npy" ] || "$python" scripts/make_text_crops.py --out "$crops" --no-previews
"$convert" "$ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" -o "$ocr/ppocr_cls.nest" --nest 8:6 --nest-method squant \
  --input-shape 1,3,48,192 --mean 0.5 --std 0.5 --color bgr --labels "$ocr/labels.txt" \
  --calib "$crops/calib_u8.npy" --calib-count 1000 --fp32-outputs "$ocr/converter_fp32_calib.npy" -q
npm ci --prefix scripts/ort --silent >/dev/null
for set in crops calib; do
  out=$crops/ort_fp32.npy
  [ "$set" = calib ] && out=$ocr/ort_fp32_calib.npy
  node scripts/ort_reference.mjs --model "$ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" --input "$crops/${set}_u8.npy" \
    --scale 1/255 --mean 0.5 --std 0.5 --color bgr --output "$out" -q >/dev/null
done
"$python" - "$ocr/converter_fp32_calib.npy" "$ocr/ort_fp32_calib.npy" <<'PY'
import sys
import numpy as np
ours, ort = np.load(sys.argv[1]), np.load(sys.argv[2])
diff = float(np.abs(ours - ort).max()) if ours.shape == ort.shape else float("inf")
print(f"converter FP32 path vs ONNX Runtime on {len(ort)} calibration crops: max |difference| {diff:.3g}")
sys.exit(0 if diff < 1e-4 else 1)
PY

#!/usr/bin/env bash
# Prepares the PaddleOCR end-to-end test (tests/runtime/ocr_e2e_test.cc) in build/ocr: fetches the
# text-orientation classifier (fetch-ocr-model.sh), makes the text-line crops (make_text_crops.py),
# converts the model with the given nestrt-convert (--nest 8:6 squant, calibrated on the
# calibration crops) and runs ONNX Runtime on the evaluation crops (scripts/ort_reference.mjs):
# the FP32 predictions the test compares with. scripts/check-onnxruntime.sh then compares the
# converter's float path with ONNX Runtime on these crops too.
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
  --calib "$crops/calib_u8.npy" --calib-count 1000 -q
npm ci --prefix scripts/ort --silent >/dev/null
node scripts/ort_reference.mjs --model "$ocr/ch_ppocr_mobile_v2.0_cls_infer.onnx" --input "$crops/crops_u8.npy" \
  --scale 1/255 --mean 0.5 --std 0.5 --color bgr --output "$crops/ort_fp32.npy" -q >/dev/null
echo "prepared $ocr: ppocr_cls.nest (8:6 squant), $(wc -l <"$crops/labels.txt") evaluation crops, ONNX Runtime outputs"

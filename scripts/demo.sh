#!/usr/bin/env bash
# The whole NestQuant path on the shipped Fashion-MNIST model, on this machine:
#   setup -> build -> nestrt-convert (ONNX -> nested 8:6 .nest) -> nestrt info -> nestrt run in
#   full and part mode -> nestrt eval --mode both: accuracy of both modes on the 10k test set,
#   switching part<->full in one process, with switch times and resident bytes -> nestrt
#   bench-switch: warm and cold switch latency against reloading the model.
# Usage: scripts/demo.sh [--nest 8:6]
set -euo pipefail
cd "$(dirname "$0")/.."

nest=8:6
while [ $# -gt 0 ]; do
  case "$1" in
    --nest) nest=$2; shift 2 ;;
    -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

data=/usr/share/datasets/fashion-mnist
out=build/demo
step() { printf '\n== %s\n' "$*"; }

step "setup (host packages only)"
bash scripts/setup.sh --no-cross
step "build"
cmake -S . -B build/host -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/host -j "$(nproc)" --target nestrt nestrt-convert
mkdir -p "$out"

step "convert models/fashion_mnist_resnet.onnx (nesting $nest, calibration: 512 training images)"
build/host/converter/nestrt-convert models/fashion_mnist_resnet.onnx -o "$out/fashion_mnist_resnet.nest" \
  --nest "$nest" --calib "$data/train-images-idx3-ubyte.gz" --calib-count 512 \
  --labels models/fashion_mnist_labels.txt --report "$out/report.json"

step "nestrt info"
build/host/runtime/cli/nestrt info "$out/fashion_mnist_resnet.nest" --resident --mode part

sample=$(ls models/samples/*.png | head -n 1)
for mode in full part; do
  step "nestrt run --mode $mode --input $sample"
  build/host/runtime/cli/nestrt run --model "$out/fashion_mnist_resnet.nest" --mode "$mode" --input "$sample" -k 3
done

step "nestrt eval --mode both (10,000 test images; FP32 top-1 measured by torch: $(grep -o '"fp32_test_top1": [0-9.]*' models/fashion_mnist_resnet.json | grep -o '[0-9.]*$')%)"
build/host/runtime/cli/nestrt eval --model "$out/fashion_mnist_resnet.nest" --mode both \
  --data "$data/t10k-images-idx3-ubyte.gz" --labels "$data/t10k-labels-idx1-ubyte.gz"

step "sizes"
onnx_bytes=$(stat -c %s models/fashion_mnist_resnet.onnx)
nest_bytes=$(stat -c %s "$out/fashion_mnist_resnet.nest")
echo "ONNX float model: $onnx_bytes bytes; nested model file: $nest_bytes bytes (sections listed by nestrt info above)"

step "nestrt bench-switch (switching vs loading the model again)"
build/host/runtime/cli/nestrt bench-switch --model "$out/fashion_mnist_resnet.nest" --cycles 10

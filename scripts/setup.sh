#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need (host, aarch64 cross, data).
# Idempotent: packages already present are skipped; the arm64 private prefix is reused.
# Usage: scripts/setup.sh [--no-cross] [--ocr] [--train] [--plots]
#   --no-cross  host packages only (no aarch64 toolchain, qemu or arm64 libraries)
#   --ocr       also what the PaddleOCR end-to-end test needs: opencv-doc's text images, numpy and
#               PIL for scripts/make_text_crops.py, Node.js and npm (if absent) for ONNX Runtime
#   --train     also install Debian's torch stack for scripts/train_fashion_mnist.py (~1 GB)
#   --plots     also install matplotlib for the plots of scripts/eval-accuracy.sh
set -euo pipefail

cross=1
ocr=0
train=0
plots=0
for arg in "$@"; do
  case "$arg" in
    --no-cross) cross=0 ;;
    --ocr) ocr=1 ;;
    --train) train=1 ;;
    --plots) plots=1 ;;
    -h | --help)
      sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "setup.sh: unknown option '$arg' (see --help)" >&2
      exit 2
      ;;
  esac
done

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
APT_OPTS=(-y -q --no-install-recommends -o DPkg::Lock::Timeout=900)

HOST_PKGS=(
  cmake ninja-build g++ pkg-config ccache
  libxnnpack-dev libcpuinfo-dev libpthreadpool-dev
  libflatbuffers-dev flatbuffers-compiler
  libgtest-dev libgmock-dev libbenchmark-dev
  libonnx-dev libprotobuf-dev protobuf-compiler
  libcli11-dev libstb-dev libxxhash-dev zlib1g-dev libtomlplusplus-dev
  clang-14 libclang-rt-14-dev
  dataset-fashion-mnist
)
CROSS_PKGS=(g++-aarch64-linux-gnu qemu-user)
ARM64_PKGS=(
  libflatbuffers-dev:arm64 libgtest-dev:arm64 libgmock-dev:arm64 libbenchmark-dev:arm64
  libcpuinfo0:arm64 libxxhash-dev:arm64 zlib1g-dev:arm64 libstb-dev:arm64
)
# Multi-Arch: no (or clashing) packages: unpacked into a private prefix instead of installed.
ARM64_PRIVATE=(libxnnpack0 libxnnpack-dev libpthreadpool0 libpthreadpool-dev libcpuinfo0 libcpuinfo-dev)
ARM64_PREFIX=${NESTRT_ARM64_PREFIX:-/opt/nestrt-arm64}
PLOT_PKGS=(python3-matplotlib python3-numpy)
TRAIN_PKGS=(python3-torch python3-torchvision python3-numpy python3-pil python3-onnx)
OCR_PKGS=(opencv-doc python3-numpy python3-pil)

missing() { # prints the packages of "$@" that are not installed
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

updated=0
apt_install() {
  local todo
  todo=$(missing "$@")
  [ -z "$todo" ] && return 0
  if [ "$updated" -eq 0 ]; then
    $SUDO apt-get update -q -o DPkg::Lock::Timeout=900 >/dev/null
    updated=1
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install "${APT_OPTS[@]}" $todo
}

echo "== host packages"
apt_install "${HOST_PKGS[@]}"

if [ "$cross" -eq 1 ]; then
  echo "== aarch64 cross toolchain, qemu and arm64 libraries"
  apt_install "${CROSS_PKGS[@]}"
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
    updated=0
  fi
  apt_install "${ARM64_PKGS[@]}"
  # The stamp lists what was unpacked: editing ARM64_PRIVATE re-extracts on the next run.
  stamp="$ARM64_PREFIX/.nestrt-packages"
  if [ "$(cat "$stamp" 2>/dev/null)" != "${ARM64_PRIVATE[*]}" ]; then
    tmp=$(mktemp -d)
    chmod 777 "$tmp" # apt's sandbox user downloads into it
    (cd "$tmp" && apt-get download -q "${ARM64_PRIVATE[@]/%/:arm64}")
    $SUDO mkdir -p "$ARM64_PREFIX"
    for deb in "$tmp"/*.deb; do $SUDO dpkg-deb -x "$deb" "$ARM64_PREFIX"; done
    rm -rf "$tmp"
    echo "${ARM64_PRIVATE[*]}" | $SUDO tee "$stamp" >/dev/null
  fi
fi

if [ "$plots" -eq 1 ]; then
  echo "== plotting (matplotlib)"
  apt_install "${PLOT_PKGS[@]}"
fi

if [ "$ocr" -eq 1 ]; then
  echo "== PaddleOCR end-to-end test data tools"
  apt_install "${OCR_PKGS[@]}"
  command -v node >/dev/null && command -v npm >/dev/null || apt_install nodejs npm
fi

if [ "$train" -eq 1 ]; then
  echo "== torch stack for training"
  apt_install "${TRAIN_PKGS[@]}"
fi
echo "== setup done"

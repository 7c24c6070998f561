#!/usr/bin/env bash
# Builds and tests nestrt on a fresh machine:
#   1. scripts/setup.sh (host, cross and data packages),
#   2. host build + ctest (all suites, the full 10k-image end-to-end set, switching on real madvise),
#      PaddleOCR's real text-orientation classifier end to end (scripts/prepare-ocr-e2e.sh), the
#      converter's FP32 path against ONNX Runtime on every model (scripts/check-onnxruntime.sh),
#      then the host suite again under AddressSanitizer + UndefinedBehaviorSanitizer, and the
#      concurrency, C API and daemon tests under ThreadSanitizer, and every libFuzzer target briefly
#      (scripts/fuzz.sh; NESTRT_FUZZ_SECONDS each, default 20),
#   3. aarch64 cross build (generic ARMv8-A) + ctest under qemu-aarch64 for cortex-a53, cortex-a72,
#      cortex-a76 and max, with the end-to-end test on the first NESTRT_QEMU_SAMPLES images,
#   4. cross-ISA check: every qemu CPU model's end-to-end output digest equals the host's,
#   5. the three board toolchains (Pi 4, Pi 5, Jetson Orin) configure and build.
# Usage: scripts/test.sh [--host-only]
set -euo pipefail
cd "$(dirname "$0")/.."

host_only=0
for arg in "$@"; do
  case "$arg" in
    --host-only) host_only=1 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "test.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

jobs=$(nproc)
qemu_samples=${NESTRT_QEMU_SAMPLES:-2000}
qemu_cpus=(cortex-a53 cortex-a72 cortex-a76 max)
step() { printf '\n== %s  [%s]\n' "$*" "$(date +%T)"; }

step "setup"
if [ "$host_only" -eq 1 ]; then bash scripts/setup.sh --no-cross --ocr; else bash scripts/setup.sh --ocr; fi

step "host build"
cmake -S . -B build/host -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/host -j "$jobs"

step "host tests"
ctest --test-dir build/host -j "$jobs" --output-on-failure
host_digests=$(NESTRT_E2E_SAMPLES=$qemu_samples build/host/tests/nestrt_e2e_test | grep '^E2E ')
echo "$host_digests"

# A real pretrained model (ctest skips it: it needs the prepared directory). From here on the
# sanitizer runs include it too.
step "PaddleOCR text-orientation classifier end to end"
bash scripts/prepare-ocr-e2e.sh build/host/converter/nestrt-convert
export NESTRT_OCR_DIR=$PWD/build/ocr
ocr_digests=$(build/host/tests/nestrt_ocr_e2e_test | grep '^E2E ')
echo "$ocr_digests"
host_digests+=$'\n'$ocr_digests

step "converter FP32 path against ONNX Runtime (every model)"
bash scripts/check-onnxruntime.sh build/host/converter/nestrt-convert

# The ASan build covers everything, converter included; the TSan build only needs the runtime, so
# it takes its test model from the host build's nestrt-convert.
sanitize() { # name flags "extra cmake args" ctest-args...
  local name=$1 flags=$2 extra=$3
  shift 3
  step "host tests under $name"
  cmake -S . -B "build/$name" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNESTRT_BUILD_BENCHMARKS=OFF \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DCMAKE_EXE_LINKER_FLAGS="$flags" \
    -DCMAKE_SHARED_LINKER_FLAGS="$flags" $extra >/dev/null
  cmake --build "build/$name" -j "$jobs"
  ctest --test-dir "build/$name" -j "$jobs" --output-on-failure "$@"
}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1
NESTRT_E2E_SAMPLES=2000 sanitize asan "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" ""
sanitize tsan "-fsanitize=thread" "-DNESTRT_BUILD_CONVERTER=OFF -DNESTRT_HOST_TOOLS_DIR=$PWD/build/host" \
  -L "concurrency|runtime|daemon"
# Each libFuzzer target replays its seed corpus (which keeps every past finding) and mutates for a
# short while; scripts/fuzz.sh 300 is the long run (docs/reliability.md).
step "fuzz targets (${NESTRT_FUZZ_SECONDS:-20}s each)"
bash scripts/fuzz.sh "${NESTRT_FUZZ_SECONDS:-20}"
[ "$host_only" -eq 1 ] && exit 0

step "aarch64 cross build"
cmake -S . -B build/aarch64 -G Ninja --toolchain toolchains/aarch64-linux-gnu.cmake \
  -DNESTRT_HOST_TOOLS_DIR="$PWD/build/host" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/aarch64 -j "$jobs"
emulator=(sh toolchains/qemu-aarch64.sh max "${NESTRT_ARM64_PREFIX:-/opt/nestrt-arm64}/usr/lib/aarch64-linux-gnu")

failed=0
for cpu in "${qemu_cpus[@]}"; do
  step "aarch64 tests under qemu ($cpu)"
  # The end-to-end suite runs once per CPU model below, on a subset: qemu is 60-240x slower.
  QEMU_CPU=$cpu ctest --test-dir build/aarch64 -j "$jobs" --output-on-failure -LE e2e || failed=1
  digests=$({
    QEMU_CPU=$cpu NESTRT_E2E_SAMPLES=$qemu_samples timeout 1800 "${emulator[@]}" build/aarch64/tests/nestrt_e2e_test
    QEMU_CPU=$cpu timeout 1800 "${emulator[@]}" build/aarch64/tests/nestrt_ocr_e2e_test
  } | grep '^E2E ') || { echo "end-to-end test failed on $cpu"; failed=1; }
  echo "$digests"
  if [ "$digests" != "$host_digests" ]; then
    echo "FAIL: $cpu end-to-end outputs differ from the host's (bit-exactness across ISAs)"
    failed=1
  else
    echo "$cpu: end-to-end outputs bit-identical to the host's (ResNet $qemu_samples images, MobileNetV2 $((qemu_samples / 5)), PaddleOCR all crops; both modes)"
  fi
done

step "board toolchains configure and build"
for board in raspberrypi4 raspberrypi5 jetson-orin; do
  cmake -S . -B "build/$board" -G Ninja --toolchain "toolchains/$board.cmake" -DCMAKE_BUILD_TYPE=Release \
    -DNESTRT_BUILD_TESTS=OFF -DNESTRT_BUILD_BENCHMARKS=OFF >/dev/null
  cmake --build "build/$board" -j "$jobs" >/dev/null && echo "$board: built" || { echo "$board: BUILD FAILED"; failed=1; }
done

step "done"
[ "$failed" -eq 0 ] && echo "ALL TESTS PASSED" || { echo "SOME TESTS FAILED"; exit 1; }

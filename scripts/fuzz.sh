#!/usr/bin/env bash
# Runs every libFuzzer target (tests/fuzz) for SECONDS each, starting from its seed corpus in
# tests/fuzz/corpus/<target>/, under AddressSanitizer + UndefinedBehaviorSanitizer (and LeakSanitizer).
# Crashing inputs are kept in build/fuzz/findings/<target>/. Ends with
#   SUMMARY fuzz targets=N execs=N crashes=N
# Usage: scripts/fuzz.sh [SECONDS] [--target NAME] [--make-seeds] [--jobs N]
#   SECONDS        time per target (default 60)
#   --target NAME  run only that target (model_file_fuzzer, model_load_fuzzer, onnx_import_fuzzer,
#                  daemon_protocol_fuzzer)
#   --make-seeds   rewrite tests/fuzz/corpus from nestrt_fuzz_make_seeds, then exit
# Needs clang and libclang-rt-14-dev (scripts/setup.sh installs them).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60 only="" make_seeds=0
while [ $# -gt 0 ]; do
  case "$1" in
    --target) only=$2; shift ;;
    --make-seeds) make_seeds=1 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) seconds=$1 ;;
    *) echo "fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

build=build/fuzz
flags="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g"
CC=clang-14 CXX=clang++-14 cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNESTRT_BUILD_FUZZERS=ON \
  -DNESTRT_BUILD_BENCHMARKS=OFF -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
cmake --build "$build" -j "$(nproc)" --target nestrt_fuzzers nestrt_fuzz_make_seeds

if [ "$make_seeds" -eq 1 ]; then
  "$build/tests/fuzz/nestrt_fuzz_make_seeds" tests/fuzz/corpus
  exit 0
fi

targets=(model_file_fuzzer model_load_fuzzer onnx_import_fuzzer daemon_protocol_fuzzer)
[ -n "$only" ] && targets=("$only")
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1
total_execs=0 crashes=0 ran=0
for target in "${targets[@]}"; do
  bin="$build/tests/fuzz/$target"
  [ -x "$bin" ] || { echo "fuzz.sh: no target $target in $build" >&2; exit 2; }
  # Mutations go to a scratch corpus, so the committed seeds stay small and reviewed.
  work="$build/corpus/$target" findings="$build/findings/$target"
  rm -rf "$findings"
  mkdir -p "$work" "$findings"
  echo "== $target: ${seconds}s"
  log="$build/$target.log"
  status=0
  "$bin" "$work" "tests/fuzz/corpus/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -malloc_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  execs=${execs:-0}
  found=$(find "$findings" -type f | wc -l)
  echo "$target: $execs executions, exit $status, $found finding(s) in $findings"
  if [ "$status" -ne 0 ]; then
    grep -m1 -E "ERROR: (AddressSanitizer|libFuzzer|LeakSanitizer)|runtime error|SUMMARY" "$log" || true
    echo "   full log: $log"
    [ "$found" -eq 0 ] && found=1
  fi
  total_execs=$((total_execs + execs)) crashes=$((crashes + found)) ran=$((ran + 1))
done
echo "SUMMARY fuzz targets=$ran execs=$total_execs crashes=$crashes"
[ "$crashes" -eq 0 ]

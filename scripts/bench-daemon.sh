#!/usr/bin/env bash
# Throughput and p99 latency of nestrtd serving the shipped test model, calm (full mode) and under
# a switch storm (a full<->part switch every 100 ms). Starts its own daemon on a private socket
# with the governor off (the storm drives the switches) and runs the load generator (nestrtd-load)
# for interleaved calm/storm rounds; the machines are shared and noisy, so it reports the median
# of the rounds and the ratios of those medians. Ends with one machine-readable line:
#   SUMMARY daemon rps=N p99_ms=T storm_rps_ratio=R storm_p99_ratio=R failed=N
# Target: failed=0 and storm_rps_ratio >= 0.9.
# Usage: scripts/bench-daemon.sh [--build DIR] [--clients N] [--seconds S] [--rounds N] [--workers N]
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/host clients=4 seconds=3 rounds=5 workers=2
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build=$2; shift 2 ;;
    --clients) clients=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    -h | --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench-daemon.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DNESTRT_BUILD_BENCHMARKS=OFF >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target nestrtd nestrtd-load nestrt nestrt_test_models >/dev/null
model=$PWD/$build/models/fashion_mnist_resnet.nest

work=$(mktemp -d /tmp/nestrtd-bench.XXXXXX)
daemon_pid=
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
cat >"$work/nestrtd.toml" <<TOML
[server]
socket = "$work/nestrtd.sock"
workers = $workers
[governor]
enabled = false
[[model]]
name = "fashion"
path = "$model"
TOML

"$build/runtime/daemon/nestrtd" --foreground --config "$work/nestrtd.toml" 2>"$work/nestrtd.log" &
daemon_pid=$!
serving() { "$build/runtime/cli/nestrt" ctl --socket "$work/nestrtd.sock" status >/dev/null 2>&1; }
for _ in $(seq 100); do serving && break; sleep 0.1; done
serving || { cat "$work/nestrtd.log"; echo "nestrtd did not start" >&2; exit 1; }

load() { "$build/runtime/daemon/nestrtd-load" --socket "$work/nestrtd.sock" --model fashion \
  --clients "$clients" --seconds "$seconds" "$@" | grep '^RESULT'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

echo "nestrtd: $workers workers, $clients clients, $rounds rounds of ${seconds}s calm + ${seconds}s storm"
calm_rps=() calm_p99=() storm_rps=() storm_p99=() failed=0
for round in $(seq "$rounds"); do
  "$build/runtime/cli/nestrt" ctl --socket "$work/nestrtd.sock" switch full >/dev/null  # calm = full mode
  calm=$(load)
  storm=$(load --storm-ms 100)
  echo "round $round calm:  $calm"
  echo "round $round storm: $storm"
  calm_rps+=("$(field rps "$calm")") calm_p99+=("$(field p99_ms "$calm")")
  storm_rps+=("$(field rps "$storm")") storm_p99+=("$(field p99_ms "$storm")")
  failed=$((failed + $(field failed "$calm") + $(field failed "$storm")))
done

kill -TERM "$daemon_pid"
wait "$daemon_pid" || { echo "nestrtd exited with an error" >&2; cat "$work/nestrtd.log"; exit 1; }
daemon_pid=

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'; }
rps=$(median "${calm_rps[@]}") p99=$(median "${calm_p99[@]}")
echo "SUMMARY daemon rps=$rps p99_ms=$p99 storm_rps_ratio=$(ratio "$(median "${storm_rps[@]}")" "$rps")" \
  "storm_p99_ratio=$(ratio "$(median "${storm_p99[@]}")" "$p99") failed=$failed"

#!/usr/bin/env bash
# The benchmark: every rung of the concurrency ladder, the floor server and
# two Python peers, each pinned to CPU 0 while the load generator runs on
# CPU 1 (when taskset exists), for 1/10/100 connections x 64 B/16 KiB echo,
# a checksum workload and the tutorial's hello exchange; then tokio, pool,
# python asyncio and the floor at 100 x 64 B with spread arrivals (a thread
# per connection) and an open-loop sweep of 8 offered rates; 5 runs per
# point, medians and per-round spreads reported. Takes about 9 minutes.
#
#   scripts/bench.sh                writes bench/results.json,
#                                   book/generated/bench-table.md, bench-chart.svg,
#                                   bench-patterns.md, bench-latency.svg
#   scripts/bench.sh --smoke        a few seconds, debug builds, into target/bench-smoke/
#                                   (scripts/test.sh runs this)
#   scripts/bench.sh --report-only  redraws the tables and charts from bench/results.json
#
# Only loopback traffic; every run is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

mode=full
case "${1:-}" in
  "") ;;
  --smoke) mode=smoke ;;
  --report-only) mode=report ;;
  *) echo "usage: scripts/bench.sh [--smoke | --report-only]" >&2; exit 2 ;;
esac

packages=(-p echo-floor -p echo-iterative -p echo-threaded -p echo-pool -p echo-async -p loadgen)
if [ "$mode" = full ]; then
  echo "==> cargo build --release (servers, loadgen, bench)"
  cargo build --release --locked --bins "${packages[@]}"
  bin_dir=$(target_dir)/release
else
  echo "==> cargo build (debug: servers, loadgen, bench)"
  cargo build --locked --bins "${packages[@]}"
  bin_dir=$(target_dir)/debug
fi

args=(--bin-dir "$bin_dir" --root .)
if python=$(find_python); then
  args+=(--python "$python")
else
  echo "note: no python3, the Python peers are skipped"
fi
[ "$mode" = smoke ] && args+=(--smoke)
[ "$mode" = report ] && args+=(--report-only)

# The load generator on CPU 1; the bench binary pins each server to CPU 0.
# ${pin[@]+…} below: bash 3.2 (macOS's /bin/bash) calls an empty array unbound under set -u.
pin=()
if command -v taskset >/dev/null 2>&1 && taskset -c 1 true 2>/dev/null; then
  pin=(taskset -c 1)
else
  echo "note: taskset unavailable or fewer than 2 CPUs, nothing is pinned"
fi

# Ahead of other work on the machine when allowed (root); servers inherit it.
if [ "$mode" = full ] && nice -n -5 true 2>/dev/null; then
  pin=(nice -n -5 ${pin[@]+"${pin[@]}"})
fi

echo "==> ${pin[*]+${pin[*]} }$bin_dir/bench ${args[*]}"
started=$SECONDS
${pin[@]+"${pin[@]}"} "$bin_dir/bench" "${args[@]}"
echo "==> benchmark done in $((SECONDS - started)) s"

#!/usr/bin/env bash
# The transfer benchmark (issue 10): in one run, on loopback, as ratios to
# baselines measured in the same run —
#   1. TCP: send-file/receive-file memory-to-memory vs iperf3 (target >= 0.9x),
#      file-to-file, and file-to-file with verification;
#   2. UDP at 0 % loss: our reliable UDP (rudp, 1472-byte datagrams) vs a raw
#      blast of the same datagrams (udp-blast, target >= 0.8x), and vs TCP;
#      then both batched (UDP GSO/GRO: udp-blast --gso/--gro, rudp --batch),
#      each its own row, as ratios to each other and to the unbatched rows.
#   3. through the lossy link with 10 ms added round trip: stop-and-wait,
#      go-back-N and selective repeat at 0, 1, 5, 10 and 30 % loss, each verified,
#      next to the textbook formula (within 25 % at 0 % loss), with the
#      retransmission ratio and CPU per MB.
# The rows of 1 and 2 are measured in turns (A B C A B C ...), 5 times each
# (the median is shown), the receiver pinned to CPU 0 and the sender to CPU 1.
# The measuring is done by scripts/transfer-bench.py (Python standard library).
#
#   scripts/transfer-bench.sh                writes bench/transfer-results.json,
#                                            book/generated/transfer-table.md,
#                                            transfer-loss.md, transfer-goodput.svg
#                                            (release builds, a few minutes)
#   scripts/transfer-bench.sh --smoke        well under a minute, debug builds, into
#                                            the target dir's transfer-bench-smoke/
#   scripts/transfer-bench.sh --report-only  redraws the tables and chart from the results
#
# iperf3 comes from the OS packages: installed with apt-get when missing and run
# as root; otherwise its row is skipped, saying so. Only loopback traffic;
# every transfer is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

mode=full
case "${1:-}" in
  "") ;;
  --smoke) mode=smoke ;;
  --report-only) mode=report ;;
  *) echo "usage: scripts/transfer-bench.sh [--smoke | --report-only]" >&2; exit 2 ;;
esac

python=$(find_python) || { echo "error: the transfer benchmark needs python3 (standard library only)" >&2; exit 1; }

if [ "$mode" = report ]; then
  exec "$python" scripts/transfer-bench.py --report-only
fi

# The crates of issue 10 that exist in this checkout (a missing one is a skipped row).
packages=()
for crate in udp-blast transfer rudp lossy-link; do
  if [ -f "crates/$crate/Cargo.toml" ]; then
    packages+=(-p "$crate")
  else
    echo "note: crates/$crate is missing, its rows are skipped"
  fi
done

if [ "$mode" = full ]; then
  profile=release
  echo "==> cargo build --release (${packages[*]+${packages[*]}})"
  cargo build --release --locked --bins ${packages[@]+"${packages[@]}"}
else
  profile=debug
  echo "==> cargo build (debug: ${packages[*]+${packages[*]}})"
  cargo build --locked --bins ${packages[@]+"${packages[@]}"}
fi
bin_dir=$(target_dir)/$profile

# iperf3, the TCP baseline, from the OS packages.
if ! command -v iperf3 >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u 2>/dev/null || echo 1)" = 0 ]; then
    echo "==> apt-get install -y iperf3"
    DEBIAN_FRONTEND=noninteractive apt-get install -y iperf3 >/dev/null 2>&1 ||
      { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y iperf3 >/dev/null 2>&1; } ||
      echo "note: apt-get could not install iperf3, its row is skipped"
  else
    echo "note: iperf3 is not installed and cannot be installed here (needs apt-get and root);" \
      "its row is skipped (install it: apt-get install iperf3, brew install iperf3, choco install iperf3)"
  fi
fi

args=(--bin-dir "$bin_dir")
if [ "$mode" = smoke ]; then
  smoke_dir=$(target_dir)/transfer-bench-smoke
  args+=(--smoke --out "$smoke_dir" --results "$smoke_dir/transfer-results.json")
fi

echo "==> $python scripts/transfer-bench.py ${args[*]}"
started=$SECONDS
"$python" scripts/transfer-bench.py "${args[@]}"
echo "==> transfer benchmark done in $((SECONDS - started)) s"

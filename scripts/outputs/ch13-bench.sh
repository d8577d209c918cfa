# Chapter 13: what the benchmark's smoke mode does (its rates vary from run to
# run, so only the lines that do not are kept).
source "$(dirname "$0")/lib.sh"
echo "@@@ ch13-bench-smoke"
prompt "scripts/bench.sh --smoke | grep -e 'servers,' -e ^wrote -e 'smoke run OK'"
scripts/bench.sh --smoke 2>&1 | grep -e 'servers,' -e ^wrote -e 'smoke run OK'

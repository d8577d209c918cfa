# Chapter 13: the load generator's command line, the shape of its JSON line,
# a starved iterative server, and its errors. Only what does not change from
# run to run is shown: timings and rates vary, the book takes them from the
# benchmark's generated table instead.
source "$(dirname "$0")/lib.sh"

# FIELDS: prints the JSON line's field names, then the fields that are the same on every run.
FIELDS="import json, sys; report = json.loads(sys.stdin.readlines()[-1]); print(list(report)); print({key: report[key] for key in ('mode', 'connections', 'size', 'requests', 'errors', 'cut_off', 'starved')})"

{
  echo "@@@ ch13-loadgen-help"
  prompt cargo run -p loadgen -- --help
  run_shown "$BIN/loadgen" --help
}

start_server async echo-async --quiet 127.0.0.1:0
{
  echo "@@@ ch13-loadgen-json"
  prompt "cargo run --release -p loadgen -- 127.0.0.1:7004 -c 10 -n 1000 | python3 -c \"$FIELDS\""
  "$BIN/loadgen" "$ADDR" -c 10 -n 1000 | python3 -c "$FIELDS"
} | normalise 7004

start_server iterative echo-iterative --quiet 127.0.0.1:0
{
  echo "@@@ ch13-loadgen-starved"
  prompt "cargo run --release -p loadgen -- 127.0.0.1:7001 -c 3 -n 1000000 --max-seconds 2 | grep -e ^errors -e '^cut off'"
  "$BIN/loadgen" "$ADDR" -c 3 -n 1000000 --max-seconds 2 | grep -e ^errors -e '^cut off'
} | normalise 7001

# a port nobody listens on: bound, then released at once
PORT=$(python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
{
  echo "@@@ ch13-loadgen-errors"
  prompt "cargo run -p loadgen -- 127.0.0.1:7004 -c 2 -n 5 | grep -v '^{'"
  "$BIN/loadgen" "127.0.0.1:$PORT" -c 2 -n 5 2>&1 | grep -v '^{' || true
  prompt cargo run -p loadgen -- 192.0.2.1:7004
  run_shown "$BIN/loadgen" 192.0.2.1:7004
  prompt 'echo $?'
  "$BIN/loadgen" 192.0.2.1:7004 2>/dev/null || echo "$?"
} | normalise 7004

echo "@@@ ch13-clk-tck"
prompt getconf CLK_TCK
getconf CLK_TCK

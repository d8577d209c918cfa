# Chapter 12: clients that break the frame protocol, one after another, and
# the frame-server's log (stdout and stderr together, as in a terminal).
source "$(dirname "$0")/lib.sh"
"$BIN/frame-server" 127.0.0.1:0 --timeout 2 > "$LOGS/server.log" 2>&1 &
PIDS+=($!)
wait_for server.log "Listening on "
ADDR=$(grep -m1 '^Listening on ' "$LOGS/server.log" | cut -d' ' -f3)
PORT=${ADDR##*:}

{
  echo "@@@ framing-errors-clients"
  # Each bad client waits until the server has hung up, and the script waits
  # for the server's log line, so the log comes out in the same order every run.
  for step in "oversized:exceeds the maximum of" "half:in the middle of" \
              "stall:no complete frame" "reset:Connection reset" "garbage:frame of 1195725856"; do
    mode=${step%%:*}
    prompt "cargo run -p framing --example bad-client -- 127.0.0.1:7100 $mode"
    run_shown "$BIN/examples/bad-client" "$ADDR" "$mode"
    wait_for server.log "${step#*:}"
  done
  prompt 'cargo run -p framing --bin frame-client -- 127.0.0.1:7100 "still there?"'
  run_shown "$BIN/frame-client" "$ADDR" "still there?"
  wait_for server.log "Closed by"

  echo "@@@ framing-errors-server"
  prompt cargo run -p framing --bin frame-server -- 127.0.0.1:7100 --timeout 2
  cat "$LOGS/server.log"

  echo "@@@ framing-errors-startup"
  prompt cargo run -p framing --bin frame-server -- 127.0.0.1:7100
  run_shown "$BIN/frame-server" "$ADDR"
  prompt cargo run -p framing --bin frame-server -- 127.0.0.1:7100 --max lots
  run_shown "$BIN/frame-server" "$ADDR" --max lots
  prompt cargo run -p framing --bin frame-server -- 127.0.0.1
  run_shown "$BIN/frame-server" 127.0.0.1
} | normalise 7100

PORT=1
{
  prompt cargo run -p framing --bin frame-client
  run_shown "$BIN/frame-client" 127.0.0.1:1
} | sed 's/127\.0\.0\.1:1\b/127.0.0.1:7100/g'

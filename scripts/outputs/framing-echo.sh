# Chapter 12: frame-server in one terminal, frame-client in another (twice).
source "$(dirname "$0")/lib.sh"
start_server server frame-server

# wait_closed N: waits (at most 15 s) until the server has logged N "Closed by" lines.
wait_closed() {
  local deadline=$((SECONDS + 15))
  until [ "$(grep -c '^Closed by' "$LOGS/server.out")" -ge "$1" ]; do
    [ $SECONDS -lt $deadline ] || { echo "error: no $1 'Closed by' lines within 15 s" >&2; exit 1; }
    sleep 0.05
  done
}

{
  echo "@@@ framing-echo-client"
  prompt cargo run -p framing --bin frame-client
  run_shown "$BIN/frame-client" "$ADDR"
  wait_closed 1
  prompt 'cargo run -p framing --bin frame-client -- 127.0.0.1:7100 "第一帧" second third'
  run_shown "$BIN/frame-client" "$ADDR" "第一帧" second third
  wait_closed 2
  echo "@@@ framing-echo-server"
  prompt cargo run -p framing --bin frame-server
  show server
} | normalise 7100

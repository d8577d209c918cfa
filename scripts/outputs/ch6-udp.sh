# Chapter 6: a second udp-server on the same port; a 2000-byte datagram sent to
# udp-server (1025-byte buffer: it notices) and to std-udp-server (1024-byte
# buffer: silently cut to 1024 bytes).
source "$(dirname "$0")/lib.sh"
LONG=$(python3 -c 'print("x" * 2000)')
start_server server udp-server
{
  echo "@@@ ch6-udp-in-use"
  prompt cargo run -p udp-server
  run_shown "$BIN/udp-server" "$ADDR"
  prompt 'echo $?'
  "$BIN/udp-server" "$ADDR" 2>/dev/null || echo "$?"

  echo "@@@ ch6-udp-big"
  prompt 'cargo run -p udp-server > server.log'
  prompt "cargo run -p udp-client -- 127.0.0.1:5678 \"\$(python3 -c 'print(\"x\" * 2000)')\""
  run_shown "$BIN/udp-client" "$ADDR" "$LONG"
  wait_for server.out "(truncated to"
  prompt 'tail -c 50 server.log'
  tail -c 50 "$LOGS/server.out"
} | normalise 5678
start_server std examples/std-udp-server
{
  echo "@@@ ch6-std-big"
  prompt 'cargo run -p udp-server --example std-udp-server > std-server.log'
  prompt "cargo run -p udp-client -- 127.0.0.1:5678 \"\$(python3 -c 'print(\"x\" * 2000)')\""
  run_shown "$BIN/udp-client" "$ADDR" "$LONG"
  wait_for std.out "Received from"
  prompt 'tail -c 50 std-server.log'
  tail -c 50 "$LOGS/std.out"
  prompt 'grep -o x std-server.log | wc -l'
  grep -o x "$LOGS/std.out" | wc -l
} | normalise 5678

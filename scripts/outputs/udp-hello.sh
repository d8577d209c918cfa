# The tutorial's UDP exchange: udp-server in one terminal, udp-client in another.
source "$(dirname "$0")/lib.sh"
start_server server udp-server
{
  echo "@@@ udp-hello-client"
  prompt cargo run -p udp-client
  run_shown "$BIN/udp-client" "$ADDR"
  prompt 'cargo run -p udp-client -- 127.0.0.1:5678 "Anyone there?"'
  run_shown "$BIN/udp-client" "$ADDR" "Anyone there?"
  wait_for server.out "Anyone there?"
  echo "@@@ udp-hello-server"
  prompt cargo run -p udp-server
  show server
} | normalise 5678

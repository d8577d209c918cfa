# The std versions print exactly what the socket2 versions print.
source "$(dirname "$0")/lib.sh"
start_server tcp examples/std-tcp-server
{
  echo "@@@ std-tcp"
  prompt cargo run -p tcp-client --example std-tcp-client
  run_shown "$BIN/examples/std-tcp-client" "$ADDR"
  wait_for tcp.out "Received: Hello, Server!"
  echo
  prompt cargo run -p tcp-server --example std-tcp-server
  show tcp
} | normalise 12345
start_server udp examples/std-udp-server
{
  echo "@@@ std-udp"
  prompt cargo run -p udp-client --example std-udp-client
  run_shown "$BIN/examples/std-udp-client" "$ADDR"
  wait_for udp.out "Received from"
  echo
  prompt cargo run -p udp-server --example std-udp-server
  show udp
} | normalise 5678

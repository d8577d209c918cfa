# The tutorial's TCP exchange: tcp-server in one terminal, tcp-client twice in another.
source "$(dirname "$0")/lib.sh"
start_server server tcp-server
{
  echo "@@@ tcp-hello-client"
  prompt cargo run -p tcp-client
  run_shown "$BIN/tcp-client" "$ADDR"
  prompt 'cargo run -p tcp-client -- 127.0.0.1:12345 "Hi again"'
  run_shown "$BIN/tcp-client" "$ADDR" "Hi again"
  wait_for server.out "Received: Hi again"
  echo "@@@ tcp-hello-server"
  prompt cargo run -p tcp-server
  show server
} | normalise 12345

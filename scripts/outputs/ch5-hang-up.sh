# Chapter 5: a server that reads the request and hangs up without replying, so
# the client's read returns 0; then the Rust client against our Python server.
source "$(dirname "$0")/lib.sh"
python3 -c "
import socket
server = socket.create_server(('127.0.0.1', 0))
print(f'Listening on 127.0.0.1:{server.getsockname()[1]}', flush=True)
while True:
    connection, _ = server.accept()
    connection.recv(1024)
    connection.close()
" > "$LOGS/mute.out" 2>&1 &
PIDS+=($!)
wait_for mute.out "Listening on "
ADDR=$(grep -m1 '^Listening on ' "$LOGS/mute.out" | cut -d' ' -f3)
PORT=${ADDR##*:}
{
  echo "@@@ ch5-hang-up"
  prompt cargo run -p tcp-client
  run_shown "$BIN/tcp-client" "$ADDR"
  prompt 'echo $?'
  "$BIN/tcp-client" "$ADDR" 2>/dev/null || echo "$?"
} | normalise 12345
python3 scripts/python/tcp_server.py 127.0.0.1:0 > "$LOGS/py.out" 2>&1 &
PIDS+=($!)
wait_for py.out "Listening on "
ADDR=$(grep -m1 '^Listening on ' "$LOGS/py.out" | cut -d' ' -f3)
PORT=${ADDR##*:}
{
  echo "@@@ ch5-python-server"
  prompt cargo run -p tcp-client
  run_shown "$BIN/tcp-client" "$ADDR"
  wait_for py.out "Received: Hello, Server!"
  echo
  prompt python3 scripts/python/tcp_server.py
  show py | sed -E 's/, [0-9]+\)/, 50001)/'
} | normalise 12345

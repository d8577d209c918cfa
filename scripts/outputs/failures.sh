# Every row of the failure table, run for real (Linux wording of OS errors).
source "$(dirname "$0")/lib.sh"
start_server server tcp-server
{
  echo "@@@ fail-addr-in-use"
  prompt cargo run -p tcp-server
  run_shown "$BIN/tcp-server" "$ADDR"
  prompt 'echo $?'
  "$BIN/tcp-server" "$ADDR" 2>/dev/null || echo "$?"

  echo "@@@ fail-bad-address"
  prompt cargo run -p tcp-server -- abc
  run_shown "$BIN/tcp-server" abc
  prompt cargo run -p tcp-server -- 127.0.0.1:99999
  run_shown "$BIN/tcp-server" 127.0.0.1:99999
  prompt cargo run -p tcp-client -- localhost:12345
  run_shown "$BIN/tcp-client" localhost:12345

  echo "@@@ fail-silent-client"
  prompt "python3 -c \"import socket, time; s = socket.create_connection(('127.0.0.1', 12345)); time.sleep(6)\""
  python3 -c "import socket, time; s = socket.create_connection(('127.0.0.1', $PORT)); time.sleep(6)"
  wait_for server.out "sent nothing for 5 s"
  prompt cargo run -p tcp-client
  run_shown "$BIN/tcp-client" "$ADDR"

  echo "@@@ fail-invalid-utf8"
  prompt "python3 -c \"import socket; s = socket.create_connection(('127.0.0.1', 12345)); s.sendall(b'caf\\\\xe9'); print(s.recv(1024))\""
  python3 -c "import socket; s = socket.create_connection(('127.0.0.1', $PORT)); s.sendall(b'caf\\xe9'); print(s.recv(1024))"
  wait_for server.out "Received: caf"

  echo "@@@ fail-reset"
  prompt "python3 -c \"import socket, struct; s = socket.create_connection(('127.0.0.1', 12345)); s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()\""
  python3 -c "import socket, struct; s = socket.create_connection(('127.0.0.1', $PORT)); s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()"
  wait_for server.out "reset"
  prompt cargo run -p tcp-client
  run_shown "$BIN/tcp-client" "$ADDR"
  wait_for server.out "Received: Hello, Server!"

  echo "@@@ fail-control-chars"
  prompt "python3 -c \"import socket; s = socket.create_connection(('127.0.0.1', 12345)); s.sendall(b'\\\\x1b[2J\\\\x1b[31mred alert\\\\x07\\\\n'); print(s.recv(1024))\""
  python3 -c "import socket; s = socket.create_connection(('127.0.0.1', $PORT)); s.sendall(b'\\x1b[2J\\x1b[31mred alert\\x07\\n'); print(s.recv(1024))"
  wait_for server.out "red alert"

  echo "@@@ fail-server-log"
  prompt cargo run -p tcp-server
  show server
  # After the whole log, so that the client's port is numbered as it is there.
  echo "@@@ fail-control-chars-log"
  tail -2 "$LOGS/server.out"
} | normalise 12345

# A server whose standard output is gone: `head -1` exits after one line, and
# the server's next line (for the next client) has nowhere to go.
PORT=$(free_port tcp)
{
  echo "@@@ fail-closed-stdout"
  prompt "cargo run -p tcp-server | head -1   # then a client connects"
  "$BIN/tcp-server" "127.0.0.1:$PORT" 2>"$LOGS/headless.err" | head -1 >"$LOGS/headless.out" &
  wait_for headless.out "Listening on "
  cat "$LOGS/headless.out"
  "$BIN/tcp-client" "127.0.0.1:$PORT" >/dev/null 2>&1 || true
  wait_for headless.err "standard output"
  wait $! || true # the pipeline fails: the server stopped with exit code 1
  cat "$LOGS/headless.err"
} | normalise 12345

# With no descriptor left, accept fails at once, every time: the server says so
# and pauses instead of spinning (about ten lines a second, not half a million).
PORT=$(free_port tcp)
{
  echo "@@@ fail-emfile"
  prompt '(ulimit -n 4 && exec "${CARGO_TARGET_DIR:-target}/debug/tcp-server") 2>&1 | head -4   # then a client connects'
  (
    ulimit -n 4
    exec "$BIN/tcp-server" "127.0.0.1:$PORT"
  ) >"$LOGS/emfile.out" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for emfile.out "Listening on "
  python3 -c "import socket, time; s = socket.create_connection(('127.0.0.1', $PORT)); time.sleep(0.5)"
  kill "$SERVER_PID"
  head -4 "$LOGS/emfile.out"
} | normalise 12345

# Nothing listens on these ports; the transcripts show the default ports.
PORT=$(free_port tcp)
{
  echo "@@@ fail-refused"
  prompt cargo run -p tcp-client
  run_shown "$BIN/tcp-client" "127.0.0.1:$PORT"
} | normalise 12345
PORT=$(free_port udp)
{
  echo "@@@ fail-udp-no-reply"
  prompt cargo run -p udp-client
  run_shown "$BIN/udp-client" "127.0.0.1:$PORT"
} | normalise 5678

# A UDP server that receives but never answers: only the timeout can tell.
SILENT='import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("Listening on 127.0.0.1:%d" % s.getsockname()[1], flush=True)
time.sleep(30)'
python3 -c "$SILENT" >"$LOGS/silent.out" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
wait_for silent.out "Listening on "
PORT=$(sed -n 's/^Listening on 127.0.0.1://p' "$LOGS/silent.out")
{
  echo "@@@ fail-udp-silent"
  prompt "cargo run -p udp-client   # a server that reads but never answers"
  run_shown "$BIN/udp-client" "127.0.0.1:$PORT"
} | normalise 5678

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
  wait_for server.out "read timeout 5 s"
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

  echo "@@@ fail-server-log"
  prompt cargo run -p tcp-server
  show server
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

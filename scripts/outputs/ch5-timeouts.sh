# Chapter 5 (Linux): both client timeouts against a server that never accepts.
# With backlog 0 the accept queue holds one connection: the first client gets
# in and waits for a reply that never comes (read timeout); the queue is then
# full, Linux drops the second client's SYN, and its connect times out.
source "$(dirname "$0")/lib.sh"
python3 -c "
import socket, time
server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.bind(('127.0.0.1', 0))
server.listen(0)
print(f'Listening on 127.0.0.1:{server.getsockname()[1]}', flush=True)
time.sleep(60)
" > "$LOGS/stuck.out" 2>&1 &
PIDS+=($!)
wait_for stuck.out "Listening on "
ADDR=$(grep -m1 '^Listening on ' "$LOGS/stuck.out" | cut -d' ' -f3)
PORT=${ADDR##*:}
{
  prompt cargo run -p tcp-client
  run_shown "$BIN/tcp-client" "$ADDR"
  prompt cargo run -p tcp-client
  run_shown "$BIN/tcp-client" "$ADDR"
} | normalise 12345

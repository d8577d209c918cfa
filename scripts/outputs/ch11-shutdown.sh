# Chapter 11: Ctrl-C in the middle of a conversation. The pool and the async
# server stop accepting at once, let the connected client finish, exit 0.
source "$(dirname "$0")/lib.sh"

CLIENT="import socket, sys, time; s = socket.create_connection(('127.0.0.1', int(sys.argv[1]))); s.sendall(b'hello'); print(s.recv(1024), flush=True); time.sleep(3); s.sendall(b'bye'); print(s.recv(1024))"

# shutdown NAME PROGRAM DEFAULT_PORT: the client's side is written only for
# the pool (the book shows it once); the server's side for both.
shutdown() {
  local name=$1 program=$2 default=$3
  start_server "$name" "$program"
  local server=$SERVER_PID
  {
    echo "@@@ ch11-$name-shutdown-client"
    prompt "python3 -c \"${CLIENT//\"/\\\"}\" $default"
    python3 -c "$CLIENT" "$PORT" > "$LOGS/client.out" 2>&1 &
    local client=$!
    wait_for client.out "b'hello'"
    kill -INT "$server" # the reader presses Ctrl-C in the server's terminal
    wait_for "$name.out" "Shutting down"
    # the listening socket is closed right after the accept loop ends
    local deadline=$((SECONDS + 15))
    while [ -n "$(ss -Htln "sport = :$PORT")" ]; do
      [ $SECONDS -lt $deadline ] || { echo "error: $program still listening" >&2; exit 1; }
      sleep 0.05
    done
    wait "$client"
    cat "$LOGS/client.out"

    echo "@@@ ch11-$name-shutdown-late"
    prompt cargo run -p tcp-client -- "127.0.0.1:$default"
    run_shown "$BIN/tcp-client" "127.0.0.1:$PORT"
  } | normalise "$default" > "$LOGS/client-side.txt"
  [ "$name" = pool ] && cat "$LOGS/client-side.txt"

  local status=0
  wait "$server" || status=$? # the server is a child of this shell, not of the pipeline
  {
    echo "@@@ ch11-$name-shutdown-server"
    prompt cargo run -p "$program"
    show "$name"
    prompt 'echo $?'
    echo "$status"
  } | normalise "$default"
}

shutdown pool echo-pool 7003
shutdown async echo-async 7004

# Chapter 11: one slow client stalls the iterative server, not the threaded one.
source "$(dirname "$0")/lib.sh"

# wait_count FILE TEXT N: waits until TEXT occurs on N lines of $LOGS/FILE (at most 15 s).
wait_count() {
  local deadline=$((SECONDS + 15))
  until [ "$(grep -cF -- "$2" "$LOGS/$1" 2>/dev/null)" -ge "$3" ]; do
    if [ $SECONDS -ge $deadline ]; then
      echo "error: fewer than $3 '$2' in $1 within 15 s" >&2
      cat "$LOGS/$1" >&2 || true
      exit 1
    fi
    sleep 0.05
  done
}

# stall NAME PROGRAM DEFAULT_PORT: a client that holds a connection for 3 s
# without sending, then a client that sends "hello" and times its answer.
stall() {
  local name=$1 program=$2 default=$3
  start_server "$name" "$program"
  {
    echo "@@@ ch11-$name-clients"
    prompt "python3 -c \"import socket, time; s = socket.create_connection(('127.0.0.1', $default)); time.sleep(3)\" &"
    python3 -c "import socket, time; s = socket.create_connection(('127.0.0.1', $PORT)); time.sleep(3)" &
    wait_for "$name.out" "Connected by"
    prompt "python3 -c \"import socket, time; t = time.monotonic(); s = socket.create_connection(('127.0.0.1', $default)); s.sendall(b'hello'); print(s.recv(1024), 'after %.0f s' % (time.monotonic() - t))\""
    python3 -c "import socket, time; t = time.monotonic(); s = socket.create_connection(('127.0.0.1', $PORT)); s.sendall(b'hello'); print(s.recv(1024), 'after %.0f s' % (time.monotonic() - t))"
    wait
    wait_count "$name.out" "Closed" 2
    echo "@@@ ch11-$name-server"
    prompt cargo run -p "$program"
    show "$name"
  } | normalise "$default"
}

stall iterative echo-iterative 7001
stall threaded echo-threaded 7002

# While the iterative server is busy, later clients still connect: the kernel
# completes their handshakes and parks them in the accept queue (Recv-Q).
start_server backlog echo-iterative
HOLD="import socket, sys, time; clients = [socket.create_connection(('127.0.0.1', int(sys.argv[1]))) for _ in range(4)]; print(len(clients), 'connected', flush=True); time.sleep(3)"
{
  echo "@@@ ch11-backlog"
  prompt "python3 -c \"${HOLD//\"/\\\"}\" 7001 &"
  python3 -c "$HOLD" "$PORT" > "$LOGS/hold.out" &
  wait_for hold.out "connected"
  cat "$LOGS/hold.out"
  wait_for backlog.out "Connected by"
  prompt "ss -tln 'sport = :7001'"
  ss -tln "sport = :$PORT" | sed 's/ *$//'
  wait
} | normalise 7001

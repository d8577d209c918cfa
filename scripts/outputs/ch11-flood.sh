# Chapter 11: 258 clients that all stay connected, against the pool (128
# workers, queue of 128: two are refused) and the async server (all served).
source "$(dirname "$0")/lib.sh"

FLOOD=$(cat <<'PY'
import socket, sys, time
address = ('127.0.0.1', int(sys.argv[1]))
first = [socket.create_connection(address) for _ in range(128)]
for s in first:
    s.sendall(b'hi')
    assert s.recv(16) == b'hi'
print(len(first), 'clients connected and answered')
more = [socket.create_connection(address) for _ in range(130)]
for s in more:
    s.sendall(b'hi')
time.sleep(1)  # plenty of time to answer, if anyone is free to
answered = waiting = refused = 0
for s in more:
    s.setblocking(False)
    try:
        reply = s.recv(16)
    except BlockingIOError:
        waiting += 1  # still connected, nobody has read our 'hi'
        continue
    except ConnectionResetError:
        reply = b''
    if reply == b'hi':
        answered += 1
    else:
        refused += 1  # the server closed the connection at once
print(len(more), 'more:', answered, 'answered,', waiting, 'waiting,', refused, 'refused')
PY
)

# flood NAME PROGRAM DEFAULT_PORT
flood() {
  local name=$1 program=$2 default=$3
  start_server "$name" "$program"
  local server=$SERVER_PID
  {
    echo "@@@ ch11-$name-flood"
    prompt "python3 - $default <<'EOF'"
    echo "$FLOOD"
    echo "EOF"
    python3 -c "$FLOOD" "$PORT"
    # every client is gone: stop the server and keep what it said
    kill -INT "$server"
    wait_for "$name.out" "Stopped: served"
    if [ "$name" = pool ]; then # the book shows only the pool's log
      echo "@@@ ch11-$name-flood-server"
      prompt "cargo run -p $program > $name.log 2>&1"
      prompt "grep -e Listening -e Refused -e Shutting -e Stopped $name.log"
      grep -e Listening -e Refused -e Shutting -e Stopped "$LOGS/$name.out"
    fi
  } | normalise "$default"
}

flood pool echo-pool 7003
flood async echo-async 7004

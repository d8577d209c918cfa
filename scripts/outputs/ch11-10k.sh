# Chapter 11: 10 000 clients at once against each rung. Every client connects,
# sends "hi" and waits for the echo; after 8 s we count who got an answer.
source "$(dirname "$0")/lib.sh"
ulimit -n 20000 # 10 000 sockets in the client, 10 000 in the server

MANY=$(cat <<'PY'
import asyncio, sys
port, count = int(sys.argv[1]), 10_000
async def client(opened):
    try:
        reader, writer = await asyncio.open_connection('127.0.0.1', port)
        opened.append(writer)  # keep it connected until the end
        writer.write(b'hi')
        return 'answered' if await reader.read(16) == b'hi' else 'refused'
    except ConnectionError:
        return 'refused'
async def main():
    opened = []
    tasks = [asyncio.create_task(client(opened)) for _ in range(count)]
    done, pending = await asyncio.wait(tasks, timeout=8)
    results = [task.result() for task in done]
    print(results.count('answered'), 'answered,', len(pending), 'no answer after 8 s,',
          results.count('refused'), 'refused')
    for task in pending:
        task.cancel()
    for writer in opened:
        writer.close()
asyncio.run(main())
PY
)

# many NAME PROGRAM DEFAULT_PORT
many() {
  local name=$1 program=$2 default=$3
  start_server "$name" "$program" --quiet 127.0.0.1:0
  local server=$SERVER_PID
  {
    echo "@@@ ch11-10k-$name"
    prompt "python3 many.py $default"
    python3 -c "$MANY" "$PORT"
  } | normalise "$default"
  kill "$server"
}

{
  echo "@@@ ch11-10k-client"
  prompt "ulimit -n 20000"
  prompt "cat many.py"
  echo "$MANY"
}
many iterative echo-iterative 7001
many threaded echo-threaded 7002
many pool echo-pool 7003
many async echo-async 7004

# The async server again, but allowed only 256 open files: accept() fails
# with EMFILE, the server logs it and keeps going; the others just wait.
ulimit -S -n 256
start_server emfile echo-async --quiet 127.0.0.1:0
ulimit -S -n 20000
{
  echo "@@@ ch11-10k-emfile"
  prompt "python3 many.py 7004"
  python3 -c "$MANY" "$PORT"
  echo "@@@ ch11-10k-emfile-server"
  prompt "ulimit -n 256"
  prompt "cargo run -p echo-async -- --quiet 2> async.err"
  prompt "grep -m1 'Too many' async.err"
  grep -m1 'Too many' "$LOGS/emfile.out"
} | normalise 7004

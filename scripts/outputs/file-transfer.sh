# One file, two transports (the file-transfer chapter): send-file and
# receive-file over TCP and over our reliable UDP, the receiver's refusals,
# and every way a transfer can fail, each from a real run.
source "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
BAD_SENDER="$ROOT/scripts/python/bad_sender.py"

# Everything happens in a fresh folder, so the paths shown are short.
WORK="$LOGS/work"
mkdir -p "$WORK/inbox"
cd "$WORK"
# 1 MiB (and 2 MiB) of fixed bytes: the same BLAKE3 on every run.
python3 -c 'import sys
n = int(sys.argv[2])
open(sys.argv[1], "wb").write(bytes((i * 7 + i // 251) % 256 for i in range(n)))' data.bin 1048576
python3 -c 'import sys
n = int(sys.argv[2])
open(sys.argv[1], "wb").write(bytes((i * 13) % 256 for i in range(n)))' big.bin 2097152

# Several receivers run one after the other, each on its own free port: every
# one of them becomes 9000 (the default), every other ephemeral port 50001,
# 50002, ... in order of appearance; times and rates change with every run.
: > "$LOGS/ports"
receiver() { start_server "$@"; echo "$PORT" >> "$LOGS/ports"; }
tidy() {
  python3 -c '
import re, sys
servers = set(open(sys.argv[1]).read().split())
seen = {}
def port(m):
    p = m.group(2)
    if p in servers:
        return m.group(1) + "9000"
    if not 32768 <= int(p) <= 65535:
        return m.group(0)
    seen.setdefault(p, str(50001 + len(seen)))
    return m.group(1) + seen[p]
for line in sys.stdin:
    line = re.sub(r"((?:\d+\.\d+\.\d+\.\d+|\]):)(\d{4,5})\b", port, line)
    line = re.sub(r"in \d+\.\d+ s \([\d.]+ MB/s\)", "in N s (N MB/s)", line)
    if "nothing heard for" in line:  # a sender killed over UDP: how far it got depends on timing
        line = re.sub(r"after \d+ of", "after N of", line)
    sys.stdout.write(line)
' "$LOGS/ports"
}

# stop: stops the receiver started last and waits for it.
stop() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
# mark NAME / since NAME: what server NAME printed after the mark.
mark() { wc -l < "$LOGS/$1.out" > "$LOGS/$1.mark"; }
since() { tail -n +"$(($(cat "$LOGS/$1.mark") + 1))" "$LOGS/$1.out"; }
# quoted NAME: NAME as one would type it in bash.
quoted() { case "$1" in *$'\n'*) printf '%q' "$1" ;; *) printf "'%s'" "$1" ;; esac; }

{
  # --- over TCP ------------------------------------------------------------
  receiver tcp receive-file --dir inbox 127.0.0.1:0
  TCP_ADDR=$ADDR TCP_PID=$SERVER_PID
  echo "@@@ file-transfer-tcp"
  prompt cargo run --release -p transfer --bin send-file -- data.bin
  run_shown "$BIN/send-file" data.bin "$ADDR"
  wait_for tcp.out "Received "
  echo
  prompt cargo run --release -p transfer --bin receive-file -- --dir inbox
  show tcp

  # --- over our reliable UDP --------------------------------------------------
  echo "@@@ file-transfer-udp"
  prompt rm inbox/data.bin
  rm inbox/data.bin
  receiver udp receive-file --over udp --dir inbox 127.0.0.1:0
  prompt cargo run --release -p transfer --bin send-file -- --over udp data.bin
  run_shown "$BIN/send-file" --over udp data.bin "$ADDR"
  wait_for udp.out "Received "
  echo
  prompt cargo run --release -p transfer --bin receive-file -- --over udp --dir inbox
  show udp
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  ADDR=$TCP_ADDR

  # --- the receiver refuses unsafe names --------------------------------------
  echo "@@@ file-transfer-names"
  mark tcp
  for name in '../x' '/etc/passwd' 'C:x' '\\server\share\x' 'CON' 'nul.txt' 'report.txt.' \
    $'a\nb' ''; do
    prompt python3 scripts/python/bad_sender.py 127.0.0.1:9000 "$(quoted "$name")" 10
    run_shown python3 "$BAD_SENDER" "$ADDR" "$name" 10
  done
  echo "@@@ file-transfer-names-log"
  prompt cargo run --release -p transfer --bin receive-file -- --dir inbox
  wait_for tcp.out "file name is empty"
  since tcp

  # --- a file that exists ------------------------------------------------------
  echo "@@@ file-transfer-exists"
  prompt cargo run --release -p transfer --bin send-file -- data.bin
  run_shown "$BIN/send-file" data.bin "$ADDR"
  prompt echo \$?
  "$BIN/send-file" data.bin "$ADDR" > /dev/null 2>&1 || echo $?

  # --- a sender killed in the middle ------------------------------------------
  echo "@@@ file-transfer-killed"
  mark tcp
  prompt python3 scripts/python/bad_sender.py 127.0.0.1:9000 big.bin 2097152 --send 1048576 --then hang '&'
  python3 "$BAD_SENDER" "$ADDR" big.bin 2097152 --send 1048576 --then hang > "$LOGS/killed.out" 2>&1 &
  victim=$!
  PIDS+=("$victim")
  wait_for killed.out "sent 1048576"
  cat "$LOGS/killed.out"
  prompt kill -9 %1
  kill -9 "$victim"
  wait "$victim" 2>/dev/null || true
  wait_for tcp.out "vanished"
  echo
  echo "(receive-file:)"
  since tcp
  prompt ls -a inbox
  ls -a inbox
  SERVER_PID=$TCP_PID
  stop

  # --- reset, and silence ------------------------------------------------------
  echo "@@@ file-transfer-vanished"
  receiver quiet receive-file --dir inbox --timeout 2 127.0.0.1:0
  prompt python3 scripts/python/bad_sender.py 127.0.0.1:9000 big.bin 2097152 --send 0 --then reset
  run_shown python3 "$BAD_SENDER" "$ADDR" big.bin 2097152 --send 0 --then reset
  wait_for quiet.out "reset"
  prompt python3 scripts/python/bad_sender.py 127.0.0.1:9000 big.bin 2097152 --send 1048576 --then hang
  python3 "$BAD_SENDER" "$ADDR" big.bin 2097152 --send 1048576 --then hang > "$LOGS/hang.out" 2>&1 &
  hanging=$!
  PIDS+=("$hanging")
  wait_for hang.out "sent 1048576"
  cat "$LOGS/hang.out"
  wait_for quiet.out "timeout"
  kill "$hanging" 2>/dev/null || true
  echo
  echo "(receive-file --timeout 2:)"
  show quiet
  stop

  # --- a sender killed over UDP: nobody closes anything for it ----------------
  echo "@@@ file-transfer-killed-udp"
  receiver udpk receive-file --over udp --dir inbox --timeout 2 127.0.0.1:0
  UDP_ADDR=$ADDR UDP_PID=$SERVER_PID
  start_server slow lossy-link --quiet --rate 1MB/s "127.0.0.1:0" "$UDP_ADDR"
  LINK_PID=$SERVER_PID
  prompt cargo run --release -p transfer --bin send-file -- --over udp big.bin 127.0.0.1:6000 '&'
  "$BIN/send-file" --over udp big.bin "$ADDR" > "$LOGS/udpk-send.out" 2>&1 &
  victim=$!
  PIDS+=("$victim")
  wait_for udpk.out "Receiving "
  sleep 0.5
  prompt kill -9 %1
  kill -9 "$victim"
  wait "$victim" 2>/dev/null || true
  wait_for udpk.out "error: client"
  echo
  echo "(receive-file --over udp --timeout 2:)"
  show udpk
  prompt ls -a inbox
  ls -a inbox
  kill "$LINK_PID" "$UDP_PID" 2>/dev/null || true
  wait "$LINK_PID" "$UDP_PID" 2>/dev/null || true

  # --- a wrong checksum -------------------------------------------------------
  echo "@@@ file-transfer-checksum"
  receiver sum receive-file --dir inbox 127.0.0.1:0
  prompt python3 scripts/python/bad_sender.py 127.0.0.1:9000 zeros.bin 1000
  run_shown python3 "$BAD_SENDER" "$ADDR" zeros.bin 1000
  wait_for sum.out "mismatch"
  echo
  echo "(receive-file:)"
  show sum
  prompt ls -a inbox
  ls -a inbox
  stop

  # --- over the size limit ----------------------------------------------------
  echo "@@@ file-transfer-size"
  receiver size receive-file --dir inbox --max-size 1M 127.0.0.1:0
  prompt cargo run --release -p transfer --bin send-file -- big.bin
  run_shown "$BIN/send-file" big.bin "$ADDR"
  wait_for size.out "max-size"
  echo
  prompt cargo run --release -p transfer --bin receive-file -- --dir inbox --max-size 1M
  show size
  stop

  # --- a full disk (Linux: a 64 KiB tmpfs in a user namespace, no root) --------
  if ! unshare -rm true 2>/dev/null; then
    echo "error: file-transfer.sh needs unshare -rm (unprivileged user namespaces) for its full-disk run;" \
      "allow them (sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu 24.04" \
      "kernel.apparmor_restrict_unprivileged_userns=0) or run as root" >&2
    exit 1
  fi
  echo "@@@ file-transfer-full"
  mkdir -p small
  (
    exec unshare -rm sh -c 'mount -t tmpfs -o size=64k none small && exec "$0" --dir small 127.0.0.1:0' \
      "$BIN/receive-file"
  ) > "$LOGS/full.out" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for full.out "Listening on "
  ADDR=$(grep -m1 '^Listening on ' "$LOGS/full.out" | cut -d' ' -f3)
  echo "${ADDR##*:}" >> "$LOGS/ports"
  prompt cargo run --release -p transfer --bin send-file -- data.bin
  run_shown "$BIN/send-file" data.bin "$ADDR"
  wait_for full.out "full"
  echo
  echo "(receive-file --dir small, a 64 KiB file system:)"
  cat "$LOGS/full.out"
  stop

  # --- nobody there -----------------------------------------------------------
  echo "@@@ file-transfer-refused"
  PORT=$(free_port tcp)
  echo "$PORT" >> "$LOGS/ports"
  prompt cargo run --release -p transfer --bin send-file -- data.bin
  run_shown "$BIN/send-file" data.bin "127.0.0.1:$PORT"
  PORT=$(free_port udp)
  echo "$PORT" >> "$LOGS/ports"
  prompt cargo run --release -p transfer --bin send-file -- --over udp data.bin
  run_shown "$BIN/send-file" --over udp data.bin "127.0.0.1:$PORT"
} > "$LOGS/raw"
tidy < "$LOGS/raw"

# Sliding windows (the chapter after stop-and-wait): go-back-N and selective
# repeat through the lossy link with the stop-and-wait chapter's settings
# (30 % loss and 5 ms each way, proxy seed 3; sender seed 7, 7300 bytes), their
# ladder diagrams (once per language), congestion control with and without,
# a peer that vanishes.
#
# Real sockets, real timing. A window's segments leave the sender within
# microseconds; the link adds a 500 KB/s bottleneck, so that they arrive one
# after another (about 3 ms apart, as on a real link) instead of all at once,
# and the receiver answers each on its own rather than several with one ACK
# depending on the scheduler. Not the last one, though: its 44 bytes (the
# 32-byte BLAKE3 digest behind the data) pass the bottleneck in 0.1 ms, and
# the receiver most often takes it and the segment before it together and
# answers both with one ACK. The counts the programs
# print come out the same either way, the drawing does not; so when the
# drawings are made, the go-back-N run is repeated (at most 8 times) until
# the receiver sent as many ACKs before the FIN as DATA reached it, the outcome
# drawn in the book (under --check the drawing is made from the committed
# log, and the run is not repeated). Times, rates and
# RTTs are replaced by N; the ladder's log is put on a canonical clock
# (canonical_times in lib.sh: a row per segment, link times to 0.5 ms) and
# kept beside the drawings (ladders in lib.sh).
# Not reproducible to the byte: the congestion runs (sliding-windows-cwnd*),
# whose counts (queue drops, retransmissions, timeouts) depend on timing by
# nature; they vary by some per cent between runs.
source "$(dirname "$0")/lib.sh"

# Ports: the receiver becomes 7000, the lossy link 6000 (the chapter's
# commands), every other ephemeral port 50001, 50002, ... in order.
: > "$LOGS/ports"
tidy() {
  python3 -c '
import re, sys
fixed = dict(line.split() for line in open(sys.argv[1]) if line.strip())
seen = {}
def port(m):
    p = m.group(2)
    if p in fixed:
        return m.group(1) + fixed[p]
    if not 32768 <= int(p) <= 65535:
        return m.group(0)
    seen.setdefault(p, str(50001 + len(seen)))
    return m.group(1) + seen[p]
for line in sys.stdin:
    if not line.startswith("<"):  # not an SVG line: a transcript
        line = re.sub(r"((?:\d+\.\d+\.\d+\.\d+|\]):)(\d{4,5})\b", port, line)
        line = re.sub(r"\bin \d+\.\d+ s\b", "in N s", line)
        line = re.sub(r"\b\d+\.\d+ MB/s", "N MB/s", line)
        line = re.sub(r"RTT \d+\.\d+ ms", "RTT N ms", line)
        line = re.sub(r"after \d+\.\d+ s", "after N s", line)
        line = re.sub(r"segment \d+ unacknowledged", "segment N unacknowledged", line)
    sys.stdout.write(line)
' "$LOGS/ports"
}

# receiver NAME [ARGS]: rudp-recv on a free port; RECV is its address.
receiver() {
  local name=$1
  shift
  start_server "$name" rudp-recv "$@" 127.0.0.1:0
  RECV=$ADDR RECV_PID=$SERVER_PID
  echo "$PORT 7000" >> "$LOGS/ports"
}
# link NAME ARGS: lossy-link on a free port in front of the receiver; LINK is its address.
link() {
  local name=$1
  shift
  start_server "$name" lossy-link --quiet --idle 3s "$@" 127.0.0.1:0 "$RECV"
  LINK=$ADDR LINK_PID=$SERVER_PID
  echo "$PORT 6000" >> "$LOGS/ports"
}
# finish: waits for the receiver and the link to stop by themselves.
finish() {
  wait "$RECV_PID" 2>/dev/null || true
  wait "$LINK_PID" 2>/dev/null || true
}

# one_ack_each LOG: whether the receiver sent as many ACKs before the FIN
# arrived as DATA copies reached it (no two DATA answered by one ACK).
one_ack_each() {
  python3 - "$1" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.startswith('{"t')]
fin = min((o for r in rows if r["dir"] == "up" and r["head"][:2] == "05" for o in r["out"]), default=float("inf"))
data = sum(len(r["out"]) for r in rows if r["dir"] == "up" and r["head"][:2] == "03")
acks = sum(1 for r in rows if r["dir"] == "down" and r["head"][:2] == "04" and r["t"] < fin)
sys.exit(0 if data == acks else 1)
PY
}

{
  # --- go-back-N and selective repeat, the stop-and-wait chapter's link -------
  for protocol in gbn sr; do
    for attempt in 1 2 3 4 5 6 7 8; do
      receiver "recv-$protocol"
      link "link-$protocol" --loss 30% --delay 5ms --rate 500KB/s --seed 3 --log "$LOGS/$protocol.jsonl"
      "$BIN/rudp-send" --protocol "$protocol" --window 4 --bytes 7300 --seed 7 "$LINK" > "$LOGS/send-$protocol.out" 2>&1 || true
      finish
      [ "$protocol" = sr ] && break
      # The counts are the same either way; only the drawing differs, and
      # under --check it is drawn from the committed log (ladders in lib.sh).
      [ "${BOOK_OUTPUTS_MODE:-write}" = check ] && break
      one_ack_each "$LOGS/$protocol.jsonl" && break
      echo "sliding-windows: go-back-N run $attempt answered two segments with one ACK; again" >&2
    done
    echo "@@@ sliding-windows-$protocol"
    prompt cargo run -p rudp --bin rudp-send -- --protocol "$protocol" --window 4 --bytes 7300 --seed 7 127.0.0.1:6000
    cat "$LOGS/send-$protocol.out"
    echo
    prompt cargo run -p rudp --bin rudp-recv
    show "recv-$protocol"
    canonical_times "$LOGS/$protocol.jsonl" "$LOGS/$protocol-canonical.jsonl" 1 0.5
    if [ "$protocol" = gbn ]; then
      ladders gbn-ladder "$LOGS/gbn-canonical.jsonl" "回退 N 步" go-back-N
    else
      ladders sr-ladder "$LOGS/sr-canonical.jsonl" 选择重传 "selective repeat"
    fi
  done

  # --- congestion control, with and without -----------------------------------
  echo "@@@~ sliding-windows-cwnd"
  for cc in "" --cc; do
    receiver "recv-cc$cc"
    link "link-cc$cc" --rate 2Mbit/s --queue 16 --delay 5ms --seed 42
    prompt cargo run --release -p rudp --bin rudp-send -- --protocol sr --window 64 ${cc:+$cc }--bytes 1048576 127.0.0.1:6000
    run_shown "$BIN/rudp-send" --protocol sr --window 64 $cc --bytes 1048576 "$LINK"
    finish
    echo "(lossy-link --rate 2Mbit/s --queue 16 --delay 5ms:)"
    grep -e '^lossy-link stopped' -e '^ *up (client' -e '^received' -e '^delivered' -e '^  queue full' "$LOGS/link-cc$cc.out"
    echo
  done
  echo "@@@~ sliding-windows-cwnd-loss"
  for cc in "" --cc; do
    receiver "recv-loss$cc"
    link "link-loss$cc" --loss up:10% --delay 5ms --seed 42
    prompt cargo run --release -p rudp --bin rudp-send -- --protocol sr --window 64 ${cc:+$cc }--bytes 1048576 127.0.0.1:6000
    run_shown "$BIN/rudp-send" --protocol sr --window 64 $cc --bytes 1048576 "$LINK"
    finish
  done

  # --- the receiver vanishes in the middle ------------------------------------
  echo "@@@ sliding-windows-vanished"
  receiver recv-gone
  link link-gone --rate 1MB/s --delay 5ms
  prompt cargo run -p rudp --bin rudp-send -- --protocol sr --bytes 10485760 127.0.0.1:6000
  "$BIN/rudp-send" --protocol sr --bytes 10485760 "$LINK" > "$LOGS/gone.out" 2>&1 &
  sender=$!
  PIDS+=("$sender")
  wait_for recv-gone.out "Receiving from"
  sleep 1
  kill "$RECV_PID"
  wait "$sender" 2>/dev/null && status=0 || status=$?
  cat "$LOGS/gone.out"
  prompt echo \$?
  echo "$status"
  kill "$LINK_PID" 2>/dev/null || true
  wait "$LINK_PID" 2>/dev/null || true
} > "$LOGS/raw"
tidy < "$LOGS/raw"

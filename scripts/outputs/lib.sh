# Sourced by scenario scripts in scripts/outputs/. Starts programs on free
# loopback ports, waits (bounded) for what they print, and stops them on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source scripts/common.sh

BIN=$(target_dir)/debug
LOGS=$(mktemp -d)
PIDS=()
cleanup() {
  # ${a[@]+…}: bash 3.2 (macOS) calls an empty array unbound under set -u.
  for pid in ${PIDS[@]+"${PIDS[@]}"}; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$LOGS"
}
trap cleanup EXIT
# set -e stops a scenario silently; say where.
trap 'echo "error: $0, line $LINENO: a command failed (exit status $?)" >&2' ERR

# start_server NAME PROGRAM [ARGS…]: starts PROGRAM (a debug build, in $BIN)
# with ARGS (default 127.0.0.1:0), stdout and stderr interleaved in $LOGS/NAME.out, and sets
# ADDR and PORT from its `Listening on` line, and SERVER_PID to its process id.
start_server() {
  local name=$1 program=$2
  shift 2
  [ $# -gt 0 ] || set -- 127.0.0.1:0
  # Emptied here, before the start, not by the background shell's redirection:
  # that one may come after wait_for has already read a `Listening on` line
  # left in the file by an earlier server of the same NAME (a repeated run).
  : > "$LOGS/$name.out"
  # Close every inherited descriptor above 2 first: how many files the server
  # has open must not depend on the shell that runs this (ch11's EMFILE count).
  (
    # /dev/fd lists this shell's descriptors on Linux (through /proc) and macOS.
    for fd in /dev/fd/*; do
      fd=${fd##*/}
      case "$fd" in *[!0-9]* | "") continue ;; esac # an unmatched glob, or not a number
      [ "$fd" -le 2 ] || eval "exec $fd>&-"
    done
    exec "$BIN/$program" "$@"
  ) >> "$LOGS/$name.out" 2>&1 &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_for "$name.out" "Listening on "
  ADDR=$(grep -m1 '^Listening on ' "$LOGS/$name.out" | cut -d' ' -f3) || true
  if [ -z "$ADDR" ]; then
    echo "error: $program printed 'Listening on' but not at the start of a line:" >&2
    cat "$LOGS/$name.out" >&2
    exit 1
  fi
  PORT=${ADDR##*:}
}

# wait_for FILE TEXT: waits until $LOGS/FILE contains TEXT (at most 15 s).
wait_for() {
  local deadline=$((SECONDS + 15))
  until grep -qF -- "$2" "$LOGS/$1" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      echo "error: no '$2' in $1 within 15 s" >&2
      cat "$LOGS/$1" >&2 || true
      exit 1
    fi
    sleep 0.05
  done
}

# show NAME: prints what server NAME has printed so far.
show() { cat "$LOGS/$1.out"; }

# free_port tcp|udp: prints a loopback port that nothing is bound to right now.
free_port() {
  python3 -c 'import socket, sys
kind = socket.SOCK_STREAM if sys.argv[1] == "tcp" else socket.SOCK_DGRAM
with socket.socket(socket.AF_INET, kind) as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])' "$1"
}

# prompt TEXT: prints a shell prompt line as the reader would type it.
prompt() { printf '$ %s\n' "$*"; }

# run_shown COMMAND…: runs a command, printing its stdout+stderr, never failing.
run_shown() { "$@" 2>&1 || true; }

# normalise DEFAULT_PORT: on stdin → stdout, the server's real port becomes
# DEFAULT_PORT and every other ephemeral port (32768 and up) becomes 50001,
# 50002, … in order of first appearance, so transcripts are the same on every run.
normalise() {
  python3 -c '
import re, sys
server, default = sys.argv[1], sys.argv[2]
seen = {server: default}
def port(m):
    p = m.group(2)
    if p != server and not 32768 <= int(p) <= 65535:
        return m.group(0)
    if p not in seen:
        seen[p] = str(50001 + sum(1 for k in seen if k != server))
    return m.group(1) + seen[p]
for line in sys.stdin:
    sys.stdout.write(re.sub(r"((?:\d+\.\d+\.\d+\.\d+|\]):)(\d{4,5})\b", port, line))
' "$PORT" "$1"
}

# canonical_times IN OUT [CLOSE_MS [ROUND_MS]]: a lossy-link log on a steadier
# clock, for drawings that look the same on every run. The gaps between
# datagrams are what the protocol decided plus scheduling noise: a gap under
# 2.5 ms becomes CLOSE_MS (default 0: the same row; a window's segments want
# 1, a row each), one under 50 ms the 5 ms the link adds, a longer one (a
# timer: an RTO, the receiver's linger) is rounded to 100 ms. The time each
# datagram spent in the link (out - t) is kept, rounded to ROUND_MS if given.
canonical_times() {
  python3 - "$1" "$2" "${3:-0}" "${4:-0}" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
close, step = float(sys.argv[3]), float(sys.argv[4])
out, previous, now = [], None, 0.0
for row in rows:
    if "summary" in row:
        continue
    if previous is not None:
        gap = row["t"] - previous
        now += close if gap < 2.5 else 5.0 if gap < 50 else round(gap / 100) * 100.0
    previous = row["t"]
    delays = [o - row["t"] for o in row["out"]]
    if step:
        delays = [round(d / step) * step for d in delays]
    row["t"] = round(now, 3)
    row["out"] = [round(now + d, 3) for d in delays]
    out.append(row)
with open(sys.argv[2], "w", encoding="utf-8") as f:
    for row in out:
        f.write(json.dumps(row, separators=(",", ":")) + "\n")
PY
}

# ladders NAME LOG ZH EN: a lossy-link log (on the canonical clock) drawn by
# `ladder` once per language, as NAME-zh.svg and NAME-en.svg titled ZH and EN,
# and the log itself beside them as NAME.jsonl.
# A drawing of a real run cannot be the same on every run: under load a timer
# may go off before an ACK instead of after it, or the receiver answer two
# segments with one ACK or advertise another window, and the seeded link then
# sees other bytes and drops other ACKs. So the log of this run goes into the
# book too, and under book-outputs.sh --check (BOOK_OUTPUTS_MODE=check) the
# drawings are made from the committed log instead: they must match it to the
# byte, and the fresh log must hold the same kinds of datagrams as the
# committed one. (A new drawing has no committed log yet; it is drawn from
# LOG and reported missing.)
ladders() {
  local name=$1 log=$2 zh=$3 en=$4
  echo "@@@ $name.jsonl"
  cat "$log"
  if [ "${BOOK_OUTPUTS_MODE:-write}" = check ] && [ -f "book/generated/$name.jsonl" ]; then
    log=book/generated/$name.jsonl
  fi
  echo "@@@ $name-zh.svg"
  "$BIN/ladder" "$log" --names 发送方,接收方 --no-legend |
    sed -e 's/>lost</>丢失</g' -e 's/ retx</ 重传</g' -e "s/ladder diagram/梯形图：$zh/g"
  echo "@@@ $name-en.svg"
  "$BIN/ladder" "$log" --names sender,receiver --no-legend |
    sed -e "s/ladder diagram/ladder diagram: $en/g"
}

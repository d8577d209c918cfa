# Chapter "Seeing UDP lose": udp-blast on plain loopback, then the tutorial's
# udp-server and udp-client through lossy-link at 30 % loss, seeded.
# What a blast loses changes with every run (the machine's speed and load), so
# its counts, times and rates become N; the proxy's decisions are seeded and
# stay as they are, only its clock readings (t) become N.
# portability: linux-only (it shows /proc/net/snmp; book transcripts are generated on Linux only)
source "$(dirname "$0")/lib.sh"

# blast_numbers: udp-blast's report with the run-dependent numbers as N, the
# columns kept aligned; the JSON line (all numbers) left out.
blast_numbers() {
  python3 -c '
import re, sys
for line in sys.stdin:
    line = line.rstrip("\n")
    if line.startswith("{"):
        continue
    # receiver 127.0.0.1:PORT: SO_RCVBUF 212992 bytes, the OS default (...)
    line = re.sub(r"SO_RCVBUF \d+ bytes, the OS default", "SO_RCVBUF N bytes, the OS default", line)
    # a small request is doubled everywhere; what a large one gets depends on
    # net.core.rmem_max (4 MiB on one machine, 208 KiB on another), and so does the cap
    m = re.match(r"(.*SO_RCVBUF )(\d+)( bytes \(asked for )(\d+)(.*)", line)
    if m and (int(m.group(4)) > 65536 or int(m.group(2)) != 2 * int(m.group(4))):
        line = m.group(1) + "N" + m.group(3) + m.group(4) + m.group(5)
    line = re.sub(r"rmem_max = \d+", "rmem_max = N", line)
    m = re.match(r"(sent|received|lost)(\s+)(\d+)(.*)", line)
    if m:
        width = len(m.group(2)) + len(m.group(3))
        rest = m.group(4)
        if m.group(1) == "sent":
            rest = re.sub(r" in [\d.]+ s \([\d.]+ datagrams/s, [\d.]+ MB/s\)", " in N s (N datagrams/s, N MB/s)", rest)
            line = m.group(1) + m.group(2) + m.group(3) + rest  # the count sent is the plan: 100000
        else:
            rest = re.sub(r"\([\d.]+ %\)", "(N %)", rest)
            rest = re.sub(r"[\d.]+ MB/s", "N MB/s", rest)
            line = m.group(1) + "N".rjust(width) + rest
    line = re.sub(r"OS drop counter: \d+ -> \d+ \(\+\d+\)", "OS drop counter: N -> N (+N)", line)
    line = re.sub(r"this socket.s drops: \d+", "this socket'"'"'s drops: N", line)
    print(line)
'
}

PORT=none # no server yet: normalise only renames ephemeral ports
{
  echo "@@@ udp-loss-blast"
  prompt cargo run --release -p udp-blast
  run_shown "$BIN/udp-blast" | blast_numbers
  echo "@@@ udp-loss-snmp"
  prompt "grep '^Udp:' /proc/net/snmp"
  grep '^Udp:' /proc/net/snmp | python3 -c '
import re, sys
for line in sys.stdin:
    print(re.sub(r"\b\d+\b", "N", line.rstrip("\n")))'
  echo "@@@ udp-loss-rcvbuf"
  prompt cargo run --release -p udp-blast -- --rcvbuf 8192
  run_shown "$BIN/udp-blast" --rcvbuf 8192 | blast_numbers
  prompt cargo run --release -p udp-blast -- --rcvbuf 4194304
  run_shown "$BIN/udp-blast" --rcvbuf 4194304 | blast_numbers
} | normalise 0

# times: the proxy's clock readings (when a datagram arrived, when it left, how
# long it ran) become N; the delays it chose ("after 1234.567 ms") are seeded
# and stay.
times() {
  python3 -c '
import re, sys
for line in sys.stdin:
    line = line.rstrip("\n")
    line = re.sub(r"^( *)(\d+\.\d+)( ms  )", lambda m: " " * (len(m.group(1)) + len(m.group(2)) - 1) + "N" + m.group(3), line)
    line = re.sub(r"\"t\":[\d.]+", "\"t\":N", line)
    line = re.sub(r"\"out\":\[[\d.,]*\]", lambda m: "\"out\":[" + ",".join("N" for _ in re.findall(r"[\d.]+", m.group(0))) + "]", line)
    line = re.sub(r"\"elapsed\":[\d.]+", "\"elapsed\":N", line)
    line = re.sub(r"after [\d.]+ s, seed", "after N s, seed", line)
    print(line)
'
}

# fates LOG: what is seeded in each line of a proxy log (no clock readings).
fates() {
  grep -o '"dir":"[a-z]*","n":[0-9]*,"size":[0-9]*,"head":"[0-9a-f]*","fate":"[a-z]*"' "$1"
}

# proxy_run NAME SEED: udp-server, lossy-link (30 % loss, duplicated requests,
# delayed answers) and ten udp-client runs through it, one after the other.
# Leaves the outputs in $LOGS/NAME-*.
proxy_run() {
  local name=$1 seed=$2
  start_server "$name-server" udp-server
  local server=$ADDR server_port=$PORT
  "$BIN/lossy-link" --loss 30% --duplicate up:20% --delay 'down:4s±4s' --seed "$seed" \
    --log "$LOGS/$name.jsonl" 127.0.0.1:0 "$server" \
    > "$LOGS/$name-proxy.out" 2> "$LOGS/$name-proxy.err" &
  PIDS+=($!)
  local proxy_pid=$!
  wait_for "$name-proxy.out" "Listening on "
  PROXY=$(grep -m1 '^Listening on ' "$LOGS/$name-proxy.out" | cut -d' ' -f3)
  PROXY_PORT=${PROXY##*:}
  for i in 1 2 3 4 5 6 7 8 9 10; do
    printf 'ping %s: ' "$i"
    run_shown "$BIN/udp-client" "$PROXY" "ping $i"
  done > "$LOGS/$name-clients.out"
  # What Ctrl-C does (SIGTERM too): stop reading, send what is still delayed, print the summary.
  kill -TERM "$proxy_pid"
  wait "$proxy_pid" || true
  kill "$SERVER_PID" 2>/dev/null || true
  PORT=$server_port
}

# to_book DEFAULT_PORT: the proxy's port becomes 6000, the server's DEFAULT_PORT.
to_book() { sed "s/127\.0\.0\.1:$PROXY_PORT\b/127.0.0.1:6000/g" | normalise "$1"; }

SEED=2852
proxy_run first "$SEED"
{
  echo "@@@ udp-loss-help"
  prompt cargo run -p lossy-link -- --help
  run_shown "$BIN/lossy-link" --help
  echo "@@@ udp-loss-clients"
  prompt 'for i in 1 2 3 4 5 6 7 8 9 10; do printf '"'"'ping %s: '"'"' $i; cargo run -q -p udp-client -- 127.0.0.1:6000 "ping $i"; done'
  cat "$LOGS/first-clients.out"
  echo "@@@ udp-loss-server"
  prompt cargo run -p udp-server
  show first-server
  echo "@@@ udp-loss-proxy"
  prompt "cargo run -p lossy-link -- --loss 30% --duplicate up:20% --delay 'down:4s±4s' --seed $SEED --log first.jsonl 127.0.0.1:6000 127.0.0.1:5678"
  cat "$LOGS/first-proxy.out" | times
  echo "@@@ udp-loss-summary"
  cat "$LOGS/first-proxy.err" | times
  echo "@@@ udp-loss-log"
  prompt "head -4 first.jsonl"
  head -4 "$LOGS/first.jsonl" | times
  prompt "tail -1 first.jsonl"
  tail -1 "$LOGS/first.jsonl" | times
} | to_book 5678

# The same again: the same seed, the same datagrams, the same fates.
proxy_run second "$SEED"
fates "$LOGS/first.jsonl" > "$LOGS/first.fates"
fates "$LOGS/second.jsonl" > "$LOGS/second.fates"
{
  echo "@@@ udp-loss-replay"
  prompt "grep -o '\"dir\":\"[a-z]*\",\"n\":[0-9]*,\"size\":[0-9]*,\"head\":\"[0-9a-f]*\",\"fate\":\"[a-z]*\"' first.jsonl > first.txt"
  prompt "grep -o '\"dir\":\"[a-z]*\",\"n\":[0-9]*,\"size\":[0-9]*,\"head\":\"[0-9a-f]*\",\"fate\":\"[a-z]*\"' second.jsonl > second.txt"
  prompt "head -3 first.txt"
  head -3 "$LOGS/first.fates"
  prompt 'diff first.txt second.txt && echo "the same fates, $(wc -l < first.txt) datagrams"'
  diff "$LOGS/first.fates" "$LOGS/second.fates" && echo "the same fates, $(wc -l < "$LOGS/first.fates" | tr -d ' ') datagrams"
} 2>&1

# What can go wrong: no server behind the proxy; options that make no sense.
port=$(free_port udp)
"$BIN/lossy-link" --idle 1s 127.0.0.1:0 "127.0.0.1:$port" > "$LOGS/lonely.out" 2> "$LOGS/lonely.err" &
PIDS+=($!)
wait_for lonely.out "Listening on "
PROXY=$(grep -m1 '^Listening on ' "$LOGS/lonely.out" | cut -d' ' -f3)
PROXY_PORT=${PROXY##*:}
PORT=$port
{
  echo "@@@ udp-loss-no-server"
  prompt cargo run -p udp-client -- 127.0.0.1:6000
  run_shown "$BIN/udp-client" "$PROXY"
  wait_for lonely.err "lossy-link stopped" # --idle 1s: it stops by itself
  echo "(lossy-link's standard error, without its table:)"
  grep -e '^Forwarding' -e '^warning' -e '^lossy-link stopped' "$LOGS/lonely.err" | times
} | to_book 5678
{
  echo "@@@ udp-loss-errors"
  for args in "--loss 150% 127.0.0.1:6000 127.0.0.1:5678" "--burst 5% 127.0.0.1:6000 127.0.0.1:5678" "--rate 0 127.0.0.1:6000 127.0.0.1:5678" "--loss 30% 127.0.0.1:6000"; do
    prompt "cargo run -p lossy-link -- $args"
    # shellcheck disable=SC2086 # the arguments are split on purpose
    run_shown "$BIN/lossy-link" $args
  done
  prompt 'echo $?'
  "$BIN/lossy-link" --loss 150% 127.0.0.1:6000 127.0.0.1:5678 > /dev/null 2>&1 || echo $?
}

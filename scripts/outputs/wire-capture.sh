# Chapter 8: the real programs on the wire, captured with tcpdump on loopback.
#   wire-tcp  tcp-server + tcp-client: handshake, data, close
#   wire-ss   `ss -tan` before and after that exchange (LISTEN, TIME-WAIT)
#   wire-rst  tcp-client sends 2000 bytes, the server reads 1024 and closes: RST
#   wire-udp  udp-server + udp-client: two datagrams, nothing else
#
# Normalised so that every run prints the same text: the packet number
# replaces the timestamp; ports become 12345/5678 (server) and 50001 (client);
# sequence and acknowledgement numbers are relative to each side's first
# sequence number (as Wireshark shows them); the window field is dropped and
# TCP options keep only their names (and the loopback MSS). Payloads come
# from the same capture file.
#
# Loopback timing decides whether the client's FIN or the server's FIN goes
# first; each capture is repeated (at most 8 runs) until a run shows the usual
# order listed in EXPECTED below, so the transcript does not flap. Every
# printed run is a real one; if no run matches, the last one is printed and
# the book check reports the difference.
#
# Capturing needs tcpdump and root on Linux. Without them (macOS, Windows,
# CI runners without root) this script cannot capture: it prints the
# committed transcripts unchanged and says so on stderr, so
# `scripts/book-outputs.sh --check` passes there. To refresh them, run
# `sudo scripts/book-outputs.sh` on Linux.
source "$(dirname "$0")/lib.sh"

FILES=(wire-tcp wire-ss wire-rst wire-udp)

reuse_committed() {
  echo "note: wire-capture.sh: $1; printing the committed book/generated/wire-*.txt unchanged" >&2
  for file in "${FILES[@]}"; do
    echo "@@@ $file"
    cat "book/generated/$file.txt"
  done
  exit 0
}

[ "$(uname -s)" = Linux ] || reuse_committed "not Linux"
command -v tcpdump > /dev/null || reuse_committed "tcpdump is not installed"
command -v ss > /dev/null || reuse_committed "ss (iproute2) is not installed"
[ "$(id -u)" = 0 ] || reuse_committed "capturing packets needs root"

# Root is not always enough (containers without CAP_NET_RAW, no lo): probe
# for at most 5 s before relying on tcpdump.
: > "$LOGS/probe.tcpdump"
tcpdump -i lo -n -w /dev/null 'udp port 9' 2> "$LOGS/probe.tcpdump" &
probe=$!
deadline=$((SECONDS + 5))
until grep -q "listening on" "$LOGS/probe.tcpdump" || ! kill -0 "$probe" 2> /dev/null ||
  [ $SECONDS -ge $deadline ]; do
  sleep 0.05
done
if ! grep -q "listening on" "$LOGS/probe.tcpdump"; then
  kill "$probe" 2> /dev/null || true
  wait "$probe" 2> /dev/null || true
  reuse_committed "tcpdump cannot capture on lo ($(head -n 1 "$LOGS/probe.tcpdump"))"
fi
kill -INT "$probe" 2> /dev/null || true
wait "$probe" 2> /dev/null || true

# capture NAME FILTER: starts tcpdump on lo writing $LOGS/NAME.pcap; sets TCPDUMP.
capture() {
  : > "$LOGS/$1.tcpdump"
  tcpdump -i lo -n -U --immediate-mode -w "$LOGS/$1.pcap" "$2" 2> "$LOGS/$1.tcpdump" &
  TCPDUMP=$!
  wait_for "$1.tcpdump" "listening on"
}

# stop_capture: stops tcpdump and waits for it to write everything.
stop_capture() {
  kill -INT "$TCPDUMP" 2> /dev/null || true
  wait "$TCPDUMP" 2> /dev/null || true
}

# render NAME SERVER_PORT SHOWN_PORT EXPECTED: prints the normalised capture;
# exits 3 if the packet pattern differs from EXPECTED, 4 if fewer packets
# than EXPECTED have arrived yet.
render() {
  tcpdump -r "$LOGS/$1.pcap" -n -S -tt 2> /dev/null | python3 -c '
import re, struct, sys
pcap, server, shown, expected = sys.argv[1:5]

# Payloads straight from the pcap file (Ethernet/IPv4/TCP or UDP on lo).
payloads = []
data = open(pcap, "rb").read()
offset = 24
while offset + 16 <= len(data):
    caplen = struct.unpack_from("<I", data, offset + 8)[0]
    frame = data[offset + 16 : offset + 16 + caplen]
    offset += 16 + caplen
    ip = frame[14:]
    start = (ip[0] & 15) * 4
    total = struct.unpack_from(">H", ip, 2)[0]
    if ip[9] == 6:
        start += (ip[start + 12] >> 4) * 4
    else:
        start += 8
    payloads.append(ip[start:total])

lines = [line.rstrip("\n") for line in sys.stdin if " IP " in line]
first_seq = {}
pattern, out = [], []
for number, line in enumerate(lines, 1):
    m = re.match(r"\S+ IP (\S+)\.(\d+) > (\S+)\.(\d+): (.*)$", line)
    src_ip, src, dst_ip, dst, rest = m.groups()
    client = dst if src == server else src
    side = "S" if src == server else "C"
    names = {server: shown, client: "50001"}
    flags = re.match(r"Flags \[([^\]]*)\]", rest)
    pattern.append(side + (flags.group(1) if flags else "U"))
    # relative sequence numbers, per direction (Wireshark style)
    def rel(direction, value):
        value = int(value)
        first_seq.setdefault(direction, value)
        return str((value - first_seq[direction]) % 2**32)
    if flags and "S" in flags.group(1):
        first_seq[side] = int(re.search(r"seq (\d+)", rest).group(1))
    other = "C" if side == "S" else "S"
    def seq(s):
        end = ":" + rel(side, s.group(2)) if s.group(2) else ""
        return "seq " + rel(side, s.group(1)) + end
    rest = re.sub(r"seq (\d+)(?::(\d+))?", seq, rest)
    rest = re.sub(r"ack (\d+)", lambda s: "ack " + rel(other, s.group(1)), rest)
    rest = re.sub(r", win \d+", "", rest)
    rest = re.sub(r"TS val \d+ ecr \d+", "TS", rest)
    rest = re.sub(r"wscale \d+", "wscale", rest)
    out.append(f"{number:>2}  IP {src_ip}.{names[src]} > {dst_ip}.{names[dst]}: {rest}")
    payload = payloads[number - 1] if number <= len(payloads) else b""
    if payload:
        text = payload.decode("utf-8", "replace")
        if len(text) > 24:
            text = text[:16] + "…"
        out.append(f"      payload: \"{text}\"")

expected = expected.split()
print("\n".join(out))
if len(pattern) < len(expected):
    sys.exit(4)
if pattern != expected:
    print("pattern " + " ".join(pattern), file=sys.stderr)
    sys.exit(3)
' "$LOGS/$1.pcap" "$2" "$3" "$4"
}

# ss_snapshot PORT SHOWN: the TCP sockets on PORT, as `ss -tan` shows them.
ss_snapshot() {
  ss -tan "( sport = :$1 or dport = :$1 )" | sed 's/ *$//' |
    python3 -c '
import re, sys
port, shown = sys.argv[1], sys.argv[2]
for line in sys.stdin:
    line = re.sub(r":" + port + r"\b", ":" + shown, line)
    line = re.sub(r":(3[2-9]\d{3}|[4-6]\d{4})\b", ":50001", line)
    sys.stdout.write(line)
' "$1" "$2"
}

# tcp_run NAME EXPECTED CLIENT_ARGS…: one capture of tcp-server + tcp-client;
# returns 0 when the packets match EXPECTED. Leaves the transcript in
# $LOGS/NAME.txt and the `ss` snapshots in $LOGS/NAME.ss.
tcp_run() {
  local name=$1 expected=$2 server_pid
  shift 2
  start_server "$name-server" tcp-server
  server_pid=$SERVER_PID
  {
    prompt "ss -tan '( sport = :12345 or dport = :12345 )'"
    ss_snapshot "$PORT" 12345
  } > "$LOGS/$name.ss"
  capture "$name" "tcp port $PORT"
  "$BIN/tcp-client" "$ADDR" "$@" > "$LOGS/$name.client" 2>&1 || true
  local deadline=$((SECONDS + 10)) status=4
  while [ $status = 4 ] && [ $SECONDS -lt $deadline ]; do
    status=0
    render "$name" "$PORT" 12345 "$expected" > /dev/null 2>&1 || status=$?
    [ $status = 4 ] && sleep 0.05
  done
  stop_capture
  {
    prompt cargo run -p tcp-client
    prompt "ss -tan '( sport = :12345 or dport = :12345 )'"
    ss_snapshot "$PORT" 12345
  } >> "$LOGS/$name.ss"
  kill "$server_pid" 2> /dev/null || true
  status=0
  render "$name" "$PORT" 12345 "$expected" > "$LOGS/$name.txt" 2> /dev/null || status=$?
  return $status
}

# The usual packet patterns: C = client, S = server, then tcpdump's flags.
TCP_EXPECTED="CS SS. C. CP. S. SP. C. SF. CF. S."
RST_EXPECTED="CS SS. C. CP. S. SP. C. SR."

for attempt in 1 2 3 4 5 6 7 8; do
  tcp_run tcp "$TCP_EXPECTED" && break
done
LONG=$(python3 -c 'print("x" * 2000)')
for attempt in 1 2 3 4 5 6 7 8; do
  tcp_run rst "$RST_EXPECTED" "$LONG" && break
done

start_server udp-server udp-server
capture udp "udp port $PORT"
"$BIN/udp-client" "$ADDR" > "$LOGS/udp.client" 2>&1 || true
deadline=$((SECONDS + 10))
until render udp "$PORT" 5678 "CU SU" > "$LOGS/udp.txt" 2> /dev/null || [ $SECONDS -ge $deadline ]; do
  sleep 0.05
done
stop_capture
render udp "$PORT" 5678 "CU SU" > "$LOGS/udp.txt" 2> /dev/null || true

echo "@@@ wire-tcp"
prompt "sudo tcpdump -i lo -n -S -tt 'tcp port 12345'"
cat "$LOGS/tcp.txt"
echo "@@@ wire-ss"
cat "$LOGS/tcp.ss"
echo "@@@ wire-rst"
prompt "sudo tcpdump -i lo -n -S -tt 'tcp port 12345'"
cat "$LOGS/rst.txt"
echo "@@@ wire-udp"
prompt "sudo tcpdump -i lo -n -S -tt 'udp port 5678'"
cat "$LOGS/udp.txt"

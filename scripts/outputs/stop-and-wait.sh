# Chapter "Stop-and-wait": rudp-send → lossy-link (30 % loss each way, 5 ms
# each way, seeded) → rudp-recv, the transcripts of both ends, and the proxy's
# log drawn by `ladder`, once per language.
# The proxy's decisions, the sender's ISN and its data all come from seeds, so
# the same segments are lost in every run; only clock readings change (times,
# rates, the measured RTT), and those become N. The ladder needs times, so the
# log is put on a canonical clock first (canonical_times in lib.sh), and kept
# beside the drawings (ladders in lib.sh).
source "$(dirname "$0")/lib.sh"

# numbers: rudp-send's and rudp-recv's clock readings become N.
numbers() {
  sed -E \
    -e 's/ in [0-9.]+ s: [0-9.]+ MB\/s/ in N s: N MB\/s/' \
    -e 's/ in [0-9.]+ s$/ in N s/' \
    -e 's/RTT [0-9.]+ ms/RTT N ms/'
}

start_server receiver rudp-recv
RECEIVER_PORT=$PORT
"$BIN/lossy-link" --quiet --loss 30% --delay 5ms --seed 3 --log "$LOGS/sw.jsonl" 127.0.0.1:0 "$ADDR" \
  > "$LOGS/proxy.out" 2> "$LOGS/proxy.err" &
PIDS+=($!)
proxy=$!
wait_for proxy.out "Listening on "
PROXY=$(grep -m1 '^Listening on ' "$LOGS/proxy.out" | cut -d' ' -f3)
PROXY_PORT=${PROXY##*:}
run_shown "$BIN/rudp-send" --protocol sw --bytes 7300 --seed 7 "$PROXY" > "$LOGS/send.out"
wait_for receiver.out "verified"
# The receiver lingers (2 s) after acknowledging the FIN, repeating its ACK.
wait "$SERVER_PID" || true
kill -TERM "$proxy"
wait "$proxy" || true
canonical_times "$LOGS/sw.jsonl" "$LOGS/sw-canonical.jsonl"

to_book() { sed "s/127\.0\.0\.1:$PROXY_PORT\b/127.0.0.1:6000/g" | normalise 7000; }
PORT=$RECEIVER_PORT
{
  echo "@@@ sw-send"
  prompt cargo run -p rudp --bin rudp-send -- --protocol sw --bytes 7300 --seed 7 127.0.0.1:6000
  numbers < "$LOGS/send.out"
  echo "@@@ sw-recv"
  prompt cargo run -p rudp --bin rudp-recv
  show receiver | numbers
  ladders sw-ladder "$LOGS/sw-canonical.jsonl" 停止等待协议 stop-and-wait
} | to_book

# What can go wrong: nothing listening where the sender sends.
port=$(free_port udp)
PORT=$port
{
  echo "@@@ sw-no-receiver"
  prompt cargo run -p rudp --bin rudp-send -- --protocol sw 127.0.0.1:7000
  run_shown "$BIN/rudp-send" --protocol sw "127.0.0.1:$port"
  prompt 'echo $?'
  "$BIN/rudp-send" --protocol sw "127.0.0.1:$port" > /dev/null 2>&1 || echo $?
} | normalise 7000

# Chapter 2/4 (Linux): the listening socket as ss shows it (Send-Q of a LISTEN
# socket is its backlog), and the TIME-WAIT the server keeps after closing first.
# The std client reads until the server has closed, so the server always closes
# first (with tcp-client both sides close at almost the same moment, and either
# one may end up in TIME-WAIT).
source "$(dirname "$0")/lib.sh"
start_server server tcp-server
# waits (bounded) until ss lists a line containing TEXT
wait_for_ss() {
  local deadline=$((SECONDS + 15))
  until ss -tan "sport = :$PORT" | grep -qF -- "$1"; do
    if [ $SECONDS -ge $deadline ]; then echo "error: ss shows no $1" >&2; ss -tan "sport = :$PORT or dport = :$PORT" >&2; exit 1; fi
    sleep 0.05
  done
}
{
  echo "@@@ ch4-ss-listen"
  prompt "ss -tln 'sport = :12345'"
  ss -tln "sport = :$PORT" | sed 's/ *$//'
  echo "@@@ ch4-ss-time-wait"
  prompt cargo run -p tcp-client --example std-tcp-client
  run_shown "$BIN/examples/std-tcp-client" "$ADDR"
  wait_for_ss TIME-WAIT
  prompt "ss -tan 'sport = :12345'"
  ss -tan "sport = :$PORT" | sed 's/ *$//'
} | normalise 12345

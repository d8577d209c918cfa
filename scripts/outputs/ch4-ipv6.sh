# Chapter 3/4: the same programs over IPv6 loopback, and why an IPv4 client
# cannot reach a server bound to [::1].
source "$(dirname "$0")/lib.sh"
start_server server tcp-server '[::1]:0'
{
  echo "@@@ ch4-ipv6-client"
  prompt "cargo run -p tcp-client -- '[::1]:12345'"
  run_shown "$BIN/tcp-client" "$ADDR"
  prompt cargo run -p tcp-client -- 127.0.0.1:12345
  run_shown "$BIN/tcp-client" "127.0.0.1:$PORT"
  wait_for server.out "Received: Hello, Server!"
  echo "@@@ ch4-ipv6-server"
  prompt "cargo run -p tcp-server -- '[::1]:12345'"
  show server
} | normalise 12345

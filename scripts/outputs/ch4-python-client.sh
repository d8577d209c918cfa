# Chapter 4: our Python client talks to the Rust server; the bytes on the wire are the same.
source "$(dirname "$0")/lib.sh"
start_server server tcp-server
{
  prompt python3 scripts/python/tcp_client.py
  run_shown python3 scripts/python/tcp_client.py "$ADDR"
  wait_for server.out "Received: Hello, Server!"
} | normalise 12345

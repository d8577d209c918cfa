#!/usr/bin/env bash
# See the tutorial's four programs talk: each server starts on a free loopback
# port, its client talks to it, and both sides' output is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "building the four programs (cargo build)…"
cargo build --quiet -p tcp-server -p tcp-client -p udp-server -p udp-client
source scripts/outputs/lib.sh

start_server tcp tcp-server
echo
echo "── TCP ─────────────────────────────────────────────"
echo "client (cargo run -p tcp-client -- $ADDR):"
"$BIN/tcp-client" "$ADDR" | sed 's/^/    /'
wait_for tcp.out "Received:"
echo "server (cargo run -p tcp-server -- 127.0.0.1:0):"
show tcp | sed 's/^/    /'

start_server udp udp-server
echo
echo "── UDP ─────────────────────────────────────────────"
echo "client (cargo run -p udp-client -- $ADDR):"
"$BIN/udp-client" "$ADDR" | sed 's/^/    /'
wait_for udp.out "Received from"
echo "server (cargo run -p udp-server -- 127.0.0.1:0):"
show udp | sed 's/^/    /'
echo
echo "Both servers stopped. Run them yourself in two terminals: see README.md."

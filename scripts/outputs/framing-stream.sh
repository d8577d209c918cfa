# Chapter 12: TCP keeps no message boundaries (stream-demo) and what a frame looks like (frame-bytes).
source "$(dirname "$0")/lib.sh"
{
  echo "@@@ framing-stream-demo"
  prompt cargo run -p framing --bin stream-demo
  run_shown "$BIN/stream-demo"
  echo "@@@ framing-bytes"
  prompt cargo run -p framing --example frame-bytes
  run_shown "$BIN/examples/frame-bytes"
}

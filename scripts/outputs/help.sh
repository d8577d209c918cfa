# What --help prints for each program.
source "$(dirname "$0")/lib.sh"
for program in tcp-server tcp-client udp-server udp-client; do
  prompt cargo run -p "$program" -- --help
  run_shown "$BIN/$program" --help
done

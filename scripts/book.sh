#!/usr/bin/env bash
# The book: two mdBooks (book/zh first, book/en its twin) + a language-choice
# landing page + one Pagefind search index per book, all in target/book.
#
#   scripts/book.sh build         build both books, the landing page and the search indexes
#   scripts/book.sh serve [zh|en] live preview of one book on http://127.0.0.1:3000
#                                 (rebuilds on changes in the book, crates/ and book/generated/)
#   scripts/book.sh check         book-outputs --check (if present), build, truth checks
#                                 and their self-test, browser test; scripts/test.sh runs this
#
# Environment: BOOK_BASE  URL path the site is served under (default "/";
#                         GitHub Pages project sites use "/<repo>/")
#              PORT       port for serve (default 3000)
# Installs mdBook / Pagefind / Chromium through scripts/tools.sh when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

SITE=target/book
LOGS=target/book-logs
BOOK_BASE=${BOOK_BASE:-/}
LANGS=(zh en)

step() { printf '\n--> %s\n' "$*"; }
die() { echo "error: $*" >&2; exit 1; }

build() {
  local started=$SECONDS
  step "tools: mdbook 0.5.4 and pagefind 1.5.2 (installed only when missing)"
  scripts/tools.sh mdbook pagefind

  mkdir -p "$LOGS"
  for lang in "${LANGS[@]}"; do
    step "mdbook build book/$lang -> $SITE/$lang (log: $LOGS/$lang.log)"
    # mdBook exits 0 on a missing include; book-check.py reads this log.
    if ! MDBOOK_OUTPUT__HTML__SITE_URL="${BOOK_BASE}${lang}/" mdbook build "book/$lang" >"$LOGS/$lang.log" 2>&1; then
      cat "$LOGS/$lang.log" >&2
      die "mdbook build book/$lang failed"
    fi
    grep -E 'ERROR|WARN' "$LOGS/$lang.log" || true
  done

  step "landing page: book/landing -> $SITE/index.html"
  cp book/landing/index.html "$SITE/index.html"

  step "search: one Pagefind index per book (chapter pages only)"
  "$(venv_python .venv)" scripts/book-index.py "$SITE/zh:book/zh/src" "$SITE/en:book/en/src"

  echo "built $SITE in $((SECONDS - started)) s"
}

check() {
  local started=$SECONDS
  if [ -x scripts/book-outputs.sh ]; then
    step "book outputs: rerun every scenario, fail on any difference (scripts/book-outputs.sh --check)"
    scripts/book-outputs.sh --check
  fi

  build

  step "truth checks: mdBook log, includes, code blocks, links, sources, zh/en parity (scripts/book-check.py)"
  "$(find_python)" scripts/book-check.py --site "$SITE" --logs "$LOGS" --base "$BOOK_BASE"

  step "the checks themselves: plant each fault in a tiny book, each must be caught (scripts/book-check-selftest.py)"
  "$(find_python)" scripts/book-check-selftest.py

  step "browser test: search and language switcher in headless Chromium (scripts/browser-test.mjs)"
  scripts/tools.sh node
  CHROMIUM_PATH=$(find_browser)
  export CHROMIUM_PATH
  node scripts/browser-test.mjs "$SITE"

  echo
  echo "book check passed in $((SECONDS - started)) s"
}

serve() {
  local lang=${1:-zh}
  case "$lang" in zh | en) ;; *) die "serve takes zh or en, not '$lang'" ;; esac
  scripts/tools.sh mdbook
  step "mdbook serve book/$lang on http://127.0.0.1:${PORT:-3000}/ (Ctrl-C stops)"
  echo "    preview of one book: the language link and search work after 'scripts/book.sh build'"
  # A separate output folder, so the preview never clobbers target/book.
  MDBOOK_OUTPUT__HTML__SITE_URL=/ exec mdbook serve "book/$lang" \
    --hostname 127.0.0.1 --port "${PORT:-3000}" --dest-dir "target/book-serve/$lang"
}

case "${1:-}" in
  build) build ;;
  serve) serve "${2:-zh}" ;;
  check) check ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac

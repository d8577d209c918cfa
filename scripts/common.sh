# Sourced by the scripts in scripts/: answers that must be the same on Linux,
# macOS (bash 3.2, no /proc) and Windows (Git Bash). No GNU-only tools here.

# target_dir: prints the folder cargo builds into. CARGO_TARGET_DIR and
# build.target-dir move it away from ./target, so ask cargo, never assume.
target_dir() {
  if [ -z "${SOCKETS_TARGET_DIR:-}" ]; then
    SOCKETS_TARGET_DIR=$(cargo metadata --format-version 1 --no-deps --offline 2>/dev/null |
      sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    [ -n "$SOCKETS_TARGET_DIR" ] || { echo "error: cargo metadata did not name the target directory" >&2; return 1; }
    # JSON escapes a Windows path's backslashes; bash on Windows takes forward slashes.
    SOCKETS_TARGET_DIR=$(printf '%s' "$SOCKETS_TARGET_DIR" | sed 's/\\\\/\//g')
    export SOCKETS_TARGET_DIR
  fi
  printf '%s\n' "$SOCKETS_TARGET_DIR"
}

# find_python: prints a command that really runs Python 3. `command -v python3`
# is not enough: on Windows it can find the Microsoft Store's stand-in, which
# only prints an advertisement. So each candidate is run once.
find_python() {
  local candidate
  for candidate in python3 python; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[0] != 3)' >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# venv_python DIR: the interpreter of the virtual environment DIR
# (bin/python on Linux and macOS, Scripts/python.exe on Windows).
venv_python() {
  if [ -x "$1/Scripts/python.exe" ]; then
    printf '%s\n' "$1/Scripts/python.exe"
  else
    printf '%s\n' "$1/bin/python"
  fi
}

# A Chromium the browser test can drive: CHROMIUM_PATH, else the OS package,
# else Google Chrome (GitHub's runners ship it) or Edge where they usually live
# on macOS and Windows, else install chromium.
find_browser() {
  local candidate
  for candidate in "${CHROMIUM_PATH:-}" chromium chromium-browser google-chrome google-chrome-stable \
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" \
    "/Applications/Chromium.app/Contents/MacOS/Chromium" \
    "/c/Program Files/Google/Chrome/Application/chrome.exe" \
    "/c/Program Files (x86)/Microsoft/Edge/Application/msedge.exe"; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1; then
      command -v "$candidate"
      return
    fi
  done
  scripts/tools.sh chromium >&2
  command -v chromium
}

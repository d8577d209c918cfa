#!/usr/bin/env bash
# The Windows lane: cross-builds the workspace for x86_64-pc-windows-gnu and
# runs its tests as Windows programs under Wine, on a Linux machine, as root.
#
#   scripts/windows.sh                  cargo test --workspace, for Windows, under Wine
#   scripts/windows.sh -p tcp-server    extra arguments go to `cargo test` (then no
#                                       --workspace is added), e.g. one crate again
#   scripts/windows.sh -p udp-client -- oversized
#
# How: a Debian trixie chroot (Wine 10, a recent rustc with the source of its
# std, the MinGW-w64 linker), made once with debootstrap from the mirror in
# this machine's own apt sources. std is built from source (-Zbuild-std), as no
# Debian suite ships a Windows std for a recent compiler. Everything heavy is
# cached outside the repository, so a fresh clone anywhere reuses it:
#
#   $SOCKETS_WINE_CACHE (default /var/cache/sockets-course/wine)
#     rootfs/          the chroot; rootfs.stamp marks it complete
#     home/            mounted on /cache inside: cargo/ (CARGO_HOME: config, registry),
#                      target/ (CARGO_TARGET_DIR), wineprefix/ (+ wineprefix.stamp)
#     last-test.log    the full output of the last test run
#
# SOCKETS_WINE=auto (default)  skip, with one line saying why, where the lane cannot run
#                              (not Linux, not root, no apt/debootstrap, no mirror...)
# SOCKETS_WINE=required        fail instead of skipping; CI=true implies it
# SOCKETS_WINE=off             skip on purpose
# SOCKETS_WINE_BUILD_TIMEOUT   seconds the build may take (default 2400), and
# SOCKETS_WINE_TEST_TIMEOUT    the test run (default 1200); then they are stopped
#
# Tests see SOCKETS_UNDER_WINE=1 (testkit::under_wine), so a test that depends
# on what Wine does not reproduce can skip visibly. Tests skip by printing a
# line starting with SKIPPED; the summary counts them.
#
# portability: linux-only (chroot, mount, debootstrap; elsewhere it skips, or fails when required)
# Written for bash 3.2 too (it parses and skips on macOS): no associative
# arrays, no mapfile, no ${var,,}.
set -euo pipefail

started=$SECONDS
say() { printf 'windows.sh: %s\n' "$*"; }

# --- May this lane run here, and must it? --------------------------------

mode=${SOCKETS_WINE:-auto}
case "$mode" in
  auto | required | off) ;;
  *) echo "windows.sh: SOCKETS_WINE must be auto, required or off, not '$mode'" >&2; exit 2 ;;
esac
if [ "$mode" = off ]; then
  echo "SKIPPED Windows lane: SOCKETS_WINE=off"
  exit 0
fi
why_required=""
if [ "$mode" = required ]; then
  why_required="SOCKETS_WINE=required"
elif [ "${CI:-}" = true ]; then
  why_required="CI=true"
fi

# cannot_run REASON: the lane cannot run on this machine. A skip for a
# developer (SOCKETS_WINE=auto), a failure in CI or when required.
cannot_run() {
  if [ -n "$why_required" ]; then
    echo "windows.sh: FAILED: the Windows lane cannot run: $* (it is required: $why_required)" >&2
    exit 1
  fi
  echo "SKIPPED Windows lane: $* (SOCKETS_WINE=required makes this an error)"
  exit 0
}

[ "$(uname -s)" = Linux ] || cannot_run "needs Linux (this is $(uname -s))"
[ "$(id -u)" = 0 ] || cannot_run "needs root (chroot, mount, debootstrap)"
for tool in chroot mount umount mountpoint flock; do
  command -v "$tool" >/dev/null 2>&1 || cannot_run "no '$tool' command"
done

repo=$(cd "$(dirname "$0")/.." && pwd -P)
cache=${SOCKETS_WINE_CACHE:-/var/cache/sockets-course/wine}
case "$cache" in
  /*) ;;
  *) echo "windows.sh: SOCKETS_WINE_CACHE must be an absolute path, not '$cache'" >&2; exit 2 ;;
esac
case "$cache/" in
  "$repo"/*) echo "windows.sh: SOCKETS_WINE_CACHE must be outside the repository" >&2; exit 2 ;;
esac
rootfs=$cache/rootfs
home=$cache/home
log=$cache/last-test.log

# What the chroot is made of. A change here makes the next run rebuild it.
suite=trixie
packages="ca-certificates rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 wine wine64"
recipe="recipe=1 suite=$suite variant=minbase packages=$packages"
target=x86_64-pc-windows-gnu

# Inside the chroot: the mount points, in mounting order.
mounts="/proc /sys /dev /dev/pts /dev/shm /src /cache"

mkdir -p "$cache" "$home"
exec 9>"$cache/lock"
if ! flock -n 9; then
  say "another Windows lane holds $cache/lock; waiting for it"
  flock 9
fi

# --- Mounts, and cleaning up after ourselves (and after a crashed run) ----

unmount_all() {
  local list="" point tries
  for point in $mounts; do list="$point $list"; done # reverse order
  for point in $list; do
    tries=0
    while mountpoint -q "$rootfs$point" 2>/dev/null; do
      tries=$((tries + 1))
      if [ "$tries" -gt 5 ]; then
        umount -l "$rootfs$point" 2>/dev/null || true
        break
      fi
      umount "$rootfs$point" 2>/dev/null || sleep 1
    done
  done
}

assert_unmounted() {
  local point
  for point in $mounts; do
    if mountpoint -q "$rootfs$point" 2>/dev/null; then
      echo "windows.sh: $rootfs$point is still mounted; not touching $rootfs" >&2
      exit 1
    fi
  done
}

bind() { # bind SOURCE POINT [ro]
  mount --bind "$1" "$rootfs$2"
  mount --make-private "$rootfs$2"
  if [ "${3:-}" = ro ]; then
    mount -o remount,bind,ro "$rootfs$2"
  fi
}

mounted=0
mount_all() {
  unmount_all # leftovers of a run that was killed
  local point
  for point in $mounts; do mkdir -p "$rootfs$point"; done
  mounted=1
  mount -t proc proc "$rootfs/proc" ||
    cannot_run "cannot mount in $rootfs (a container without CAP_SYS_ADMIN?)"
  bind /sys /sys
  bind /dev /dev
  bind /dev/pts /dev/pts
  mount -t tmpfs -o mode=1777,nosuid,nodev shm "$rootfs/dev/shm"
  bind "$repo" /src ro
  bind "$home" /cache
}

# The environment inside: nothing leaks in from the host but what is listed.
chroot_env=(
  HOME=/root
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  LANG=C.UTF-8
  TERM="${TERM:-dumb}"
  DEBIAN_FRONTEND=noninteractive
  RUSTC_BOOTSTRAP=1
  CARGO_HOME=/cache/cargo
  CARGO_TARGET_DIR=/cache/target
  CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-auto}"
  WINEPREFIX=/cache/wineprefix
  WINEDEBUG=-all
  WINEDLLOVERRIDES="mscoree,mshtml="
  XDG_RUNTIME_DIR=/run/xdg-runtime
  SOCKETS_UNDER_WINE=1
)
if [ -n "${CI+set}" ]; then
  chroot_env+=("CI=$CI")
fi

# in_chroot COMMAND...: runs COMMAND in /src inside the chroot, without our lock.
in_chroot() {
  chroot "$rootfs" /usr/bin/env -i "${chroot_env[@]}" /bin/sh -c 'cd /src 2>/dev/null || cd /; exec "$@"' sh "$@" 9>&-
}

# run_job SECONDS LOG COMMAND...: runs COMMAND in the chroot as a job of its
# own (one process group: cargo, wine and the test programs), its output shown
# and kept in LOG. Ctrl-C, TERM or the time limit stop that whole group at once
# (with a plain foreground command bash would wait for it before any trap ran).
job=""
watchdog=""
parent=$$
run_job() {
  local limit=$1 out=$2 status=0
  shift 2
  rm -f "$cache/timed-out"
  set -m
  # (9>&-: neither may keep our lock should this script be killed.)
  (in_chroot "$@" </dev/null 2>&1 | tee "$out"; exit "${PIPESTATUS[0]}") 9>&- &
  job=$!
  # The watchdog stops the job at the time limit, or as soon as this script is
  # gone (kill -9), and then also cleans up, unless a new run took the lock.
  (
    deadline=$((SECONDS + limit))
    while [ "$SECONDS" -lt "$deadline" ]; do
      sleep 2
      if ! kill -0 "$parent" 2>/dev/null; then
        stop_group "$job"
        exec 9>"$cache/lock"
        flock -n 9 || exit 0
        in_chroot wineserver -k || true
        unmount_all
        exit 0
      fi
    done
    : >"$cache/timed-out"
    stop_group "$job"
  ) >/dev/null 2>&1 9>&- &
  watchdog=$!
  set +m
  wait "$job" || status=$?
  job=""
  stop_group "$watchdog"
  watchdog=""
  if [ -f "$cache/timed-out" ]; then
    echo "windows.sh: FAILED: '$*' did not finish within $limit s and was stopped" >&2
    rm -f "$cache/timed-out"
  fi
  return "$status"
}

# stop_group PGID: TERM to a process group we started, KILL after 10 s.
stop_group() {
  local waited=0
  kill -TERM -- "-$1" 2>/dev/null || return 0
  while kill -0 -- "-$1" 2>/dev/null && [ "$waited" -lt 10 ]; do
    sleep 1
    waited=$((waited + 1))
  done
  kill -KILL -- "-$1" 2>/dev/null || true
}

wine_running=0
on_exit() {
  local status=$?
  trap - EXIT INT TERM
  if [ -n "$job" ]; then
    stop_group "$job"
    wait "$job" 2>/dev/null || true
  fi
  if [ -n "$watchdog" ]; then
    stop_group "$watchdog"
  fi
  if [ "$wine_running" = 1 ]; then
    in_chroot wineserver -k >/dev/null 2>&1 || true
    in_chroot wineserver -w >/dev/null 2>&1 || true
  fi
  if [ "$mounted" = 1 ]; then
    unmount_all
  fi
  exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- The mirror, from this machine's own apt sources --------------------

# Prints "main URI" and "security URI" lines for the first Debian deb sources found.
read_mirrors() {
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    awk '
      function flush(  n, i, s, u) {
        if (uris != "" && enabled != "no" && types ~ /(^|[ \t])deb([ \t]|$)/) {
          split(uris, u, /[ \t]+/)
          n = split(suites, s, /[ \t]+/)
          for (i = 1; i <= n; i++) {
            if (s[i] == "") continue
            if (s[i] ~ /-security$/ || s[i] ~ /\/updates$/) { if (sec == "") sec = u[1] }
            else if (s[i] !~ /-(updates|backports|proposed-updates)$/) { if (main == "") main = u[1] }
          }
        }
        uris = ""; suites = ""; types = ""; enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      { key = tolower($1); value = $0; sub(/^[^:]*:[ \t]*/, "", value) }
      key == "uris:" { uris = value }
      key == "suites:" { suites = value }
      key == "types:" { types = value }
      key == "enabled:" { enabled = tolower(value) }
      END { flush(); if (main != "") print "main " main; if (sec != "") print "security " sec }
    ' /etc/apt/sources.list.d/debian.sources
  elif [ -f /etc/apt/sources.list ]; then
    awk '
      $1 == "deb" {
        i = 2
        if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
        uri = $i; s = $(i + 1)
        if (s ~ /-security$/ || s ~ /\/updates$/) { if (sec == "") sec = uri }
        else if (s !~ /-(updates|backports|proposed-updates)$/) { if (main == "") main = uri }
      }
      END { if (main != "") print "main " main; if (sec != "") print "security " sec }
    ' /etc/apt/sources.list
  fi
}

# --- The chroot, made once -----------------------------------------------

rootfs_ok() {
  [ -f "$cache/rootfs.stamp" ] &&
    [ "$(sed -n 1p "$cache/rootfs.stamp")" = "$recipe" ] &&
    [ -x "$rootfs/bin/sh" ] &&
    chroot "$rootfs" /bin/sh -c 'test -x /usr/bin/cargo && test -x /usr/bin/wine &&
      test -x /usr/bin/x86_64-w64-mingw32-gcc && test -d /usr/lib/rustlib/src/rust/library/std' \
      </dev/null >/dev/null 2>&1 9>&-
  # (Checked inside: /usr/bin/wine is an absolute link into /etc/alternatives.)
}

make_rootfs() {
  local mirrors main security
  mirrors=$(read_mirrors || true)
  main=$(printf '%s\n' "$mirrors" | awk '$1 == "main" { print $2 }')
  security=$(printf '%s\n' "$mirrors" | awk '$1 == "security" { print $2 }')
  case "$main" in
    http://* | https://*) ;;
    *) cannot_run "no http(s) Debian mirror in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list" ;;
  esac
  if ! command -v debootstrap >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || cannot_run "no debootstrap and no apt-get to install it"
    say "installing debootstrap on the host"
    apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 &&
        apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1; } ||
      cannot_run "apt-get cannot install debootstrap"
  fi

  say "making the $suite chroot in $rootfs (once; a few minutes)"
  rm -f "$cache/rootfs.stamp" "$home/wineprefix.stamp"
  unmount_all
  assert_unmounted
  rm -rf --one-file-system "$rootfs"
  mkdir -p "$rootfs"
  debootstrap --variant=minbase "$suite" "$rootfs" "$main" >"$cache/debootstrap.log" 2>&1 ||
    { tail -n 20 "$cache/debootstrap.log" >&2; cannot_run "debootstrap $suite failed (log: $cache/debootstrap.log)"; }

  # Sources as on the host, for trixie; no services may start inside.
  : >"$rootfs/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$main" "$suite" "$suite"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [ -n "$security" ]; then
      printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$security" "$suite"
      printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
  } >"$rootfs/etc/apt/sources.list.d/debian.sources"
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf"

  mount_all
  # shellcheck disable=SC2086 # $packages is a list of words
  { in_chroot apt-get update -qq && in_chroot apt-get install -y -qq --no-install-recommends $packages; } \
    >"$cache/apt.log" 2>&1 </dev/null ||
    { tail -n 20 "$cache/apt.log" >&2; cannot_run "apt-get install in the chroot failed (log: $cache/apt.log)"; }
  in_chroot apt-get clean
  local rustc_version src_version
  # Same source version (rustc-web may carry a binNMU suffix, +b1, the source package not).
  rustc_version=$(in_chroot dpkg-query -W -f '${source:Version}' rustc-web)
  src_version=$(in_chroot dpkg-query -W -f '${source:Version}' rust-web-src)
  if [ "$rustc_version" != "$src_version" ]; then
    echo "windows.sh: rustc-web $rustc_version and rust-web-src $src_version differ; -Zbuild-std needs the same" >&2
    exit 1
  fi
  {
    echo "$recipe"
    echo "rustc-web=$rustc_version wine=$(in_chroot dpkg-query -W -f '${Version}' wine)"
    echo "mirror=(from this machine's apt sources) made=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  } >"$cache/rootfs.stamp.new"
  unmount_all
  mounted=0
  mv "$cache/rootfs.stamp.new" "$cache/rootfs.stamp"
}

# Refreshes what may change on the host between runs: DNS and extra CA certificates.
refresh_host_files() {
  cp /etc/resolv.conf "$rootfs/etc/resolv.conf" 2>/dev/null || true
  local crt changed=0
  mkdir -p "$rootfs/usr/local/share/ca-certificates"
  for crt in /usr/local/share/ca-certificates/*.crt; do
    [ -f "$crt" ] || continue
    if ! cmp -s "$crt" "$rootfs/usr/local/share/ca-certificates/${crt##*/}"; then
      cp "$crt" "$rootfs/usr/local/share/ca-certificates/"
      changed=1
    fi
  done
  if [ "$changed" = 1 ] || [ ! -f "$rootfs/etc/ssl/certs/ca-certificates.crt" ]; then
    in_chroot update-ca-certificates >/dev/null 2>&1
  fi
}

write_cargo_config() {
  mkdir -p "$home/cargo"
  # The runner lives here, not in CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER:
  # assert_cmd's Command::cargo_bin() reads that variable inside the Windows
  # test process and would try to start `wine X.exe` from inside Wine.
  cat >"$home/cargo/config.toml" <<EOF
# Written by scripts/windows.sh on every run.
[build]
target = "$target"

[unstable]
build-std = ["std"]
# Every clone is mounted on the same /src and shares one target dir, so a
# file's mtime says nothing (an older tree after a newer one would look fresh):
# cargo compares the files' checksums instead.
checksum-freshness = true

[target.$target]
linker = "x86_64-w64-mingw32-gcc"
runner = "wine"
EOF
}

# --- Setup ---------------------------------------------------------------

setup_started=$SECONDS
made_rootfs=0
if ! rootfs_ok; then
  make_rootfs
  made_rootfs=1
fi
rootfs_seconds=$((SECONDS - setup_started))
mount_all
refresh_host_files
write_cargo_config
mkdir -p "$rootfs/run/xdg-runtime"
chmod 700 "$rootfs/run/xdg-runtime"

wine_running=1
in_chroot wineserver -k >/dev/null 2>&1 || true # one a killed run may have left
if [ ! -f "$home/wineprefix.stamp" ]; then
  say "creating the Wine prefix (once)"
  rm -rf "$home/wineprefix"
  in_chroot wineboot -i >"$cache/wineboot.log" 2>&1 </dev/null ||
    { tail -n 20 "$cache/wineboot.log" >&2; echo "windows.sh: wineboot -i failed" >&2; exit 1; }
  in_chroot wineserver -w
  date -u +%Y-%m-%dT%H:%M:%SZ >"$home/wineprefix.stamp"
fi
# One wineserver for the whole run rather than one per test binary.
in_chroot wineserver -p </dev/null >/dev/null 2>&1

# Wine hands Unix environment variables to Windows programs: check that the
# tests will really see SOCKETS_UNDER_WINE=1.
seen=$(in_chroot wine cmd /c 'echo %SOCKETS_UNDER_WINE%' </dev/null 2>/dev/null | tr -d '\r' || true)
if [ "$seen" != 1 ]; then
  echo "windows.sh: a Windows program under Wine sees SOCKETS_UNDER_WINE='$seen', not 1" >&2
  exit 1
fi
say "$(sed -n 2p "$cache/rootfs.stamp"); Windows programs see SOCKETS_UNDER_WINE=1"
setup_seconds=$((SECONDS - setup_started))
say "setup took $setup_seconds s"

# --- Build, then test ----------------------------------------------------

# Extra arguments go to cargo test; without any, the whole workspace.
# Those before a `--` are cargo's, and also shape the build step.
cargo_args=()
test_args=()
seen_dashes=0
for arg in ${1+"$@"}; do
  if [ "$seen_dashes" = 1 ]; then
    test_args+=("$arg")
  elif [ "$arg" = -- ]; then
    seen_dashes=1
  else
    cargo_args+=("$arg")
  fi
done
full_run=0
if [ "$#" = 0 ]; then
  cargo_args=(--workspace)
  full_run=1
fi

build_started=$SECONDS
say "building for $target (std from source, -Zbuild-std)"
run_job "${SOCKETS_WINE_BUILD_TIMEOUT:-2400}" "$cache/last-build.log" \
  cargo test --locked --no-run ${cargo_args[@]+"${cargo_args[@]}"}
build_seconds=$((SECONDS - build_started))

test_started=$SECONDS
say "running the tests under Wine (full output: $log)"
status=0
run_job "${SOCKETS_WINE_TEST_TIMEOUT:-1200}" "$log" \
  cargo test --locked --no-fail-fast ${cargo_args[@]+"${cargo_args[@]}"} \
  -- --show-output ${test_args[@]+"${test_args[@]}"} || status=$?
test_seconds=$((SECONDS - test_started))

# --- The exercises' checks, on Windows programs -------------------------

# `cargo lab verify` (a test, skipped above) runs cargo, which exists here only
# for Linux. So the exercises' starters and reference solutions are built for
# Windows here, and lab.exe checks them under Wine: the checks' sockets,
# timeouts and child processes as Windows programs see them.
exercises_note="not run (only with the whole workspace)"
if [ "$full_run" = 1 ]; then
  exercises_started=$SECONDS
  for kind in starter solution; do
    copy=$home/exercises-$kind
    rm -rf "$copy"
    mkdir -p "$copy"
    (cd exercises && tar --exclude=./target --exclude=./.lab -cf - .) | (cd "$copy" && tar -xf -)
    for dir in "$copy"/*/; do
      if [ -f "$dir$kind/main.rs" ]; then cp "$dir$kind/main.rs" "$dir"src/main.rs; fi
    done
  done
  say "building the exercises' starters and solutions for $target"
  # shellcheck disable=SC2016 # expanded by the chroot's shell
  run_job "${SOCKETS_WINE_BUILD_TIMEOUT:-2400}" "$cache/last-exercises-build.log" /bin/sh -c '
    set -e
    for kind in starter solution; do
      CARGO_TARGET_DIR=/cache/exercises-target cargo build --locked --quiet \
        --manifest-path "/cache/exercises-$kind/Cargo.toml"
      rm -rf "/cache/prebuilt/$kind" && mkdir -p "/cache/prebuilt/$kind"
      cp "/cache/exercises-target/$1/debug/"*.exe "/cache/prebuilt/$kind/"
    done' sh "$target" || status=$?
  say "checking them under Wine: lab.exe verify --prebuilt (full output: $cache/last-exercises.log)"
  # /cache/target is the chroot's own CARGO_TARGET_DIR (chroot_env above).
  run_job "${SOCKETS_WINE_TEST_TIMEOUT:-1200}" "$cache/last-exercises.log" \
    wine "/cache/target/${target}/debug/lab.exe" verify --prebuilt /cache/prebuilt || status=$?
  exercises_note="$(tail -n 1 "$cache/last-exercises.log" | tr -d '\r') ($((SECONDS - exercises_started)) s)"
fi

# --- Summary -------------------------------------------------------------

# Sums the libtest result lines; names each test that printed a SKIPPED line
# (libtest captures eprintln! too, and --show-output prints it per test).
summary=$(awk '
  /^ *Running .*\(/ {
    binary = $0; sub(/^.*\//, "", binary); sub(/-[0-9a-f]+(\.exe)?\)$/, "", binary)
    source = $0; sub(/^ *Running /, "", source); sub(/ \(.*$/, "", source)
    binary = binary " (" source ")"
  }
  /^ *Doc-tests / { binary = $2 " (doc-tests)" }
  /^test result: / {
    for (i = 1; i <= NF; i++) {
      word = $i; sub(/[;,.]$/, "", word)
      if (word == "passed") passed += $(i - 1)
      if (word == "failed") failed += $(i - 1)
      if (word == "ignored") ignored += $(i - 1)
    }
    binaries++
  }
  /^---- .* stdout ----$/ { name = $2; next }
  /^(successes|failures):$/ { name = "" }
  /^test .* \.\.\. FAILED$/ { failures = failures "\n  FAILED  " binary ": " $2 }
  /^SKIPPED/ {
    lines++
    key = binary ": " name
    if (name != "" && !(key in skipped)) { skipped[key] = 1; tests++; skips = skips "\n  SKIPPED " key ": " $0 }
  }
  END {
    printf "%d passed, %d failed, %d ignored; %d tests printed SKIPPED (%d SKIPPED lines); %d test binaries%s%s\n",
      passed, failed, ignored, tests, lines, binaries, failures, skips
  }
' "$log")

echo
echo "==> Windows lane (x86_64-pc-windows-gnu under Wine): summary"
printf '%s\n' "$summary" | sed 1d
printf 'windows: %s\n' "$(printf '%s\n' "$summary" | sed -n 1p)"
printf 'windows: exercises: %s\n' "$exercises_note"
if [ "$made_rootfs" = 1 ]; then
  setup_note="of which ${rootfs_seconds} s making the chroot"
else
  setup_note="chroot and Wine prefix reused from $cache"
fi
echo "time: setup ${setup_seconds} s ($setup_note), build ${build_seconds} s, test ${test_seconds} s, total $((SECONDS - started)) s"
exit "$status"

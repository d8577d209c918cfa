#!/usr/bin/env bash
# Proves that the offline classroom bundle (`cargo lab bundle OUT`) builds and
# runs with no network: makes a bundle in a temporary folder, zips it and
# unzips the zip the way a teacher and the students would (with Python's
# zipfile, when there is a Python 3), then, in the unzipped copy, with an empty
# CARGO_HOME (no registry cache, none of your ~/.cargo settings or mirrors) and
# a temporary target dir:
#   cargo build --workspace --offline --locked
#   cargo build --offline --locked --manifest-path exercises/Cargo.toml   (when it exists)
#   cargo run -p demo --offline --locked                                  (what students type)
# On Linux it cuts the network for real where it can: as root inside
# `unshare --net`, else in an unprivileged user namespace
# (`unshare --user --map-root-user --net`); elsewhere only cargo's offline
# settings keep it off the network. It says which way it ran.
#
#   scripts/offline-check.sh          bundle, offline build, demo; prints the times and sizes
#   scripts/offline-check.sh --keep   the same, and keep the temporary folder to look at
#
# A debug build without debug info: it proves that every crate is there and
# compiles, and is quicker than a full debug build (55 s against 66 s for the
# main workspace on 2 busy cores).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

step() { printf '\n==> %s\n' "$*"; }
die() { echo "error: $*" >&2; exit 1; }

keep=no
case "${1:-}" in
  "") ;;
  --keep) keep=yes ;;
  *) die "unknown argument '$1' (usage: scripts/offline-check.sh [--keep])" ;;
esac

started=$SECONDS
tmp=$(mktemp -d "${TMPDIR:-/tmp}/offline-check.XXXXXX")
cleanup() {
  if [ "$keep" = yes ]; then
    echo "kept $tmp (the bundle is $tmp/bundle)"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
bundle=$tmp/bundle

step "bundle: cargo run -q -p lab -- bundle $bundle (uses the network or cargo's cache, like a teacher at home)"
bundle_started=$SECONDS
cargo run -q -p lab -- bundle "$bundle"
bundle_seconds=$((SECONDS - bundle_started))
[ -f "$bundle/.cargo/config.toml" ] || die "the bundle has no .cargo/config.toml"
[ -d "$bundle/vendor" ] || die "the bundle has no vendor/ folder"
bundle_mb=$(($(du -sk "$bundle" | cut -f1) * 1024 / 1000000))
vendor_mb=$(($(du -sk "$bundle/vendor" | cut -f1) * 1024 / 1000000))

# Zipped and unzipped: a file zip cannot hold (dated before 1980, say) fails
# here, not in front of a class. Unzipping also drops the executable bits, as
# on a student's Windows machine.
built=$bundle
zip_note="not zipped (no Python 3 here): the bundle folder itself was built"
if python=$(find_python); then
  step "zip: $tmp/bundle.zip, then unzipped into $tmp/unzipped ($python's zipfile)"
  # The size comes back in a file: no heredoc inside $(…), which bash 3.2 misparses.
  "$python" - "$bundle" "$tmp/bundle.zip" "$tmp/unzipped" "$tmp/zip-mb" <<'EOF'
import os, sys, zipfile
folder, archive, unzipped, report = sys.argv[1:]
with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
    for parent, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(parent, name)
            z.write(path, os.path.relpath(path, os.path.dirname(folder)))
with zipfile.ZipFile(archive) as z:
    z.extractall(unzipped)
with open(report, "w") as out:
    out.write(str(round(os.path.getsize(archive) / 1e6, 1)))
EOF
  zip_mb=$(cat "$tmp/zip-mb")
  built=$tmp/unzipped/bundle
  echo "zipped to $zip_mb MB and unzipped"
  zip_note="zipped to $zip_mb MB, unzipped, and the unzipped copy was built"
fi

# How the network is cut. In a new network namespace even the loopback device
# is down, so the wrapper brings it up for the demo (which talks on 127.0.0.1);
# without `ip` the demo is skipped there.
runner=()
lo_up='if command -v ip >/dev/null 2>&1; then ip link set lo up; fi; exec "$@"'
if [ "$(uname -s)" = Linux ] && command -v unshare >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && unshare --net true 2>/dev/null; then
    runner=(unshare --net sh -c "$lo_up" sh)
    network="cut: inside unshare --net (a network namespace with no device but loopback)"
  elif unshare --user --map-root-user --net true 2>/dev/null; then
    runner=(unshare --user --map-root-user --net sh -c "$lo_up" sh)
    network="cut: inside unshare --user --map-root-user --net (an unprivileged network namespace)"
  fi
fi
if [ ${#runner[@]} -eq 0 ]; then
  network="NOT cut (no usable unshare here): only --offline, the bundle's [net] offline = true and an empty CARGO_HOME keep cargo off it"
fi

mkdir "$tmp/cargo-home"
# Runs a command in the bundle the way a student's machine would, with no
# network: nothing from your CARGO_HOME, nothing from a compiler wrapper
# (sccache and the like may fetch from a remote cache).
offline() {
  (
    cd "$built"
    unset RUSTC_WRAPPER CARGO_BUILD_RUSTC_WRAPPER CARGO_BUILD_TARGET_DIR
    export CARGO_HOME="$tmp/cargo-home" CARGO_TARGET_DIR="$tmp/target"
    export CARGO_PROFILE_DEV_DEBUG=0 CARGO_INCREMENTAL=0
    ${runner[@]+"${runner[@]}"} "$@"
  )
}

step "network: $network"

step "offline build: cargo build --workspace --offline --locked in $built (empty CARGO_HOME, target dir in $tmp)"
build_started=$SECONDS
offline cargo build --workspace --offline --locked
if [ -f "$built/exercises/Cargo.toml" ]; then
  step "offline build: cargo build --offline --locked --manifest-path exercises/Cargo.toml"
  offline cargo build --offline --locked --manifest-path exercises/Cargo.toml
else
  echo "(no exercises/Cargo.toml in the bundle: only the main workspace was built)"
fi
build_seconds=$((SECONDS - build_started))

demo="ran"
if [ ${#runner[@]} -gt 0 ] && ! command -v ip >/dev/null 2>&1; then
  demo="skipped: no \`ip\` to bring up the namespace's loopback device"
  echo "(demo $demo)"
else
  step "offline run: cargo run -p demo --offline --locked (what students type)"
  offline cargo run -q -p demo --offline --locked
fi

# With vendored sources cargo never creates a registry cache; if it did, a
# crate came from somewhere else.
for fetched in registry git; do
  [ ! -e "$tmp/cargo-home/$fetched" ] || die "cargo wrote $fetched/ into the empty CARGO_HOME: something was fetched, not vendored"
done

step "offline check passed in $((SECONDS - started)) s"
echo "bundle:  $bundle_mb MB on disk, of which vendor/ $vendor_mb MB; made in ${bundle_seconds} s"
echo "zip:     $zip_note"
echo "build:   both workspaces from nothing, offline, in ${build_seconds} s (debug, no debug info)"
echo "demo:    $demo"
echo "network: $network"

#!/usr/bin/env bash
# Writes every program transcript the book shows, from real runs.
#   scripts/book-outputs.sh          regenerate book/generated/*.txt
#   scripts/book-outputs.sh --check  regenerate in a temp dir and fail on any difference
# Each scenario scripts/outputs/NAME.sh prints a transcript on stdout; a line
# `@@@ FILE` switches the rest of the output to book/generated/FILE.txt,
# otherwise all of it goes to book/generated/NAME.txt. Run-specific values
# (ephemeral ports) are normalised by scripts/outputs/lib.sh. A transcript that
# differs by language is written twice, NAME-en.txt and NAME-zh.txt (the
# `cargo lab` ones of scripts/outputs/lab.sh, run on a fresh copy of exercises/);
# each book includes its own. Each drawing scripts/outputs/NAME.py (Python
# standard library only) writes book/generated/NAME.svg, the file named as its
# first argument; --check compares those too. A scenario may also write a
# drawing from a real run: `@@@ NAME.svg` sends what follows, verbatim, to
# book/generated/NAME.svg. Its times differ on every run, and with a window
# so do the interleaving of segments and ACKs and whether the receiver
# answered two segments with one ACK; so --check compares the distinct lines
# of such a drawing with every number taken out: the kinds of arrows, labels
# and fates it shows must match, not where they fall or how many there are.
# `@@@~ NAME` marks a transcript whose counts depend on timing (a rate
# limiter's queue, say): it is compared the same way, numbers taken out.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=write
[ "${1:-}" = "--check" ] && mode=check
if [ "$(uname -s)" != Linux ]; then
  # The committed transcripts are Linux runs (Linux error texts, ss, tcpdump).
  echo "skipping: book transcripts are generated and checked on Linux only"
  exit 0
fi

echo "building the programs the transcripts come from"
cargo build --workspace --bins --examples --quiet

out=book/generated
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for scenario in scripts/outputs/*.sh; do
  name=$(basename "$scenario" .sh)
  [ "$name" = lib ] && continue
  echo "  running $scenario"
  bash "$scenario" > "$work/$name.raw"
  python3 - "$work" "$name" <<'PY'
import pathlib, sys
work, name = pathlib.Path(sys.argv[1]), sys.argv[2]
files, current = {}, name
for line in (work / f"{name}.raw").read_text(encoding="utf-8").splitlines():
    if line.startswith("@@@ ") or line.startswith("@@@~ "):
        loose, current = line.startswith("@@@~ "), line.split(" ", 1)[1].strip()
        files.setdefault(current, [])
        if loose:
            (work / f"{current}.txt.from-run").touch()
        continue
    files.setdefault(current, []).append(line)
for file, lines in files.items():
    if file.endswith(".svg"):
        (work / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
        (work / f"{file}.from-run").touch()
    elif lines or file != name:
        (work / f"{file}.txt").write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
PY
done

for drawing in scripts/outputs/*.py; do
  echo "  drawing $drawing"
  python3 "$drawing" "$work/$(basename "$drawing" .py).svg"
done

# without_numbers: stdin → stdout, ladder's marker ids (a hash of what was
# drawn) and every number removed, the distinct lines sorted (for drawings
# and transcripts of real runs, see above).
without_numbers() { sed -E -e 's/ladder-[0-9a-f]+-/ladder-/g' -e 's/-?[0-9]+(\.[0-9]+)?//g' | LC_ALL=C sort -u; }

if [ "$mode" = check ]; then
  status=0
  for file in "$work"/*.txt "$work"/*.svg; do
    name=$(basename "$file")
    if [ -e "$file.from-run" ]; then
      # A drawing of a real run: compare what it shows, not where (see above).
      if ! diff -u <(without_numbers < "$out/$name" 2>/dev/null) <(without_numbers < "$file") > "$work/$name.diff"; then
        head -40 "$work/$name.diff"
        echo "error: book/generated/$name shows something else than a fresh run: run scripts/book-outputs.sh and commit" >&2
        status=1
      fi
    elif ! diff -u "$out/$name" "$file"; then
      echo "error: book/generated/$name is stale or missing: run scripts/book-outputs.sh and commit" >&2
      status=1
    fi
  done
  [ "$status" = 0 ] && echo "book transcripts are up to date"
  exit "$status"
fi

mkdir -p "$out"
cp "$work"/*.txt "$work"/*.svg "$out"/
echo "wrote $(ls "$work"/*.txt | wc -l) transcripts and $(ls "$work"/*.svg | wc -l) drawings to $out/"

#!/usr/bin/env bash
# Writes every program transcript the book shows, from real runs.
#   scripts/book-outputs.sh          regenerate book/generated/*.txt
#   scripts/book-outputs.sh --check  regenerate in a temp dir and fail on any difference
#   scripts/book-outputs.sh [--check] NAME...  only scenarios and drawings NAME
#                                    (scripts/outputs/NAME.sh or NAME.py)
# Each scenario scripts/outputs/NAME.sh prints a transcript on stdout; a line
# `@@@ FILE` switches the rest of the output to book/generated/FILE.txt,
# otherwise all of it goes to book/generated/NAME.txt. Run-specific values
# (ephemeral ports) are normalised by scripts/outputs/lib.sh. A transcript that
# differs by language is written twice, NAME-en.txt and NAME-zh.txt (the
# `cargo lab` ones of scripts/outputs/lab.sh, run on a fresh copy of exercises/);
# each book includes its own. Each drawing scripts/outputs/NAME.py (Python
# standard library only) writes book/generated/NAME.svg, the file named as its
# first argument; --check compares those too. A scenario may also draw a
# real run: `@@@ NAME.svg` sends what follows, verbatim, to
# book/generated/NAME.svg, and `@@@ NAME.jsonl` the log it is drawn from to
# book/generated/NAME.jsonl. No two runs give the same log (times, and under
# load which ACKs are sent and so which the seeded link drops), so under
# --check the scenario draws from the committed log (ladders in
# scripts/outputs/lib.sh) and the drawing must match to the byte, while the
# fresh log must hold the same kinds of datagrams (each direction's segment
# kinds, the first byte of the header) as the committed one.
# `@@@~ NAME` marks a transcript whose counts depend on timing (a rate
# limiter's queue, say): --check compares its distinct lines with every number
# taken out, not where they fall or how many there are.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=write
if [ "${1:-}" = "--check" ]; then
  mode=check
  shift
fi
only=" $* " # the scenarios asked for; all when none
wanted() { [ "$only" = "  " ] || case "$only" in *" $1 "*) true ;; *) false ;; esac; }
for name in "$@"; do
  if [ ! -f "scripts/outputs/$name.sh" ] && [ ! -f "scripts/outputs/$name.py" ]; then
    echo "error: no scenario scripts/outputs/$name.sh or drawing scripts/outputs/$name.py" >&2
    exit 2
  fi
done
export BOOK_OUTPUTS_MODE=$mode # read by ladders in scripts/outputs/lib.sh
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
  wanted "$name" || continue
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
    if file.endswith(".svg") or file.endswith(".jsonl"):
        (work / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif lines or file != name:
        (work / f"{file}.txt").write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
PY
done

for drawing in scripts/outputs/*.py; do
  wanted "$(basename "$drawing" .py)" || continue
  echo "  drawing $drawing"
  python3 "$drawing" "$work/$(basename "$drawing" .py).svg"
done

# without_numbers: stdin → stdout, every number removed, the distinct lines
# sorted (for the `@@@~` transcripts, see above).
without_numbers() { sed -E -e 's/-?[0-9]+(\.[0-9]+)?//g' | LC_ALL=C sort -u; }
# kinds LOG: the kinds of datagrams a lossy-link log holds, one `DIR KIND` line
# each (KIND: the first byte of the header, in hex), sorted.
kinds() {
  python3 -c '
import json, sys
rows = (json.loads(line) for line in open(sys.argv[1], encoding="utf-8") if line.strip())
print("\n".join(sorted({row["dir"] + " " + row["head"][:2] for row in rows if "dir" in row})))' "$1"
}

shopt -s nullglob # no logs, no drawings: the loops below skip them
if [ "$mode" = check ]; then
  status=0
  for file in "$work"/*.txt "$work"/*.svg "$work"/*.jsonl; do
    name=$(basename "$file")
    if [ "${name%.jsonl}" != "$name" ]; then
      # The log of a real run: compare the kinds of datagrams (see above).
      if [ ! -f "$out/$name" ]; then
        echo "error: book/generated/$name is missing: run scripts/book-outputs.sh and commit" >&2
        status=1
      elif ! diff -u <(kinds "$out/$name") <(kinds "$file"); then
        echo "error: book/generated/$name holds other kinds of datagrams than a fresh run: run scripts/book-outputs.sh and commit" >&2
        status=1
      fi
    elif [ -e "$file.from-run" ]; then
      # A transcript whose counts depend on timing (see above).
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
texts=("$work"/*.txt) drawings=("$work"/*.svg) logs=("$work"/*.jsonl)
# ${a[@]+…}: bash 3.2 (macOS) calls an empty array unbound under set -u.
for file in ${texts[@]+"${texts[@]}"} ${drawings[@]+"${drawings[@]}"} ${logs[@]+"${logs[@]}"}; do
  cp "$file" "$out"/
done
echo "wrote ${#texts[@]} transcripts, ${#drawings[@]} drawings and ${#logs[@]} logs to $out/"

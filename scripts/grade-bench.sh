#!/usr/bin/env bash
# The grader's benchmark: can `cargo lab grade` mark a whole class, quickly,
# fairly and right? It makes a class of synthetic students (`cargo lab
# make-class`: reference solutions, untouched starters, and programs that do
# not compile, hang, panic, flood their output, fill the disk or exit at once;
# every tenth student also rewrites the checks and the manifests), grades it
# once to warm the build cache, then twice more, timed: the first time with
# English reports, the second with Chinese ones. Then it checks
#   - fairness: the two grades.csv are the same byte for byte, and every
#     exercise got the same status and points in both runs;
#   - rightness: each submission got what its kind must get (.expected.json):
#     correct -> passed, full points; unchanged -> unchanged, 0;
#     no-compile -> does-not-compile, 0; hang, panic, flood, fill-disk,
#     exit -> 0 points; a tampered student -> files listed in ignored_changes.
# and prints a table. It exits 1 when the runs differ or any submission got
# the wrong grade, after listing each one with the checks that decided it.
#
#   scripts/grade-bench.sh               30 students x all 20 exercises
#                                        (about 4 minutes on 2 busy cores)
#   scripts/grade-bench.sh --smoke       8 students x 3 exercises, every kind
#                                        and one tampered student (about a minute)
#   scripts/grade-bench.sh --screenshot  also grades a class of 10 students x every
#                                        exercise in English and in Chinese, and renders
#                                        the two report.html with headless Chromium into
#                                        book/{en,zh}/src/images/grader-report-{en,zh}.png
#
# The options combine (--smoke --screenshot). Everything goes to the folder
# grade-bench (or grade-bench-smoke) in cargo's target directory; its out/.work
# keeps the build cache for the next run. Only loopback traffic, as in the
# checks; the synthetic programs run in the grader's scratch folders.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

die() { echo "error: $*" >&2; exit 1; }
step() { printf '\n==> %s\n' "$*"; }

mode=full
screenshot=no
for arg in "$@"; do
  case "$arg" in
    --smoke) mode=smoke ;;
    --screenshot) screenshot=yes ;;
    *) echo "usage: scripts/grade-bench.sh [--smoke] [--screenshot]" >&2; exit 2 ;;
  esac
done

if [ "$mode" = smoke ]; then
  # Seed 4 draws every kind of submission into 8 students x 3 exercises, and
  # the 8th student tampers (make-class: every tenth, from the 8th).
  class_args=(--students 8 --seed 4 --only tcp-echo,udp-echo,percentiles)
  only_args=(--only tcp-echo,udp-echo,percentiles)
  folder=grade-bench-smoke
else
  class_args=(--students 30 --seed 1)
  only_args=()
  folder=grade-bench
fi

python=$(find_python) || die "Python 3 is needed to compare the grades (https://www.python.org/downloads/)"
work=$(target_dir)/$folder
class=$work/class
out=$work/out

lab() { cargo run --locked --quiet --package lab -- "$@"; }

# minutes SECONDS: "1.5 (90 s)".
minutes() { awk -v s="$1" 'BEGIN { printf "%.1f (%d s)", s / 60, s }'; }

# grade RUN LANG: grades the class into $out, then moves the reports to
# $work/RUN (the build cache in $out/.work stays for the next run).
grade() {
  local run=$1 lang=$2
  rm -rf "${work:?}/$run"
  lab --lang "$lang" grade "$class" --out "$out" ${only_args[@]+"${only_args[@]}"} >"$work/$run.log"
  mkdir -p "$work/$run"
  mv "$out/grades.csv" "$out/report.html" "$out/students" "$work/$run/"
}

step "cargo build -p lab"
cargo build --locked --quiet --package lab

step "make-class: ${class_args[*]} -> $class"
mkdir -p "$work"
rm -rf "$class" "$work/warm-up-class"
lab make-class "$class" "${class_args[@]}"

step "warm-up: one student, so the timed runs start with a warm build cache"
lab make-class "$work/warm-up-class" --students 1 ${only_args[@]+"${only_args[@]}"} >/dev/null
started=$SECONDS
lab grade "$work/warm-up-class" --out "$out" ${only_args[@]+"${only_args[@]}"} >"$work/warm-up.log"
echo "warm-up graded in $((SECONDS - started)) s"

step "run 1 (English reports, timed)"
started=$SECONDS
grade run1 en
seconds1=$((SECONDS - started))
cat "$work/run1.log"

step "run 2 (Chinese reports, timed): the same class again"
started=$SECONDS
grade run2 zh
seconds2=$((SECONDS - started))
tail -n 1 "$work/run2.log"

if cmp -s "$work/run1/grades.csv" "$work/run2/grades.csv"; then
  identical=yes
else
  identical=no
  echo "grades.csv differs between the runs:"
  diff "$work/run1/grades.csv" "$work/run2/grades.csv" || true
fi

step "every submission against what its kind must get ($class/.expected.json)"
set +e
"$python" - "$class/.expected.json" "$work/run1" "$work/run2" >"$work/check.txt" <<'EOF'
import json
import pathlib
import sys

expected = json.loads(pathlib.Path(sys.argv[1]).read_text(encoding="utf-8"))
runs = [pathlib.Path(p) for p in sys.argv[2:]]
ZERO = {"hang", "panic", "flood", "fill-disk", "exit"}
problems = []
exercises = set()


def checks_of(result):
    """The failed checks, one line each, in English."""
    lines = []
    for check in result.get("checks", []):
        if not check["passed"]:
            message = (check.get("message") or {}).get("en", "")
            lines.append(f"      ✗ {check['name']['en']}: {message}")
    reason = (result.get("reason") or {}).get("en")
    if reason:
        lines.append("      reason: " + reason.strip().splitlines()[-1][:300])
    return lines


for student, want in sorted(expected.items()):
    reports = [json.loads((run / "students" / f"{student}.json").read_text(encoding="utf-8")) for run in runs]
    first = reports[0]
    by_id = {result["id"]: result for result in first["exercises"]}
    for exercise, kind in sorted(want["kinds"].items()):
        exercises.add(exercise)
        got = by_id.get(exercise)
        if got is None:
            problems.append([f"{student} / {exercise} ({kind}): no result in the report"])
            continue
        status, points, most = got["status"], got["points"], got["max"]
        if kind == "correct":
            ok = status == "passed" and points == most
        elif kind == "unchanged":
            ok = status == "unchanged" and points == 0
        elif kind == "no-compile":
            ok = status == "does-not-compile" and points == 0
        elif kind in ZERO:
            ok = points == 0
        else:
            ok = False
        if not ok:
            problems.append(
                [f"{student} / {exercise} ({kind}): got {status}, {points}/{most}"] + checks_of(got)
            )
        # Fairness: the other runs gave the same status and points.
        for n, other in enumerate(reports[1:], 2):
            again = {result["id"]: result for result in other["exercises"]}.get(exercise, {})
            if (again.get("status"), again.get("points")) != (status, points):
                problems.append(
                    [f"{student} / {exercise} ({kind}): run 1 {status} {points}/{most}, "
                     f"run {n} {again.get('status')} {again.get('points')}/{most}"] + checks_of(again)
                )
    if want["tampered"] and not first["ignored_changes"]:
        problems.append([f"{student} (tampered): ignored_changes is empty"])
    elif want["tampered"]:
        print(f"{student} (tampered): {len(first['ignored_changes'])} files listed in ignored_changes; graded as its kinds say")

for lines in problems:
    print("\n".join(lines))
print(f"{len(expected)} students, {len(exercises)} exercises, mismatches {len(problems)}")
sys.exit(1 if problems else 0)
EOF
checked=$?
set -e
[ "$checked" -le 1 ] || { cat "$work/check.txt"; die "the comparison itself failed"; }
cat "$work/check.txt"
summary=$(tail -n 1 "$work/check.txt")
n_students=$(printf '%s\n' "$summary" | awk '{ print $1 }')
n_exercises=$(printf '%s\n' "$summary" | awk '{ print $3 }')
mismatches=$(printf '%s\n' "$summary" | awk '{ print $NF }')

if [ "$screenshot" = yes ]; then
  # The book's pictures come from a class of their own, 10 students x every
  # exercise, graded once in each language: the same grades in both pictures,
  # and a page small enough to read (and to keep in the repository).
  step "screenshots: 10 students x every exercise, graded in en and zh, rendered with headless Chromium"
  rm -rf "$work/shot-class"
  lab make-class "$work/shot-class" --students 10 >/dev/null
  for lang in en zh; do
    rm -rf "${work:?}/shot-$lang"
    lab --lang "$lang" grade "$work/shot-class" --out "$out" >"$work/shot-$lang.log"
    mkdir -p "$work/shot-$lang"
    mv "$out/grades.csv" "$out/report.html" "$out/students" "$work/shot-$lang/"
  done
  cmp -s "$work/shot-en/grades.csv" "$work/shot-zh/grades.csv" ||
    echo "note: the two gradings of the pictures' class differ (see $work/shot-{en,zh}/grades.csv)"
  scripts/tools.sh node
  browser=$(find_browser)
  CHROMIUM_PATH=$browser node --input-type=module - \
    "$work/shot-en/report.html" book/en/src/images/grader-report-en.png \
    "$work/shot-zh/report.html" book/zh/src/images/grader-report-zh.png <<'EOF'
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { statSync } from "node:fs";

const require = createRequire(resolve("scripts/node/package.json"));
const { chromium } = require("playwright-core");
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const [, , ...pairs] = process.argv;
for (let i = 0; i < pairs.length; i += 2) {
  const [html, png] = [resolve(pairs[i]), resolve(pairs[i + 1])];
  // Narrow first, so the page is as wide as its table (plus the body's margin) and no wider.
  const page = await browser.newPage({ viewport: { width: 640, height: 480 }, deviceScaleFactor: 1 });
  await page.goto(pathToFileURL(html).href);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  await page.setViewportSize({ width: Math.min(width + 32, 1400), height: 480 });
  await page.screenshot({ path: png, fullPage: true });
  await page.close();
  console.log(`${pairs[i + 1]}: ${Math.round(statSync(png).size / 1024)} KiB`);
}
await browser.close();
EOF
fi

step "grading benchmark ($mode)"
rows=$(printf '%s|%s|%s|%s|%s|%s\n' \
  "students" "exercises" "minutes (run 1)" "minutes (run 2)" "identical grades.csv" "mismatches" \
  "$n_students" "$n_exercises" "$(minutes "$seconds1")" "$(minutes "$seconds2")" "$identical" "$mismatches")
if command -v column >/dev/null 2>&1; then
  printf '%s\n' "$rows" | column -t -s '|'
else
  printf '%s\n' "$rows" | tr '|' '\t'
fi
echo "reports: $work/run1 (en), $work/run2 (zh); what each submission got: $work/check.txt"
[ "$identical" = yes ] && [ "$mismatches" = 0 ]

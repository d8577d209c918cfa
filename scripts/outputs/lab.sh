# The exercise tool as a student first meets it, in each language: the list,
# a failing check of the first exercise (its starter, unchanged) and the hint
# that fits the failure. Each language runs on a fresh copy of exercises/
# (starters only, no progress file), so the maintainer's own tree is neither
# read nor changed, and `cargo lab` prints only paths relative to the course.
source "$(dirname "$0")/lib.sh"

# The exercise builds share one target folder, kept between runs.
CARGO_TARGET_DIR=$(target_dir)/book-outputs-lab
export CARGO_TARGET_DIR

# fresh_course DIR: a copy of exercises/ in DIR/exercises with every src/ the starter's.
fresh_course() {
  python3 - "$1/exercises" <<'PY'
import pathlib, shutil, sys
copy = pathlib.Path(sys.argv[1])
shutil.copytree("exercises", copy, ignore=shutil.ignore_patterns("target", ".lab", "*.bak"))
for starter in copy.glob("*/starter"):
    src = starter.parent / "src"
    shutil.rmtree(src, ignore_errors=True)
    shutil.copytree(starter, src)
PY
}

for lang in en zh; do
  course="$LOGS/course-$lang"
  fresh_course "$course"
  lab() { "$BIN/lab" --course "$course" --lang "$lang" "$@" 2>&1; }

  echo "@@@ lab-list-$lang"
  prompt cargo lab list
  lab list

  echo "@@@ lab-check-$lang"
  prompt cargo lab check tcp-echo
  lab check tcp-echo || true
  prompt 'echo $?'
  lab check tcp-echo >/dev/null || echo "$?"

  echo "@@@ lab-hint-$lang"
  prompt cargo lab hint tcp-echo
  lab hint tcp-echo
done

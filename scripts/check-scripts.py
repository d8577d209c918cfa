#!/usr/bin/env python3
"""Checks that the shell scripts run where students run them.

    python3 scripts/check-scripts.py              check scripts/ and .ci/run
    python3 scripts/check-scripts.py --self-test  plant each fault in a tiny script; each must be caught

macOS runs scripts with bash 3.2 and has no /proc; CARGO_TARGET_DIR moves cargo's
output away from ./target; a Windows checkout with core.autocrlf=true turns LF
into CRLF unless .gitattributes says otherwise. Each rule below is a way a
script broke (or would break) on a student's machine. A script that is Linux-only
on purpose says so in a line `# portability: linux-only (why)`, which lifts the
/proc rule only.
"""
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Features newer than bash 3.2, the bash every Mac has as /bin/bash.
BASH4 = [
    (r"\b(declare|local|typeset)\s+-[a-zA-Z]*[An]", "associative arrays / namerefs (bash 4)"),
    (r"\b(mapfile|readarray)\b", "mapfile/readarray (bash 4)"),
    (r"\$\{[A-Za-z_][A-Za-z_0-9]*(\[[^]]*\])?(,,?|\^\^?)\}", "case conversion ${x,,} / ${x^^} (bash 4)"),
    (r"\$\{[A-Za-z_][A-Za-z_0-9]*@[QEPAa]\}", "${x@Q} transformations (bash 4.4)"),
    (r"\|&|&>>|;;&", "|&, &>> or ;;& (bash 4)"),
    (r"\bcoproc\b", "coproc (bash 4)"),
    (r"\bwait\s+-n\b", "wait -n (bash 4.3)"),
    (r"\bEPOCH(SECONDS|REALTIME)\b", "$EPOCHSECONDS (bash 5)"),
    (r"\$\{[A-Za-z_][A-Za-z_0-9]*\[-[0-9]+\]\}", "negative array index (bash 4.3)"),
]


def code_lines(text):
    """(line number, line) of each line, comments and heredoc bodies left out."""
    heredoc = None
    for number, line in enumerate(text.splitlines(), 1):
        if heredoc:
            if line.strip() == heredoc:
                heredoc = None
            continue
        match = re.search(r"<<-?\s*['\"]?([A-Za-z_]+)['\"]?", line)
        if match:
            heredoc = match.group(1)
        if line.lstrip().startswith("#"):
            continue
        yield number, re.sub(r"\s#\s.*$", "", line)


def check(path, text, raw):
    problems = []
    say = lambda number, what: problems.append(f"{path}:{number}: {what}")
    if b"\r\n" in raw:
        say(1, "CRLF line endings: bash stops at the first \\r")
    linux_only = re.search(r"^# portability: linux-only", text, re.M)
    empty_arrays = set(re.findall(r"^\s*(?:local\s+)?([A-Za-z_][A-Za-z_0-9]*)=\(\)", text, re.M))
    for number, line in code_lines(text):
        shown = line.lstrip().startswith("prompt ")  # a command shown to the reader, not run
        if not shown and re.search(r"(?<![\w$/{])target/(debug|release)\b", line):
            say(number, "names a folder under ./target: ask cargo (target_dir in scripts/common.sh)")
        if "/proc/" in line and not linux_only:
            say(number, "reads /proc, which macOS does not have")
        for pattern, what in BASH4:
            if re.search(pattern, line):
                say(number, f"{what}: macOS's /bin/bash is 3.2")
        for name in empty_arrays:
            for match in re.finditer(r"\$\{" + name + r"\[[@*]\](.?)", line):
                head = r"\$\{" + name + r"\[[@*]\]\+\"?$"  # inside ${a[@]+"${a[@]}"}
                if match.group(1) != "+" and not re.search(head, line[: match.start()]):
                    say(number, f"${{{name}[@]}} may be empty: bash 3.2 with set -u stops "
                        f"('unbound variable'); write ${{{name}[@]+\"${{{name}[@]}}\"}}")
    return problems


def scripts():
    paths = sorted(ROOT.glob("scripts/**/*.sh")) + [ROOT / ".ci/run"]
    return [p for p in paths if p.is_file()]


def check_tree():
    problems = []
    for path in scripts():
        raw = path.read_bytes()
        problems += check(path.relative_to(ROOT), raw.decode("utf-8"), raw)
    problems += check_autocrlf_checkout()
    return problems


def check_autocrlf_checkout():
    """A clone made the way Git for Windows does by default must keep LF in scripts."""
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode:
        return []  # not a git checkout (e.g. an unpacked offline bundle)
    with tempfile.TemporaryDirectory() as tmp:
        clone = pathlib.Path(tmp) / "clone"
        subprocess.run(
            ["git", "clone", "-q", "--no-hardlinks", "--config", "core.autocrlf=true", str(ROOT), str(clone)],
            check=True,
        )
        files = list(clone.glob("scripts/**/*.sh")) + [clone / ".ci/run"]
        bad = [str(p.relative_to(clone)) for p in files if p.is_file() and b"\r\n" in p.read_bytes()]
    return [f"{name}: CRLF after a checkout with core.autocrlf=true (add it to .gitattributes with eol=lf)" for name in bad]


def self_test():
    faults = {
        "target": "cp target/release/tcp-server /tmp\n",
        "proc": "for fd in /proc/self/fd/*; do :; done\n",
        "assoc": "declare -A seen\n",
        "mapfile": "mapfile -t lines < file\n",
        "case": 'echo "${name,,}"\n',
        "empty": 'set -u\npin=()\n"${pin[@]}" bench\n',
        "empty-star": 'pin=()\necho "${pin[*]}"\n',
        "crlf": "echo hi\r\n",
    }
    clean = 'set -u\npin=()\n${pin[@]+"${pin[@]}"} bench\ncat <<EOF\ntarget/release in a heredoc is text\nEOF\n# target/release in a comment\n'
    failed = []
    for name, text in faults.items():
        if not check(name, text, text.encode()):
            failed.append(f"the '{name}' fault was not caught")
    if check("clean", clean, clean.encode()):
        failed.append(f"a clean script was flagged: {check('clean', clean, clean.encode())}")
    if check("linux", "# portability: linux-only (a chroot)\nmount -t proc proc /x/proc/\n", b""):
        failed.append("the linux-only marker did not lift the /proc rule")
    return failed


def main():
    if sys.argv[1:] == ["--self-test"]:
        failed = self_test()
        for line in failed:
            print(f"error: {line}", file=sys.stderr)
        print("script checks catch every planted fault" if not failed else "")
        return 1 if failed else 0
    problems = check_tree()
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    if problems:
        return 1
    print(f"{len(scripts())} scripts: bash 3.2, no /proc, cargo's target dir, LF endings")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Proves that every truth check in scripts/book-check.py can fail.

Builds a tiny two-language book in a temporary folder (two pages, one crate
file with an anchor, one generated transcript, and a page in a subfolder,
classroom/, that includes an exercise's statement by anchor, its reference
solution, and a transcript and an image in its own language), checks that it
passes, then plants one fault at a time and checks that the right check
reports it.
Needs mdbook on PATH. Run by `scripts/book.sh check`.
"""

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("book_check", HERE / "book-check.py")
bc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bc)

RUST = "```rust,ignore\n{{#include ../../../crates/demo/src/main.rs:hello}}\n```\n"
OUTPUT = "```text\n{{#include ../../generated/hello.txt}}\n```\n"
PAGES = {
    "zh": {
        "SUMMARY.md": "# 目录\n\n- [第一页](a.md)\n- [第二页](b.md)\n",
        "a.md": f"# 第一页\n\n## 代码\n\n{RUST}\n## 输出\n\n{OUTPUT}\n见[第二页](b.md#细节)。\n\n![图](images/d.svg)\n",
        "b.md": "# 第二页\n\n## 细节\n\n正文。\n",
    },
    "en": {
        "SUMMARY.md": "# Summary\n\n- [Page one](a.md)\n- [Page two](b.md)\n",
        "a.md": f"# Page one\n\n## Code\n\n{RUST}\n## Output\n\n{OUTPUT}\nSee [page two](b.md#details).\n\n![figure](images/d.svg)\n",
        "b.md": "# Page two\n\n## Details\n\nText.\n",
    },
}
# A page one folder down: every include climbs one more ../, and each book
# takes its own language's statement, transcript and image.
CLASSROOM = (
    "# {title}\n\n## {exercise}\n\n"
    "{{{{#include ../../../../exercises/ex/{readme}:statement}}}}\n\n"
    "## {solution}\n\n"
    "```rust,ignore\n{{{{#include ../../../../exercises/ex/solution/main.rs}}}}\n```\n\n"
    "```rust,ignore\n{{{{#include ../../../../crates/demo/src/main.rs:hello}}}}\n```\n\n"
    "```text\n{{{{#include ../../../generated/lab-{lang}.txt}}}}\n```\n\n"
    "![{figure}](../images/e-{lang}.png)\n"
)
PAGES["zh"]["SUMMARY.md"] += "- [练习](classroom/x.md)\n"
PAGES["en"]["SUMMARY.md"] += "- [Exercises](classroom/x.md)\n"
PAGES["zh"]["classroom/x.md"] = CLASSROOM.format(
    title="练习", exercise="题目", readme="README.zh.md", solution="解答", lang="zh", figure="图"
)
PAGES["en"]["classroom/x.md"] = CLASSROOM.format(
    title="Exercises", exercise="Statement", readme="README.md", solution="Solution", lang="en", figure="figure"
)
README = "# ex: {title}\n\n**{chapter}** [x](../../book/{lang}/src/a.md)\n<!-- ANCHOR: statement -->\n\n{body}\n<!-- ANCHOR_END: statement -->\n"
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>\n'


def make_fixture(root: Path) -> None:
    (root / "crates/demo/src").mkdir(parents=True)
    (root / "crates/demo/src/main.rs").write_text(
        'fn main() {\n    // ANCHOR: hello\n    println!("Hello");\n    // ANCHOR_END: hello\n}\n'
    )
    (root / "book/generated").mkdir(parents=True)
    (root / "book/generated/hello.txt").write_text("$ cargo run\nHello\n")
    (root / "exercises/ex/solution").mkdir(parents=True)
    (root / "exercises/ex/solution/main.rs").write_text('fn main() {\n    println!("solved");\n}\n')
    (root / "exercises/ex/README.md").write_text(
        README.format(title="an exercise", chapter="Chapter:", lang="en", body="Do it."), encoding="utf-8"
    )
    (root / "exercises/ex/README.zh.md").write_text(
        README.format(title="一道练习", chapter="所属章节：", lang="zh", body="做吧。"), encoding="utf-8"
    )
    for lang, pages in PAGES.items():
        (root / f"book/generated/lab-{lang}.txt").write_text(f"$ cargo lab\n{lang}\n")
        src = root / "book" / lang / "src"
        (src / "images").mkdir(parents=True)
        (src / "classroom").mkdir(parents=True)
        (src / "images/d.svg").write_text(SVG)
        (src / f"images/e-{lang}.png").write_bytes(b"\x89PNG\r\n\x1a\n")
        for name, text in pages.items():
            (src / name).write_text(text, encoding="utf-8")
        (root / "book" / lang / "book.toml").write_text(
            f'[book]\ntitle = "t"\nlanguage = "{bc.BOOKS[lang]}"\n\n'
            f'[build]\nbuild-dir = "../../site/{lang}"\ncreate-missing = false\n\n'
            f'[output.html]\nsite-url = "/{lang}/"\n\n'
            "[output.html.search]\nenable = false\n"
        )


def append(lang: str, page: str, text: str):
    def plant(root: Path) -> None:
        langs = ["zh", "en"] if lang == "both" else [lang]
        for each in langs:
            path = root / "book" / each / "src" / page
            old = path.read_text(encoding="utf-8") if path.exists() else ""
            path.write_text(old + text, encoding="utf-8")

    return plant


def replace(lang: str, page: str, old: str, new: str):
    def plant(root: Path) -> None:
        path = root / "book" / lang / "src" / page
        text = path.read_text(encoding="utf-8")
        assert old in text, (page, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    return plant


def both(page: str, old: str, new: str):
    """replace() in both books, so that only the check under test can see it."""
    def plant(root: Path) -> None:
        for lang in ("zh", "en"):
            replace(lang, page, old, new)(root)

    return plant


def retitle(book_toml: Path) -> None:
    book_toml.write_text(book_toml.read_text(encoding="utf-8").replace('"zh-CN"', '"en"'), encoding="utf-8")


# (fault, check that must report it, how to plant it)
FAULTS = [
    ("missing include file", "log", append("both", "b.md", "\n```text\n{{#include ../../generated/nope.txt}}\n```\n")),
    ("literal {{# left in a page", "html", append("both", "b.md", "\nsee \\{{#include ../../generated/hello.txt}}\n")),
    ("missing ANCHOR (empty code block)", "html", replace("zh", "a.md", "main.rs:hello", "main.rs:nope")),
    ("broken page link", "links", append("both", "b.md", "\n[x](nope.md)\n")),
    ("missing image", "links", replace("en", "a.md", "images/d.svg", "images/nope.svg")),
    ("missing #fragment", "links", replace("en", "a.md", "b.md#details", "b.md#nope")),
    ("external script", "links", append("both", "b.md", '\n<script src="https://cdn.invalid/x.js"></script>\n')),
    ("pasted code in a rust fence", "sources", append("both", "b.md", '\n```rust\nfn main() {}\n```\n')),
    ("pasted Rust in a text fence", "sources", append("both", "b.md", "\n```text\nlet x = 1;\n```\n")),
    ("include from outside crates/ and generated/", "sources", append("both", "b.md", "\n```text\n{{#include ../../../x.txt}}\n```\n")),
    ("output included in a rust fence", "sources", append("both", "b.md", "\n```rust\n{{#include ../../generated/hello.txt}}\n```\n")),
    ("code included by line numbers", "sources", replace("zh", "a.md", "main.rs:hello", "main.rs:2:3")),
    ("code include outside a fence", "sources", append("both", "b.md", "\n{{#include ../../../crates/demo/src/main.rs:hello}}\n")),
    ("heading only in zh", "parity", append("zh", "b.md", "\n## 多一节\n")),
    ("heading level differs", "parity", replace("en", "b.md", "## Details", "### Details")),
    ("include targets differ", "parity", replace("en", "a.md", "generated/hello.txt", "generated/hello.txt:x")),
    ("images differ", "parity", append("zh", "b.md", "\n![图](images/d.svg)\n")),
    ("page without twin, not in SUMMARY", "parity", append("zh", "c.md", "# 第三页\n")),
    ("SUMMARY order differs", "parity", replace("en", "SUMMARY.md", "- [Page one](a.md)\n- [Page two](b.md)", "- [Page two](b.md)\n- [Page one](a.md)")),
    ("page without lang zh-CN", "html", lambda root: retitle(root / "book/zh/book.toml")),
    # pages in a subfolder, the exercises, one file per language
    ("subfolder page includes with one ../ too few", "sources",
     both("classroom/x.md", "../../../../crates/", "../../../crates/")),
    ("whole exercise README included (its H1 and repo link)", "sources",
     both("classroom/x.md", ":statement}}", "}}")),
    ("statement included by an anchor the README lacks", "sources",
     both("classroom/x.md", ":statement}}", ":nope}}")),
    ("statement included inside a fence", "sources",
     append("both", "classroom/x.md", "\n```text\n{{#include ../../../../exercises/ex/README.md:statement}}\n```\n")),
    ("rust fence includes the student's src/ copy", "sources",
     both("classroom/x.md", "ex/solution/main.rs", "ex/src/main.rs")),
    ("exercise code included outside a fence", "sources",
     append("both", "classroom/x.md", "\n{{#include ../../../../exercises/ex/solution/main.rs}}\n")),
    ("other exercise files included", "sources",
     append("both", "classroom/x.md", "\n```toml\n{{#include ../../../../exercises/ex/Cargo.toml}}\n```\n")),
    ("zh page includes the English statement", "parity",
     replace("zh", "classroom/x.md", "README.zh.md", "README.md")),
    ("en page includes the -zh.txt transcript", "parity",
     replace("en", "classroom/x.md", "lab-en.txt", "lab-zh.txt")),
    ("zh page shows the -en.png image", "parity",
     replace("zh", "classroom/x.md", "e-zh.png", "e-en.png")),
    ("statement anchors differ between the books", "parity",
     replace("en", "classroom/x.md", "README.md:statement", "README.md:statement-en")),
]


def run_checks(root: Path) -> dict[str, list[str]]:
    site, logs, book = root / "site", root / "logs", root / "book"
    shutil.rmtree(site, ignore_errors=True)
    logs.mkdir(exist_ok=True)
    for lang in bc.BOOKS:
        result = subprocess.run(
            ["mdbook", "build", str(book / lang)], capture_output=True, encoding="utf-8", errors="replace"
        )
        (logs / f"{lang}.log").write_text(result.stdout + result.stderr, encoding="utf-8")
    source_problems, parity_problems = bc.check_sources(book)
    facts = bc.parse_pages(site)
    return {
        "sources": source_problems,
        "parity": parity_problems,
        "log": bc.check_logs(logs),
        "html": bc.check_html(site, facts, book),
        "links": bc.check_links(site, facts, "/"),
    }


def main() -> int:
    failures = 0
    with tempfile.TemporaryDirectory(prefix="book-selftest-") as tmp:
        pristine = Path(tmp) / "pristine"
        make_fixture(pristine)
        baseline = run_checks(pristine)
        noisy = {name: problems for name, problems in baseline.items() if problems}
        if noisy:
            print(f"FAIL self-test: the clean fixture does not pass: {noisy}")
            return 1
        for fault, check, plant in FAULTS:
            work = Path(tmp) / "work"
            shutil.rmtree(work, ignore_errors=True)
            for part in ("book", "crates", "exercises"):
                shutil.copytree(pristine / part, work / part)
            plant(work)
            problems = run_checks(work)[check]
            if problems:
                print(f"ok   {check:7} catches: {fault}")
            else:
                failures += 1
                print(f"FAIL {check:7} misses:  {fault}")
    if failures:
        print(f"error: {failures} planted fault(s) went unnoticed", file=sys.stderr)
        return 1
    print(f"self-test: all {len(FAULTS)} planted faults caught")
    return 0


if __name__ == "__main__":
    sys.exit(main())

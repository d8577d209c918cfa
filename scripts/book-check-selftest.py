#!/usr/bin/env python3
"""Proves that every truth check in scripts/book-check.py can fail.

Builds a tiny two-language book in a temporary folder (two pages, one crate
file with an anchor, one generated transcript), checks that it passes, then
plants one fault at a time and checks that the right check reports it.
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
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>\n'


def make_fixture(root: Path) -> None:
    (root / "crates/demo/src").mkdir(parents=True)
    (root / "crates/demo/src/main.rs").write_text(
        'fn main() {\n    // ANCHOR: hello\n    println!("Hello");\n    // ANCHOR_END: hello\n}\n'
    )
    (root / "book/generated").mkdir(parents=True)
    (root / "book/generated/hello.txt").write_text("$ cargo run\nHello\n")
    for lang, pages in PAGES.items():
        src = root / "book" / lang / "src"
        (src / "images").mkdir(parents=True)
        (src / "images/d.svg").write_text(SVG)
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
            shutil.copytree(pristine / "book", work / "book")
            shutil.copytree(pristine / "crates", work / "crates")
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

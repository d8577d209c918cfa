#!/usr/bin/env python3
"""Build one Pagefind search index per book.

Usage: .venv/bin/python scripts/book-index.py SITE:SRC [SITE:SRC ...]
       e.g. target/book/zh:book/zh/src target/book/en:book/en/src

Only the chapter pages are indexed: the HTML twin of every Markdown file in
SRC. print.html (the whole book on one page), 404.html, toc.html and
index.html (a copy of the first chapter) would only repeat results.
Only <main> is indexed, so titles come from the chapter's own heading, not
from the book title in mdBook's menu bar. Pagefind reads each page's
<html lang> (zh-CN for the Chinese book) and segments Chinese words.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Pagefind's Chinese word segmentation at index time (a dictionary) and the
# browser's at search time (Intl.Segmenter) often disagree: 套接字 is indexed
# as 套 + 接字 but searched as 套接 + 字, and nothing is found. So every Han
# character becomes its own word here (a zero-width space between adjacent
# characters in the page text, invisible in result excerpts), and the search
# box (book/theme/header.hbs) splits a query the same way: 套接字 -> 套 接 字.
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
BETWEEN_HAN = re.compile(f"(?<=[{HAN}])(?=[{HAN}])")
TAG = re.compile(r"(<[^>]*>)")


def split_han(html: str) -> str:
    """Insert U+200B between adjacent Han characters in text, never inside tags."""
    parts = TAG.split(html)
    return "".join(part if part.startswith("<") else BETWEEN_HAN.sub("\u200b", part) for part in parts)


def index_book(site: Path, src: Path) -> None:
    pages = sorted(
        md.relative_to(src).with_suffix(".html")
        for md in src.rglob("*.md")
        if md.name != "SUMMARY.md"
    )
    # The pages, Han characters split, in a folder of their own, and Pagefind's
    # command line over it. (Its Python API terminates the indexer the moment
    # it has answered "files written", and on a busy machine files were cut
    # short: pagefind-ui.js at 96 KiB, once pagefind-entry.json empty. The
    # command line exits only when everything is on disk.)
    with tempfile.TemporaryDirectory() as tmp:
        indexed = 0
        for rel in pages:
            html = site / rel
            if not html.is_file():
                # scripts/book-check.py reports it (page not in SUMMARY.md?)
                print(f"  skipped {src / rel.with_suffix('.md')}: {html} was not built")
                continue
            copy = Path(tmp) / rel
            copy.parent.mkdir(parents=True, exist_ok=True)
            copy.write_text(split_han(html.read_text(encoding="utf-8")), encoding="utf-8")
            indexed += 1
        output = site / "pagefind"
        shutil.rmtree(output, ignore_errors=True)
        subprocess.run(
            [sys.executable, "-m", "pagefind", "--site", tmp, "--output-path", str(output.resolve()),
             "--root-selector", "main", "--silent"],
            check=True,
        )
    print(f"  {site}/pagefind: {indexed} chapter pages indexed")


def main(pairs: list[str]) -> None:
    if not pairs:
        raise SystemExit(__doc__)
    for pair in pairs:
        site, _, src = pair.partition(":")
        index_book(Path(site), Path(src))


if __name__ == "__main__":
    main(sys.argv[1:])

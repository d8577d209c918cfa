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

import asyncio
import sys
from pathlib import Path

from pagefind.index import IndexConfig, PagefindIndex


async def index_book(site: Path, src: Path) -> None:
    pages = sorted(
        md.relative_to(src).with_suffix(".html")
        for md in src.rglob("*.md")
        if md.name != "SUMMARY.md"
    )
    config = IndexConfig(root_selector="main", output_path=str(site / "pagefind"))
    async with PagefindIndex(config=config) as index:
        for rel in pages:
            html = site / rel
            if not html.is_file():
                raise SystemExit(f"error: {html} missing (is {src / rel.with_suffix('.md')} in SUMMARY.md?)")
            await index.add_html_file(content=html.read_text(encoding="utf-8"), url="/" + rel.as_posix())
    print(f"  {site}/pagefind: {len(pages)} chapter pages indexed")


async def main(pairs: list[str]) -> None:
    if not pairs:
        raise SystemExit(__doc__)
    for pair in pairs:
        site, _, src = pair.partition(":")
        await index_book(Path(site), Path(src))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))

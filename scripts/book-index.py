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
import re
import sys
from pathlib import Path

from pagefind.index import IndexConfig, PagefindIndex

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


async def index_book(site: Path, src: Path) -> None:
    pages = sorted(
        md.relative_to(src).with_suffix(".html")
        for md in src.rglob("*.md")
        if md.name != "SUMMARY.md"
    )
    config = IndexConfig(root_selector="main", output_path=str(site / "pagefind"))
    indexed = 0
    index = PagefindIndex(config=config)
    await index.__aenter__()
    try:
        for rel in pages:
            html = site / rel
            if not html.is_file():
                # scripts/book-check.py reports it (page not in SUMMARY.md?)
                print(f"  skipped {src / rel.with_suffix('.md')}: {html} was not built")
                continue
            await index.add_html_file(content=split_han(html.read_text(encoding="utf-8")), url="/" + rel.as_posix())
            indexed += 1
        await index.write_files()
    except BaseException:
        await index.__aexit__(*sys.exc_info())  # stops the service, writes nothing
        raise
    await finish_writing(index)
    print(f"  {site}/pagefind: {indexed} chapter pages indexed")


async def finish_writing(index: PagefindIndex) -> None:
    """Lets the Pagefind service finish writing the files, then exit.

    The wrapper's own close() terminates the service the moment it has answered
    WriteFiles, and the service may not have written everything yet: on a busy
    machine pagefind-ui.js was once cut off at 96 KiB, and every Chinese page had
    a script error. Closed standard input ends the service normally, after its
    writes (pagefind 1.5.2; the wrapper has no public call for this).
    """
    service = index._service
    service._backend.stdin.close()
    code = await asyncio.wait_for(service._backend.wait(), timeout=60)
    service._poll_task.cancel()
    if code != 0:
        raise SystemExit(f"error: the Pagefind service exited with {code} while writing the index")


async def main(pairs: list[str]) -> None:
    if not pairs:
        raise SystemExit(__doc__)
    for pair in pairs:
        site, _, src = pair.partition(":")
        await index_book(Path(site), Path(src))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Truth checks for the book (run by `scripts/book.sh check` after a build).

Sources (book/zh/src, book/en/src):
  sources   Every include target is resolved from the page's own folder and
            then read as if from src/ (so src/classroom/x.md writes
            ../../../../crates/… for ../../../crates/…). Rust fences hold only
            include lines, from ../../../crates/ or from an exercise's
            ../../../exercises/<id>/solution/ or starter/ (.rs files, the
            tested reference solutions and starters); every other include
            comes from ../../generated/, ../../../scripts/python/ (the tested
            Python twins) or, outside a fence, is an exercise's statement,
            ../../../exercises/<id>/README.md or README.zh.md, by anchor (so
            not its H1 and repo-relative link); code is included by anchor,
            not line numbers; no pasted Rust in other fences; code includes
            sit inside a fence.
  parity    zh and en: same pages, same SUMMARY order, and per page the same
            heading levels in order, the same include targets in order and the
            same images in order; every page is listed in SUMMARY.md. Each book
            may include its own language's file: README.zh.md and README.md
            count as the same target, and so do names ending -zh.txt / -en.txt
            and -zh.png / -en.png (and .svg); a zh page must take the zh one, an en page
            the en one.
Build (target/book, target/book-logs):
  log       no ERROR or WARN line in mdBook's log (it exits 0 on a missing include).
  html      no unexpanded {{# in any page; no empty code block (a missing
            anchor renders one silently); every page has its <html lang>.
  links     every internal href/src points to a file in the built site and
            every #fragment to an id on the target page; no external scripts,
            styles or images (the book works offline).
  search    each book has a Pagefind index in its language with one entry per chapter.

Python 3 standard library only. Exits 1 and lists every problem when a check fails.
"""

import argparse
import json
import posixpath
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Optional
from urllib.parse import unquote, urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BOOKS = {"zh": "zh-CN", "en": "en"}

INCLUDE_RE = re.compile(r"(?<!\\)\{\{#(include|rustdoc_include|playground)\s+([^}\s]+)[^}]*\}\}")
CODE_PREFIX = "../../../crates/"
OUTPUT_PREFIX = "../../generated/"
# Our Python twins of the four programs (run by the crates' interop tests).
PYTHON_PREFIX = "../../../scripts/python/"
# The exercises (their own workspace; `cargo lab verify` proves every starter
# fails and every reference solution passes): code from solution/ or starter/,
# statements from README.md / README.zh.md by anchor.
EXERCISES_PREFIX = "../../../exercises/"
EXERCISE_CODE_RE = re.compile(r"\.\./\.\./\.\./exercises/[a-z0-9][a-z0-9-]*/(?:solution|starter)/[\w-]+\.rs(?::[A-Za-z_][\w-]*)?")
EXERCISE_STATEMENT_RE = re.compile(r"\.\./\.\./\.\./exercises/[a-z0-9][a-z0-9-]*/README(?:\.zh)?\.md:[A-Za-z_][\w-]*")
# Files that exist once per language: the same target in both books' parity.
LANG_FILE_RE = re.compile(r"(?:/README(\.zh)?\.md|-(zh|en)\.(?:txt|png|svg))(?=:|$)")
FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
HEADING_RE = re.compile(r"^ {0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$")
IMAGE_MD_RE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")
IMAGE_HTML_RE = re.compile(r"<img\b[^>]*\bsrc\s*=\s*[\"']([^\"']+)", re.I)
# Lines that look like Rust typed into a fence instead of included from a crate.
PASTED_RUST_RE = re.compile(
    r"^\s*(?:(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?fn\s+\w+\s*[(<]"
    r"|use\s+(?:std|core|anyhow|tokio|socket2|mio|crate|super)::"
    r"|let\s+(?:mut\s+)?\w+\s*(?::[^=]+)?=[^=]"
    r"|impl\b.*\{\s*$"
    r"|#\[(?:derive|test|tokio::main)\b)"
)
NOT_RUST_LANGS = {"python", "py", "python3"}


def rel(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return str(path)


# ---------------------------------------------------------------- sources ---


class Page:
    """What the checks need from one Markdown page."""

    def __init__(self, path: Path, src: "Optional[Path]" = None):
        self.path = path
        # the page's folder inside src ("" for src itself, "classroom", …)
        self.folder = path.parent.relative_to(src).as_posix() if src else ""
        if self.folder == ".":
            self.folder = ""
        self.headings: list[str] = []  # "#", "##", … in order
        self.includes: list[str] = []  # include targets (with :anchor) resolved as if from src/, in order
        self.images: list[str] = []
        self.problems: list[str] = []
        self._scan(path.read_text(encoding="utf-8"))

    def _scan(self, text: str) -> None:
        fence = None  # (char, length, lang) while inside a fence
        in_comment = False
        for number, line in enumerate(text.splitlines(), 1):
            where = f"{rel(self.path)}:{number}"
            if fence is None:
                if in_comment:
                    in_comment = "-->" not in line
                    continue
                if "<!--" in line and "-->" not in line.split("<!--", 1)[1]:
                    in_comment = True
                    continue
                match = FENCE_RE.match(line)
                if match:
                    marker, info = match.group(2), match.group(3).strip()
                    if marker[0] == "`" and "`" in info:
                        pass  # inline code such as ```x``` on one line, not a fence
                    else:
                        lang = re.split(r"[,\s{]", info, maxsplit=1)[0].lower() if info else ""
                        fence = (marker[0], len(marker), lang)
                        continue
                match = HEADING_RE.match(line)
                if match:
                    self.headings.append(match.group(1))
                for target in IMAGE_MD_RE.findall(line) + IMAGE_HTML_RE.findall(line):
                    self.images.append(target)
                for _, written in INCLUDE_RE.findall(line):
                    target = self.resolve(written)
                    self.includes.append(target)
                    self._check_target(target, written, where)
                    if target.startswith(CODE_PREFIX) or EXERCISE_CODE_RE.fullmatch(target):
                        self.problems.append(f"{where}: code include outside a code fence: {written}")
                    elif EXERCISE_STATEMENT_RE.fullmatch(target):
                        self._check_anchor(written, where)
                continue

            # inside a fence
            char, length, lang = fence
            stripped = line.strip()
            if stripped and set(stripped) == {char} and len(stripped) >= length:
                fence = None
                continue
            includes = [(written, self.resolve(written)) for _, written in INCLUDE_RE.findall(line)]
            for written, target in includes:
                self.includes.append(target)
                self._check_target(target, written, where)
                if EXERCISE_STATEMENT_RE.fullmatch(target):
                    self.problems.append(f"{where}: an exercise's statement is Markdown: include it outside a fence: {written}")
            if lang in ("rust", "rs"):
                only_include = re.fullmatch(r"\s*" + INCLUDE_RE.pattern + r"\s*", line)
                if stripped and not only_include:
                    self.problems.append(
                        f"{where}: a rust fence may only hold {{{{#include {CODE_PREFIX}…}}}} lines, found: {stripped[:70]}"
                    )
                for written, target in includes:
                    if not (target.startswith(CODE_PREFIX) or EXERCISE_CODE_RE.fullmatch(target)):
                        self.problems.append(
                            f"{where}: a rust fence must include from {CODE_PREFIX} or an exercise's "
                            f"{EXERCISES_PREFIX}<id>/solution/ or starter/, not {written}"
                        )
            elif lang not in NOT_RUST_LANGS and not includes and PASTED_RUST_RE.match(line):
                self.problems.append(
                    f"{where}: looks like pasted Rust in a ```{lang or '(no language)'} fence "
                    f"(include it from a crate instead): {stripped[:70]}"
                )
        if fence is not None:
            self.problems.append(f"{rel(self.path)}: a code fence is never closed")

    def resolve(self, written: str) -> str:
        """An include target as mdBook finds it (from the page's folder), written as if from src/."""
        path, colon, anchor = written.partition(":")
        resolved = posixpath.normpath(posixpath.join(self.folder, path)) if path else path
        return resolved + colon + anchor

    def _check_anchor(self, written: str, where: str) -> None:
        """A Markdown include whose anchor is missing renders nothing, silently: look for it."""
        path, _, anchor = written.partition(":")
        file = self.path.parent / path
        try:
            text = file.read_text(encoding="utf-8")
        except OSError:
            return  # a missing file is in mdBook's log (the log check)
        for marker in (f"ANCHOR: {anchor}", f"ANCHOR_END: {anchor}"):
            if not re.search(re.escape(marker) + r"(?![\w-])", text):
                self.problems.append(f"{where}: include {written}: no `<!-- {marker} -->` line in {rel(file.resolve())}")

    def _check_target(self, target: str, written: str, where: str) -> None:
        shown = written if written == target else f"{written} (from src/: {target})"
        if not target.startswith((CODE_PREFIX, OUTPUT_PREFIX, PYTHON_PREFIX, EXERCISES_PREFIX)):
            self.problems.append(
                f"{where}: include {shown}: code comes from {CODE_PREFIX} (Python from {PYTHON_PREFIX}, "
                f"exercises from {EXERCISES_PREFIX}), program output from {OUTPUT_PREFIX}"
                + (f"; this page is in src/{self.folder}/, so add one ../ per folder" if self.folder else "")
            )
        elif target.startswith(EXERCISES_PREFIX) and not (
            EXERCISE_CODE_RE.fullmatch(target) or EXERCISE_STATEMENT_RE.fullmatch(target)
        ):
            self.problems.append(
                f"{where}: include {shown}: from an exercise, only the code of solution/ or starter/ (.rs) "
                f"or the statement, README.md / README.zh.md by anchor (e.g. :statement)"
            )
        elif target.startswith((CODE_PREFIX, EXERCISES_PREFIX)) and re.search(r":\d*:?\d*$", target) and not target.endswith(".rs"):
            # line numbers drift silently when the code changes; anchors do not
            self.problems.append(f"{where}: include {shown}: use an // ANCHOR: region, not line numbers")


def summary_entries(src: Path) -> list[tuple[str, str]]:
    """SUMMARY.md as a list of ("part", "") and ("page", "file.md") in order."""
    entries = []
    for line in (src / "SUMMARY.md").read_text(encoding="utf-8").splitlines():
        if re.match(r"^#\s", line) and entries:  # the first "# …" is the book's title line
            entries.append(("part", ""))
        elif line.startswith("#"):
            entries.append(("title", ""))
        elif line.strip() == "---":
            entries.append(("separator", ""))
        for target in re.findall(r"\]\(([^)]+\.md)\)", line):
            depth = (len(line) - len(line.lstrip())) // 2
            entries.append(("page", f"{depth}:{target}"))
    return [entry for entry in entries if entry[0] != "title"]


def check_sources(book_dir: Path) -> tuple[list[str], list[str]]:
    source_problems: list[str] = []
    parity_problems: list[str] = []
    pages: dict[str, dict[str, Page]] = {}
    summaries = {}
    for lang in BOOKS:
        src = book_dir / lang / "src"
        pages[lang] = {
            md.relative_to(src).as_posix(): Page(md, src) for md in sorted(src.rglob("*.md")) if md.name != "SUMMARY.md"
        }
        for page in pages[lang].values():
            source_problems += page.problems
        summaries[lang] = summary_entries(src)
        listed = {entry.split(":", 1)[1] for kind, entry in summaries[lang] if kind == "page"}
        for name in sorted(set(pages[lang]) - listed):
            parity_problems.append(f"book/{lang}/src/{name}: not listed in SUMMARY.md, so never built")

    if summaries["zh"] != summaries["en"]:
        parity_problems.append(
            "SUMMARY.md differs in structure (parts, pages, nesting, order):\n"
            f"      zh: {[e[1] or e[0] for e in summaries['zh']]}\n"
            f"      en: {[e[1] or e[0] for e in summaries['en']]}"
        )
    for name in sorted(set(pages["zh"]) ^ set(pages["en"])):
        lang = "zh" if name in pages["zh"] else "en"
        other = "en" if lang == "zh" else "zh"
        parity_problems.append(f"book/{lang}/src/{name} has no twin book/{other}/src/{name}")
    for name in sorted(set(pages["zh"]) & set(pages["en"])):
        zh, en = pages["zh"][name], pages["en"][name]
        for what in ("headings", "includes", "images"):
            a, b = getattr(zh, what), getattr(en, what)
            if what != "headings":
                a, b = [any_language(x) for x in a], [any_language(x) for x in b]
            if a != b:
                parity_problems.append(f"{name}: {what} differ\n      zh: {a}\n      en: {b}")
        for lang, page in (("zh", zh), ("en", en)):
            for target in page.includes + page.images:
                if language_of(target) not in (None, lang):
                    parity_problems.append(
                        f"book/{lang}/src/{name}: {target} is the {language_of(target)} file; "
                        f"this book takes its own language's"
                    )
    return source_problems, parity_problems


def language_of(target: str) -> "Optional[str]":
    """"zh" or "en" for a file that exists once per language, else None."""
    match = LANG_FILE_RE.search(target)
    if not match:
        return None
    if match.group(2):
        return match.group(2)
    return "zh" if match.group(1) else "en"


def any_language(target: str) -> str:
    """The target with its language taken out, for comparing the two books."""
    def neutral(match: re.Match) -> str:
        text = match.group(0)
        if text.startswith("/README"):
            return "/README.{lang}.md"
        return "-{lang}" + text[3:]

    return LANG_FILE_RE.sub(neutral, target)


# ------------------------------------------------------------------ build ---


def check_logs(logs: Path) -> list[str]:
    problems = []
    for lang in BOOKS:
        log = logs / f"{lang}.log"
        if not log.is_file():
            problems.append(f"{rel(log)} missing (build with scripts/book.sh build)")
            continue
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            if re.search(r"\b(ERROR|WARN)\b", line):
                problems.append(f"{rel(log)}: {line.strip()}")
    return problems


class HtmlFacts(HTMLParser):
    """Links, ids, <base>, <html lang> and empty code blocks of one page."""

    LINK_ATTRS = {"a": "href", "link": "href", "script": "src", "img": "src", "source": "src", "iframe": "src"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[tuple[str, str]] = []  # (tag, url)
        self.base = None
        self.lang = None
        self.empty_code = 0
        self._pre = 0
        self._code_text = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.ids.add(attrs[key])
        if tag == "html":
            self.lang = attrs.get("lang")
        elif tag == "base" and attrs.get("href"):
            self.base = attrs["href"]
        elif tag == "pre":
            self._pre += 1
        elif tag == "code" and self._pre:
            self._code_text = ""
        attr = self.LINK_ATTRS.get(tag)
        if attr and attrs.get(attr) is not None:
            if tag == "link" and "stylesheet" not in (attrs.get("rel") or "") and "icon" not in (attrs.get("rel") or ""):
                return
            self.links.append((tag, attrs[attr]))

    def handle_endtag(self, tag):
        if tag == "pre" and self._pre:
            self._pre -= 1
        elif tag == "code" and self._code_text is not None:
            if not self._code_text.strip():
                self.empty_code += 1
            self._code_text = None

    def handle_data(self, data):
        if self._code_text is not None:
            self._code_text += data


def site_pages(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*.html") if "pagefind" not in p.relative_to(site).parts)


def parse_pages(site: Path) -> dict[Path, HtmlFacts]:
    facts = {}
    for page in site_pages(site):
        parser = HtmlFacts()
        parser.feed(page.read_text(encoding="utf-8"))
        facts[page] = parser
    return facts


def check_html(site: Path, facts: dict[Path, HtmlFacts], book_dir: Path) -> list[str]:
    problems = []
    for page, parsed in facts.items():
        text = page.read_text(encoding="utf-8")
        for match in re.finditer(r"\{\{#[^}\n]{0,80}", text):
            problems.append(f"{rel(page)}: unexpanded {match.group(0)!r} (missing include file?)")
        if parsed.empty_code:
            problems.append(f"{rel(page)}: {parsed.empty_code} empty code block(s) (missing ANCHOR or empty file?)")
        parts = page.relative_to(site).parts
        if len(parts) > 1 and parts[0] in BOOKS and parsed.lang != BOOKS[parts[0]]:
            problems.append(f"{rel(page)}: <html lang={parsed.lang!r}>, expected {BOOKS[parts[0]]!r}")
    for lang in BOOKS:
        src = book_dir / lang / "src"
        for md in sorted(src.rglob("*.md")):
            if md.name != "SUMMARY.md" and not (site / lang / md.relative_to(src).with_suffix(".html")).is_file():
                problems.append(f"{rel(md)} was not rendered (SUMMARY.md entry missing or malformed?)")
    return problems


def check_links(site: Path, facts: dict[Path, HtmlFacts], base: str) -> list[str]:
    problems = []
    origin = "http://book.invalid"
    for page, parsed in facts.items():
        page_url = origin + base + page.relative_to(site).as_posix()
        doc_url = urljoin(page_url, parsed.base) if parsed.base else page_url
        seen = set()
        for tag, url in parsed.links:
            if (tag, url) in seen:
                continue
            seen.add((tag, url))
            scheme = urlsplit(url).scheme
            if url.startswith("//") or scheme in ("http", "https"):
                if tag != "a":
                    problems.append(f"{rel(page)}: external <{tag}> {url} (the book must work offline)")
                continue
            if scheme in ("mailto", "data", "javascript", "tel"):
                continue
            # "#x" means this page, even under mdBook's <base> on 404.html
            target = urlsplit(urljoin(page_url if url.startswith("#") else doc_url, url))
            if f"{target.scheme}://{target.netloc}" != origin or not target.path.startswith(base):
                problems.append(f"{rel(page)}: {url} leaves the site")
                continue
            path = unquote(target.path[len(base) :])
            if path == "" or path.endswith("/"):
                path += "index.html"
            file = site / posixpath.normpath(path)
            if not file.is_file():
                problems.append(f"{rel(page)}: broken link {url} (no {rel(file)})")
                continue
            fragment = unquote(target.fragment)
            if fragment and file.suffix == ".html":
                target_facts = facts.get(file)
                if target_facts is not None and fragment not in target_facts.ids:
                    problems.append(f"{rel(page)}: {url}: no id {fragment!r} in {rel(file)}")
    return problems


def check_search(site: Path, book_dir: Path) -> list[str]:
    problems = []
    for lang, html_lang in BOOKS.items():
        entry = site / lang / "pagefind" / "pagefind-entry.json"
        if not entry.is_file():
            problems.append(f"{rel(entry)} missing (no search index)")
            continue
        languages = json.loads(entry.read_text(encoding="utf-8")).get("languages", {})
        chapters = sum(1 for md in (book_dir / lang / "src").rglob("*.md") if md.name != "SUMMARY.md")
        expected = {html_lang.lower(): chapters}
        found = {key: value.get("page_count") for key, value in languages.items()}
        if found != expected:
            problems.append(f"{rel(entry)}: indexed {found}, expected {expected}")
    return problems


# ------------------------------------------------------------------- main ---


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", default="target/book", help="built site (default target/book)")
    parser.add_argument("--logs", default="target/book-logs", help="mdBook logs (default target/book-logs)")
    parser.add_argument("--book", default="book", help="book sources (default book)")
    parser.add_argument("--base", default="/", help="URL path the site is served under (default /)")
    parser.add_argument("--sources-only", action="store_true", help="only the source and parity checks")
    args = parser.parse_args()
    site, logs, book_dir = (ROOT / args.site, ROOT / args.logs, ROOT / args.book)
    base = "/" + args.base.strip("/") + "/" if args.base.strip("/") else "/"

    source_problems, parity_problems = check_sources(book_dir)
    results = [("sources", source_problems), ("parity", parity_problems)]
    if not args.sources_only:
        facts = parse_pages(site)
        results += [
            ("log", check_logs(logs)),
            ("html", check_html(site, facts, book_dir)),
            ("links", check_links(site, facts, base)),
            ("search", check_search(site, book_dir)),
        ]
    failed = 0
    for name, problems in results:
        if problems:
            failed += 1
            print(f"FAIL {name}: {len(problems)} problem(s)")
            for problem in problems:
                print(f"  - {problem}")
        else:
            print(f"ok   {name}")
    if failed:
        print(f"error: {failed} book check(s) failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

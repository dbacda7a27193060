"""Reading articles from .txt, .jsonl and .html files, directories, stdin and the web.

A file that cannot be read as an article is reported through `on_skip` with its name and the
reason, and the other inputs go on: nothing is dropped silently. Web inputs (article URLs,
feeds, sitemaps, files of URLs) are article sources made by `mauqif.annotate.intake`; a page
that cannot be fetched is reported the same way, with its URL.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from .exceptions import InputError, raise_input_error
from .tables import jsonl_objects

BLOCK_END = re.compile(
    r"</(?:p|h[1-6]|li|div|blockquote|section|article|tr|figcaption)\s*>|<br\s*/?>", re.I
)
SUFFIXES = {
    ".txt": "txt",
    ".text": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".html": "html",
    ".htm": "html",
}
STDIN = "-"


@dataclass(frozen=True)
class Article:
    id: str
    text: str
    title: str | None = None
    url: str | None = None
    published: str | None = None
    source: str = ""
    author: str | None = None


SkipHandler = Callable[[InputError], None]


@runtime_checkable
class ArticleSource(Protocol):
    """An input that is not a file: a web page, a feed, a sitemap (see `mauqif.annotate.intake`).

    `read` yields its articles and reports each one it cannot read to `on_skip`; an error it
    raises stops this source only, and is reported with `name`.
    """

    @property
    def name(self) -> str: ...

    def read(self, on_skip: SkipHandler) -> Iterator[Article]: ...


def iter_articles(
    inputs: Iterable[str | Path | ArticleSource], on_skip: SkipHandler = raise_input_error
) -> Iterator[Article]:
    """Yield every article of the inputs, in order; report unreadable ones to `on_skip`.

    An `http(s)://` string is refused with the reason: web pages are read through an
    `intake.Intake` (its `sources` turns URLs into article sources), which owns the cache.
    """
    for item in inputs:
        if isinstance(item, ArticleSource):
            yield from _guarded(item.name, lambda i=item: i.read(on_skip), on_skip)
            continue
        if isinstance(item, str) and item.lower().startswith(("http://", "https://")):
            on_skip(
                InputError(item, "is a URL: read it through mauqif.annotate.intake.Intake.sources")
            )
            continue
        if str(item) == STDIN:
            yield from _guarded(STDIN, lambda: _read_stdin(on_skip), on_skip)
            continue
        path = Path(item)
        if path.is_dir():
            for child in sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in SUFFIXES and (p.is_file() or _is_broken_link(p))
            ):
                yield from _guarded(str(child), lambda c=child: _read_path(c, on_skip), on_skip)
        elif not path.exists():
            on_skip(InputError(str(path), "no such file or directory"))
        else:
            yield from _guarded(str(path), lambda p=path: _read_path(p, on_skip), on_skip)


def _is_broken_link(path: Path) -> bool:
    """A symlink that leads to no file (dangling, or a loop): reported when read, not passed over."""
    return path.is_symlink() and not path.exists()


def _guarded(
    source: str, read: Callable[[], Iterator[Article]], on_skip: SkipHandler
) -> Iterator[Article]:
    try:
        yield from read()
    except InputError as exc:
        on_skip(exc)
    except OSError as exc:
        on_skip(InputError(source, f"cannot be read ({exc.strerror or exc})"))


def _read_path(path: Path, on_skip: SkipHandler) -> Iterator[Article]:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            str(path),
            f"unsupported file type {path.suffix or '(none)'!r}; use .txt, .jsonl or .html",
        )
    if kind == "jsonl":
        # Streamed line by line: a JSONL collection can be larger than memory.
        with open(path, "rb") as stream:
            check_header(stream.read(8192), str(path))
            stream.seek(0)
            yield from parse_jsonl(_decoded_lines(stream, str(path), on_skip), str(path), on_skip)
        return
    text = decode(path.read_bytes(), str(path))
    if kind == "html":
        yield html_article(text, path.stem, str(path))
    else:
        yield Article(id=path.stem, text=text, source=str(path))


def _read_stdin(on_skip: SkipHandler) -> Iterator[Article]:
    text = decode(sys.stdin.buffer.read(), "<stdin>")
    first = text.lstrip()[:1]
    if first == "{":
        # Lines end at \n only: str.splitlines() also splits at U+2028, U+0085…, which JSON
        # allows inside a string.
        yield from parse_jsonl(text.split("\n"), "<stdin>", on_skip)
    elif first == "<":
        yield html_article(text, "stdin", "<stdin>")
    else:
        yield Article(id="stdin", text=text, source="<stdin>")


def _decoded_lines(stream, source: str, on_skip: SkipHandler) -> Iterator[str]:
    for lineno, raw in enumerate(stream, 1):
        if lineno == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            on_skip(InputError(f"{source}:{lineno}", f"is not UTF-8 (byte 0x{raw[exc.start]:02x})"))
            yield ""  # keep the line numbers of the lines after it right


def check_header(head: bytes, source: str) -> None:
    """Refuse empty, UTF-16 and binary files from their first bytes."""
    if not head.strip():
        raise InputError(source, "is empty")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(source, "is UTF-16, not UTF-8; convert it with `iconv -f UTF-16 -t UTF-8`")
    if b"\x00" in head:
        raise InputError(source, "is binary (it contains NUL bytes), not a text article")


def decode(data: bytes, source: str) -> str:
    """Bytes → text: UTF-8, with or without a BOM; anything else is refused with the reason."""
    check_header(data[:8192], source)
    if b"\x00" in data:
        raise InputError(source, "is binary (it contains NUL bytes), not a text article")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            source,
            f"is not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "convert it with `iconv -f <its encoding> -t UTF-8`",
        ) from None
    if not text.strip():
        raise InputError(source, "is empty")
    return text


def parse_jsonl(lines: Iterable[str], source: str, on_skip: SkipHandler) -> Iterator[Article]:
    """One article per line: `id`, `text`, optional `title`, `url`, `published`."""
    found = False
    for lineno, row in jsonl_objects(lines, source):
        if isinstance(row, InputError):
            on_skip(row)
            continue
        where = f"{source}:{lineno}"
        missing = [
            k
            for k in ("id", "text")
            if not isinstance(row.get(k), (str, int)) or str(row.get(k)).strip() == ""
        ]
        if missing:
            on_skip(InputError(where, f"missing or empty key(s) {', '.join(missing)}"))
            continue
        found = True
        yield Article(
            id=str(row["id"]),
            text=str(row["text"]),
            title=_optional(row, "title"),
            url=_optional(row, "url"),
            published=_optional(row, "published"),
            source=where,
        )
    if not found:
        raise InputError(source, "has no article lines")


def _optional(row: dict, key: str) -> str | None:
    value = row.get(key)
    return None if value is None else str(value)


def html_article(html: str, article_id: str, source: str) -> Article:
    """The main text of a web page, extracted with trafilatura (menus, footers and ads left out)."""
    import trafilatura  # imported here: it is slow to import and only HTML needs it

    # Precision mode keeps block elements on their own lines; the default mode, on short pages,
    # falls back to the element's plain text and glues a heading to the paragraph after it.
    html = BLOCK_END.sub(r"\g<0>\n", html)
    options = {"with_metadata": True, "include_comments": False, "include_tables": False}
    doc = trafilatura.bare_extraction(html, favor_precision=True, **options)
    if doc is None or not (doc.text or "").strip():
        doc = trafilatura.bare_extraction(html, **options)
    if doc is None or not (doc.text or "").strip():
        raise InputError(source, "has no main text that could be extracted from the HTML")
    return Article(
        id=article_id,
        text=doc.text,
        title=doc.title or None,
        url=doc.url or None,
        published=doc.date or None,
        source=source,
        author=doc.author or None,
    )

"""Cleaning and sentence segmentation of Urdu news text.

Rules, chosen on real Urdu news (see README, "Segmentation"):
- page furniture (read-also lines, related-article lists, share widgets) goes before splitting;
- a sentence ends at ۔ ؟ ? ! (or a Latin full stop between letters), never inside a number
  (15,000 · 3.5 · 3۔5) and never at an ellipsis (... … ۔۔۔);
- a closing quote or bracket after the full stop belongs to that sentence: Urdu closes with ‘
  (mirrored) or ”, and `’…‘۔` as well as `’…۔‘` keep the mark with their sentence;
- an unpunctuated short line is a heading or a caption, its own unit; a long line that does not
  end a sentence is hard-wrapped and continues on the next line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .exceptions import SchemaError

TERMINALS = "۔؟?!"
QUOTES = "\"'‘’“”«»‹›"
CLOSERS = QUOTES + ")]}﴾"
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
ELLIPSIS = "…"


@dataclass(frozen=True)
class CleaningRules:
    drop_line: tuple[re.Pattern, ...]
    end_of_article: tuple[re.Pattern, ...]
    drop_lines_without_arabic_script: bool
    caption_marker: re.Pattern
    short_line_chars: int


def load_cleaning_rules(path: str | Path | None = None) -> CleaningRules:
    if path is None:
        text = resources.files(__package__).joinpath("cleaning.toml").read_text("utf-8")
        source = "cleaning.toml"
    else:
        text, source = Path(path).read_text("utf-8"), str(path)
    try:
        raw = tomllib.loads(text)
        return CleaningRules(
            drop_line=tuple(re.compile(p) for p in raw["drop_line"]),
            end_of_article=tuple(re.compile(p) for p in raw["end_of_article"]),
            drop_lines_without_arabic_script=bool(raw["drop_lines_without_arabic_script"]),
            caption_marker=re.compile("|".join(raw["caption_markers"])),
            short_line_chars=int(raw["short_line_chars"]),
        )
    except (KeyError, tomllib.TOMLDecodeError, re.error) as exc:
        raise SchemaError(f"{source}: bad cleaning rules ({exc!r})") from exc


@dataclass(frozen=True)
class Span:
    """A unit of the cleaned text: `cleaned[start:end]` is its text."""

    start: int
    end: int
    kind: str  # heading | caption | sentence


def clean_text(text: str, rules: CleaningRules) -> str:
    """Drop page furniture and join hard-wrapped lines. Paragraphs stay separated by blank lines."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").split("\n")
    kept: list[str | None] = []  # None marks a paragraph break
    for raw_line in lines:
        line = raw_line.strip()
        if not line:
            kept.append(None)
            continue
        if any(p.search(line) for p in rules.end_of_article):
            break
        if any(p.search(line) for p in rules.drop_line):
            continue
        if rules.drop_lines_without_arabic_script and not ARABIC_SCRIPT.search(line):
            continue
        kept.append(line)

    out: list[str] = []
    pending_break = False
    for i, line in enumerate(kept):
        if line is None:
            pending_break = bool(out)
            continue
        if out:
            prev = kept[i - 1]
            wrapped = (
                prev is not None
                and not pending_break
                and len(prev) >= rules.short_line_chars
                and not _ends_sentence(prev)
            )
            out.append(" " if wrapped else ("\n\n" if pending_break else "\n"))
        out.append(line)
        pending_break = False
    return "".join(out)


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip(CLOSERS + " ")
    return bool(stripped) and stripped[-1] in TERMINALS + "."


def split_units(cleaned: str, rules: CleaningRules) -> list[Span]:
    """Split cleaned text into headings, captions and sentences."""
    spans: list[Span] = []
    pos = 0
    for line in cleaned.split("\n"):
        if line.strip():
            spans.extend(_split_line(line, pos, rules))
        pos += len(line) + 1
    return spans


def _split_line(line: str, offset: int, rules: CleaningRules) -> Iterator[Span]:
    if not _ends_sentence(line) and not _has_boundary(line):
        if rules.caption_marker.search(line):
            kind = "caption"
        else:
            kind = "heading" if len(line) < rules.short_line_chars else "sentence"
        yield _trimmed(line, 0, len(line), offset, kind)
        return
    start = 0
    for end in _boundaries(line):
        span = _trimmed(line, start, end, offset, "sentence")
        if span is not None:
            yield span
        start = end
    if line[start:].strip():
        yield _trimmed(line, start, len(line), offset, "sentence")


def _has_boundary(line: str) -> bool:
    return any(True for _ in _boundaries(line))


def _trimmed(line: str, start: int, end: int, offset: int, kind: str) -> Span | None:
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    if start == end:
        return None
    return Span(offset + start, offset + end, kind)


def _boundaries(line: str) -> Iterator[int]:
    """Positions just after each sentence end inside one line (the line's end excluded)."""
    n = len(line)
    i = 0
    while i < n:
        ch = line[i]
        if ch not in TERMINALS and ch != "." and ch != ELLIPSIS:
            i += 1
            continue
        run_end = i
        while run_end < n and (line[run_end] in TERMINALS or line[run_end] in ".…"):
            run_end += 1
        run = line[i:run_end]
        if not _is_boundary(line, i, run_end, run):
            i = run_end
            continue
        end = _absorb_closers(line, run_end)
        if end < n and line[end:].strip():
            yield end
        i = end


def _is_boundary(line: str, start: int, end: int, run: str) -> bool:
    if ELLIPSIS in run or "..." in run or run.count("۔") + run.count(".") > 1:
        return False  # an ellipsis never ends a sentence
    before = line[start - 1] if start > 0 else ""
    after = line[end] if end < len(line) else ""
    if before.isdigit() and after.isdigit():
        return False  # 3.5, 3۔5
    if run == ".":
        # A Latin full stop ends a sentence only between words, not in 2.0, U.N. or a URL.
        return bool(before) and before.isalpha() and (not after or after.isspace())
    return True


def _absorb_closers(line: str, i: int) -> int:
    """Move past closing quotes and brackets that belong to the sentence that just ended."""
    n = len(line)
    while True:
        j = i
        while j < n and line[j] == " ":
            j += 1
        if j < n and line[j] in CLOSERS:
            k = j + 1
            if k == n or line[k].isspace() or line[k] in CLOSERS + TERMINALS:
                # A closing mark is followed by a space or the end; an opening one by a word.
                if j > i and line[j] in "\"'’":
                    return i  # ambiguous straight or English-style quote after a space: opens
                i = k
                continue
        return i

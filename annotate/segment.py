"""Cleaning and sentence segmentation of Urdu news text.

Rules, chosen on real Urdu news (see README, "Segmentation"):
- page furniture goes before splitting: lines that match a family of patterns in cleaning.toml
  (read-also, comment and share prompts, bylines, desk and agency tags, mastheads, section labels,
  "posted on" lines, dates, continuation marks, tags), lines that are mostly Latin script, and
  label-like fragments (a few words, no verb, none of a headline's postpositions) between pieces
  of furniture or after the article's last content (a byline). A headline or sub-heading always
  has a verb or a postposition, so it survives next to furniture;
- a dateline ("پیانگ یانگ ۔ 12 مئی (ایجنسی): …") opens the first sentence: its ۔ is not a
  sentence end, and a dateline alone on a line is joined to the line after it;
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
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
WORD_PUNCTUATION = "\"'‘’“”«»()[]{}:：،,؛;.!?۔؟-–—|•·*#"
TAG_SEPARATORS = re.compile(r"[،,|#•·]")


@dataclass(frozen=True)
class StructureRules:
    """Rules for the furniture no pattern names, from the shape of a line and its neighbours."""

    fragment_max_words: int
    drop_fragments_between_furniture: bool
    byline_max_words: int
    drop_trailing_bylines: bool
    tag_list_min_items: int
    piece_separators: re.Pattern
    verb_words: frozenset[str]
    headline_words: frozenset[str]


@dataclass(frozen=True)
class CleaningRules:
    furniture: tuple[tuple[str, tuple[re.Pattern, ...]], ...]  # (family, its patterns)
    end_of_article: tuple[re.Pattern, ...]
    drop_lines_without_arabic_script: bool
    latin_share_max: float
    caption_marker: re.Pattern
    short_line_chars: int
    dateline: re.Pattern
    drop_unit: tuple[re.Pattern, ...]
    structure: StructureRules


def load_cleaning_rules(path: str | Path | None = None) -> CleaningRules:
    if path is None:
        text = resources.files(__package__).joinpath("cleaning.toml").read_text("utf-8")
        source = "cleaning.toml"
    else:
        text, source = Path(path).read_text("utf-8"), str(path)
    try:
        raw = tomllib.loads(text)
        parts = raw.get("parts", {})

        def compiled(pattern: str) -> re.Pattern:
            return re.compile(_with_parts(pattern, parts))

        structure = raw["structure"]
        return CleaningRules(
            furniture=tuple(
                (family, tuple(compiled(p) for p in patterns))
                for family, patterns in raw["furniture"].items()
            ),
            end_of_article=tuple(compiled(p) for p in raw["end_of_article"]),
            drop_lines_without_arabic_script=bool(raw["drop_lines_without_arabic_script"]),
            latin_share_max=float(raw["latin_share_max"]),
            caption_marker=compiled("|".join(raw["caption_markers"])),
            short_line_chars=int(raw["short_line_chars"]),
            dateline=compiled(raw["dateline"]),
            drop_unit=tuple(compiled(p) for p in raw["drop_unit"]),
            structure=StructureRules(
                fragment_max_words=int(structure["fragment_max_words"]),
                drop_fragments_between_furniture=bool(
                    structure["drop_fragments_between_furniture"]
                ),
                byline_max_words=int(structure["byline_max_words"]),
                drop_trailing_bylines=bool(structure["drop_trailing_bylines"]),
                tag_list_min_items=int(structure["tag_list_min_items"]),
                piece_separators=compiled(structure["piece_separators"]),
                verb_words=frozenset(structure["verb_words"]),
                headline_words=frozenset(structure["headline_words"]),
            ),
        )
    except (
        KeyError,
        TypeError,
        ValueError,
        AttributeError,
        tomllib.TOMLDecodeError,
        re.error,
    ) as exc:
        raise SchemaError(f"{source}: bad cleaning rules ({exc!r})") from exc


def _with_parts(pattern: str, parts: dict[str, str]) -> str:
    """Replace each `%name%` by the [parts] entry of that name (parts may use other parts)."""
    for _ in range(5):
        expanded = re.sub(r"%(\w+)%", lambda m: parts.get(m.group(1), m.group(0)), pattern)
        if expanded == pattern:
            break
        pattern = expanded
    return pattern


@dataclass(frozen=True)
class Span:
    """A unit of the cleaned text: `cleaned[start:end]` is its text."""

    start: int
    end: int
    kind: str  # heading | caption | sentence


def furniture_reason(line: str, rules: CleaningRules) -> str | None:
    """Why a stripped line is page furniture on its own (a family name or rule), or None."""
    family = _matching_family(line, rules)
    if family:
        return family
    if rules.drop_lines_without_arabic_script and not ARABIC_SCRIPT.search(line):
        return "no_arabic_script"
    if _mostly_latin(line, rules):
        return "mostly_latin"
    if _is_tag_list(line, rules):
        return "tag_list"
    pieces = [p for p in rules.structure.piece_separators.split(line) if p and p.strip()]
    if len(pieces) > 1 and all(_matching_family(p.strip(), rules) for p in pieces):
        return "furniture_pieces"
    return None


def _matching_family(line: str, rules: CleaningRules) -> str | None:
    for family, patterns in rules.furniture:
        if any(p.search(line) for p in patterns):
            return family
    if any(p.search(line) for p in rules.drop_unit):
        return "drop_unit"
    return None


def _mostly_latin(line: str, rules: CleaningRules) -> bool:
    latin = len(LATIN_LETTER.findall(line))
    if not latin or line.rstrip(CLOSERS + " ").endswith(("۔", "؟")):
        return False
    arabic = sum(1 for ch in line if ch.isalpha() and ARABIC_SCRIPT.match(ch))
    return latin / (latin + arabic) >= rules.latin_share_max


def _words(text: str) -> list[str]:
    """The words of a line, without the punctuation around them."""
    words = (w.strip(WORD_PUNCTUATION) for w in text.split())
    return [w for w in words if any(ch.isalnum() for ch in w)]


def _says_something(words: list[str], structure: StructureRules) -> bool:
    """A verb or a headline's postposition or conjunction: a phrase, not a label or a name."""
    return any(w in structure.verb_words or w in structure.headline_words for w in words)


def _is_fragment(line: str, max_words: int, rules: CleaningRules) -> bool:
    """A label-like line: a few words, no sentence end, no caption marker, saying nothing."""
    words = _words(line)
    return (
        0 < len(words) <= max_words
        and not _ends_sentence(line)
        and not rules.caption_marker.search(line)
        and not _says_something(words, rules.structure)
    )


def _is_tag_list(line: str, rules: CleaningRules) -> bool:
    items = [_words(item) for item in TAG_SEPARATORS.split(line)]
    items = [words for words in items if words]
    return (
        len(items) >= rules.structure.tag_list_min_items
        and not _ends_sentence(line)
        and all(len(w) <= 3 and not _says_something(w, rules.structure) for w in items)
    )


def dropped_lines(text: str, rules: CleaningRules) -> list[tuple[str, str]]:
    """Each line `clean_text` drops, with the rule that dropped it (for explaining a result)."""
    lines, reasons, end = _classified(text, rules)
    dropped = [(line, reason) for line, reason in zip(lines, reasons, strict=True) if reason]
    return dropped + [(line, "end_of_article") for line in end]


def _classified(text: str, rules: CleaningRules) -> tuple[list[str], list[str | None], list[str]]:
    """Stripped lines, the reason each is furniture (None: kept), and the lines after the end."""
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").split("\n")
    lines: list[str] = []
    reasons: list[str | None] = []
    end: list[str] = []
    for i, raw_line in enumerate(raw_lines):
        line = raw_line.strip()
        if line and any(p.search(line) for p in rules.end_of_article):
            end = [rest.strip() for rest in raw_lines[i:] if rest.strip()]
            break
        lines.append(line)
        reasons.append(furniture_reason(line, rules) if line else None)
    _mark_structural_furniture(lines, reasons, rules)
    return lines, reasons, end


def _mark_structural_furniture(
    lines: list[str], reasons: list[str | None], rules: CleaningRules
) -> None:
    structure = rules.structure
    present = [i for i, line in enumerate(lines) if line]
    if structure.drop_fragments_between_furniture:
        run: list[int] = []
        for k, i in enumerate(present + [None]):
            if (
                i is not None
                and reasons[i] is None
                and _is_fragment(lines[i], structure.fragment_max_words, rules)
            ):
                run.append(i)
                continue
            if run:
                before = k - len(run) - 1
                side_before = reasons[present[before]] if before >= 0 else "start"
                side_after = reasons[i] if i is not None else "end"
                real = {side_before, side_after} - {"start", "end", None}
                if side_before and side_after and real:
                    for j in run:
                        reasons[j] = "between_furniture"
                run = []
    if structure.drop_trailing_bylines:
        trailing: list[int] = []
        for i in reversed(present):
            if reasons[i]:
                continue
            if not _is_fragment(lines[i], structure.byline_max_words, rules):
                for j in trailing:  # only when content comes before: never the whole article
                    reasons[j] = "trailing_byline"
                break
            trailing.append(i)


def clean_text(text: str, rules: CleaningRules) -> str:
    """Drop page furniture and join hard-wrapped lines. Paragraphs stay separated by blank lines."""
    lines, reasons, _ = _classified(text, rules)
    out: list[str] = []
    pending_break = False
    previous = ""
    for line, reason in zip(lines, reasons, strict=True):
        if reason:
            continue
        if not line:
            pending_break = bool(out)
            continue
        if out:
            if _is_dateline_only(previous, rules):
                out.append(" ")  # a dateline alone on its line opens the sentence after it
            elif (
                not pending_break
                and len(previous) >= rules.short_line_chars
                and not _ends_sentence(previous)
            ):
                out.append(" ")  # hard-wrapped
            else:
                out.append("\n\n" if pending_break else "\n")
        out.append(line)
        previous = line
        pending_break = False
    return "".join(out)


def _dateline(line: str, rules: CleaningRules) -> re.Match | None:
    """The dateline opening the line, if any: its place must be a name, not a short sentence."""
    match = rules.dateline.match(line)
    if match is None:
        return None
    place = re.split(r"[۔(]", match.group(0), maxsplit=1)[0]
    return None if _says_something(_words(place), rules.structure) else match


def _dateline_end(line: str, rules: CleaningRules) -> int:
    """Where a dateline with a ۔ inside it ends at the start of the line (0: there is none)."""
    match = _dateline(line, rules)
    return match.end() if match and "۔" in match.group(0) else 0


def _is_dateline_only(line: str, rules: CleaningRules) -> bool:
    match = _dateline(line, rules)
    return bool(match and match.end() == len(line) and ("۔" in line or line[-1] in ":：—–-"))


def _ends_sentence(line: str) -> bool:
    stripped = line.rstrip(CLOSERS + " ")
    return bool(stripped) and stripped[-1] in TERMINALS + "."


def split_units(cleaned: str, rules: CleaningRules) -> list[Span]:
    """Split cleaned text into headings, captions and sentences."""
    spans: list[Span] = []
    pos = 0
    for line in cleaned.split("\n"):
        if line.strip():
            spans.extend(
                span
                for span in _split_line(line, pos, rules)
                if not any(p.search(cleaned[span.start : span.end]) for p in rules.drop_unit)
            )
        pos += len(line) + 1
    return spans


def _split_line(line: str, offset: int, rules: CleaningRules) -> Iterator[Span]:
    dateline_end = _dateline_end(line, rules)
    if not _ends_sentence(line) and not _has_boundary(line, dateline_end):
        if rules.caption_marker.search(line):
            kind = "caption"
        else:
            kind = "heading" if len(line) < rules.short_line_chars else "sentence"
        yield _trimmed(line, 0, len(line), offset, kind)
        return
    start = 0
    for end in _boundaries(line, dateline_end):
        span = _trimmed(line, start, end, offset, "sentence")
        if span is not None:
            yield span
        start = end
    if line[start:].strip():
        yield _trimmed(line, start, len(line), offset, "sentence")


def _has_boundary(line: str, dateline_end: int = 0) -> bool:
    return any(True for _ in _boundaries(line, dateline_end))


def _trimmed(line: str, start: int, end: int, offset: int, kind: str) -> Span | None:
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    if start == end:
        return None
    return Span(offset + start, offset + end, kind)


def _boundaries(line: str, dateline_end: int = 0) -> Iterator[int]:
    """Positions just after each sentence end inside one line (the line's end excluded).

    A ۔ before `dateline_end` belongs to the dateline that opens the line, not a sentence end.
    """
    n = len(line)
    i = dateline_end
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

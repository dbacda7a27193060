"""Cleaning and sentence segmentation of Urdu news text.

Rules, chosen on real Urdu news (see README, "Segmentation"):
- page furniture goes before splitting: lines that match a family of patterns in cleaning.toml
  (read-also, comment and share prompts, bylines, desk and agency tags, mastheads, section labels,
  "posted on" lines, dates, continuation marks, tags), lines that are mostly Latin script, and
  label-like fragments (a few words, no verb, none of a headline's postpositions) between pieces
  of furniture or after the article's last content (a byline). A headline or sub-heading always
  has a verb or a postposition, so it survives next to furniture;
- prompts and forms by their shape (`[prompts]`: a short line naming the page's machinery that
  ends with an imperative or addresses the reader, and reports no one), and the headlines listed
  under a related-stories header; lines the page's site repeats on its other stories are
  furniture too, when the caller knows them (`sitelines`, via `pipeline.Segmenter.iter_units`);
- a dateline ("پیانگ یانگ ۔ 12 مئی (ایجنسی): …") opens the first sentence: its ۔ is not a
  sentence end, and a dateline alone on a line is joined to the line after it;
- a sentence ends at ۔ ؟ ? ! (or a Latin full stop between letters), never inside a number
  (15,000 · 3.5 · 3۔5), never at an ellipsis (... … ۔۔۔), never at an initial's dot ("ایس۔ جے۔",
  "S. Kumar") and never inside a short bracket ("(… آن لائن۔ 13 مارچ)");
- a closing quote or bracket after the full stop belongs to that sentence: Urdu closes with ‘
  (mirrored) or ”, and `’…‘۔` as well as `’…۔‘` keep the mark with their sentence;
- an unpunctuated short line is a heading or a caption, its own unit; a long line that does not
  end a sentence is hard-wrapped and continues on the next line, unless it ends with a finite
  verb ("ہے", "گئے") and the next line does not go on ("کہ", "جو"): a paragraph without its ۔;
- a unit longer than `max_unit_chars` is cut at the best boundary available (clause punctuation,
  then whitespace, then anywhere outside a character cluster), each piece noted, never dropped;
- invisible characters that could make the text read differently (bidi controls and the like,
  see `normalize.visible_text`) are removed first, so offsets index the text as shown.

Every stage is linear in the input: regexes scan a line once, nothing slices or splits a line
per piece of it, and a line longer than `max_unit_chars` is text, never matched against the
furniture patterns (furniture is short, and no pattern may drop a page's worth of text).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from importlib import resources
from itertools import islice
from pathlib import Path

from .exceptions import SchemaError
from .normalize import ZWJ, ZWNJ, visible_text
from .sitelines import line_key

TERMINALS = "۔؟?!"
QUOTES = "\"'‘’“”«»‹›"
CLOSERS = QUOTES + ")]}﴾"
ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
ARABIC_LETTER = re.compile(r"(?=[^\W\d_])[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
ELLIPSIS = "…"
LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")
WORD_PUNCTUATION = "\"'‘’“”«»()[]{}:：،,؛;.!?۔؟-–—|•·*#"
TAG_SEPARATORS = re.compile(r"[،,|#•·]")
WORD = re.compile(r"\S+")
SPLIT_CHARS = 10_000  # up to this, str.split is the fastest way to words; past it, finditer
SENTENCE_MARKS = re.compile(r"[۔؟?!.…]")
SENTENCE_MARK_RUN = re.compile(r"[۔؟?!.…]+")
# Where a long unit is best cut: after clause punctuation, else at a space.
CLAUSE_MARKS = "،؛;,:：—–"
SPACES = " \t\u00a0\u2009\u202f\u3000"
DEFAULT_MAX_UNIT_CHARS = 2000
MIN_MAX_UNIT_CHARS = 100
DATELINE_MAX_CHARS = 300  # a dateline (place, date, agency) is never longer: look no further


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
    final_verbs: frozenset[str] = frozenset()
    continuation_words: frozenset[str] = frozenset()
    related_list_min_items: int = 0  # 0: off


@dataclass(frozen=True)
class PromptRules:
    """A prompt or a form addresses the reader about the page itself, in a few words (at most
    `max_words`, none of `report_words`: a sentence that reports someone is news): a word of the
    page's machinery (`ui_words`: app, e-mail, comment, login…) with an imperative as its last
    word (`imperatives`) or a word for the reader (`reader_words`); or a word that names the
    machinery only in a prompt (`medium_words`: channel, link, video, answer…) with an
    imperative as its last word."""

    max_words: int = 0
    ui_words: tuple[str, ...] = ()
    medium_words: tuple[str, ...] = ()
    imperatives: frozenset[str] = frozenset()
    reader_words: frozenset[str] = frozenset()
    report_words: frozenset[str] = frozenset()

    def __post_init__(self):
        object.__setattr__(self, "_ui", _any_word(self.ui_words))
        object.__setattr__(self, "_medium", _any_word(self.medium_words))


def _any_word(entries: Iterable[str]) -> re.Pattern:
    """A regex finding any of `entries` as whole words in words joined by single spaces (an
    entry of several words, "ای میل", may also be written as one)."""
    words = sorted(entries, key=len, reverse=True)
    pattern = "|".join(r"\s*".join(map(re.escape, w.split())) for w in words)
    return re.compile(rf"(?:^|\s)(?:{pattern})(?=\s|$)" if words else "(?!)")


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
    max_unit_chars: int = DEFAULT_MAX_UNIT_CHARS
    prompts: PromptRules = PromptRules()
    # Letter names ("ایس", "جے"): a ۔ right after one inside a line is an initial's dot.
    abbreviation_letters: frozenset[str] = frozenset()
    # Letter names that are also common words ("کے", "سی"): an initial only after another one.
    ambiguous_letters: frozenset[str] = frozenset()

    def __post_init__(self):
        # Each family's patterns as one regex, in the families' order (see `_matching_family`).
        families = [(family, _any_of(patterns)) for family, patterns in self.furniture]
        families.append(("drop_unit", _any_of(self.drop_unit)))
        object.__setattr__(self, "_families", tuple(families))


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
        prompts = raw.get("prompts", {})
        letters = raw.get("abbreviations", {})
        max_unit_chars = int(raw.get("max_unit_chars", DEFAULT_MAX_UNIT_CHARS))
        if max_unit_chars < MIN_MAX_UNIT_CHARS:
            raise ValueError(f"max_unit_chars must be at least {MIN_MAX_UNIT_CHARS}")
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
            dateline=re.compile(_possessive_spaces(_with_parts(raw["dateline"], parts))),
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
                final_verbs=frozenset(structure.get("final_verbs", ())),
                continuation_words=frozenset(structure.get("continuation_words", ())),
                related_list_min_items=int(structure.get("related_list_min_items", 0)),
            ),
            max_unit_chars=max_unit_chars,
            prompts=PromptRules(
                max_words=int(prompts.get("max_words", 0)),
                ui_words=tuple(prompts.get("ui_words", ())),
                medium_words=tuple(prompts.get("medium_words", ())),
                imperatives=frozenset(prompts.get("imperatives", ())),
                reader_words=frozenset(prompts.get("reader_words", ())),
                report_words=frozenset(prompts.get("report_words", ())),
            ),
            abbreviation_letters=frozenset(letters.get("letters", ())),
            ambiguous_letters=frozenset(letters.get("ambiguous", ())),
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


def _any_of(patterns: tuple[re.Pattern, ...]) -> re.Pattern:
    """One regex that matches where any of `patterns` does: one scan of a line, not one per
    pattern (a leading `(?i)` becomes a scoped `(?i:…)`)."""
    bodies = []
    for p in patterns:
        flags = re.match(r"\(\?([aiLmsux]+)\)", p.pattern)
        body = p.pattern[flags.end() :] if flags else p.pattern
        bodies.append(f"(?{flags.group(1)}:{body})" if flags else f"(?:{body})")
    return re.compile("|".join(bodies) if bodies else "(?!)")  # none: matches nothing


def _possessive_spaces(pattern: str) -> str:
    """`\\s*` → `\\s*+` and `\\s+` → `\\s++`: once spaces are taken they are never given back.

    Without it, a dateline pattern tried on a line with a long run of spaces backtracks through
    every split of the run (quadratic). Safe for the dateline, where what follows a run of
    spaces never starts with a space.
    """
    return re.sub(r"\\s([*+])(?![+?])", r"\\s\1+", pattern)


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
    note: str = ""  # why the unit is not what the rules alone would make ("cut: …")


def furniture_reason(line: str, rules: CleaningRules) -> str | None:
    """Why a stripped line is page furniture on its own (a family name or rule), or None.

    A line longer than `rules.max_unit_chars` is judged by its script only: it is text, and no
    pattern of furniture (short by nature) may drop it.
    """
    short = len(line) <= rules.max_unit_chars
    line = _squeezed(line)
    family = _matching_family(line, rules) if short else None
    if family:
        return family
    if rules.drop_lines_without_arabic_script and not ARABIC_SCRIPT.search(line):
        return "no_arabic_script"
    if _mostly_latin(line, rules):
        return "mostly_latin"
    if short and _is_tag_list(line, rules):
        return "tag_list"
    if short and _is_prompt(line, rules.prompts):
        return "prompt"
    if short:
        pieces = [p for p in rules.structure.piece_separators.split(line) if p and p.strip()]
        # A piece without Arabic script (a date or a name in Latin letters) is furniture too.
        if len(pieces) > 1 and all(
            _matching_family(p.strip(), rules) or not ARABIC_SCRIPT.search(p) for p in pieces
        ):
            return "furniture_pieces"
    return None


def _matching_family(line: str, rules: CleaningRules) -> str | None:
    for family, pattern in rules._families:
        if pattern.search(line):
            return family
    return None


def _mostly_latin(line: str, rules: CleaningRules) -> bool:
    if not LATIN_LETTER.search(line) or _ends_sentence(line, "۔؟"):
        return False
    # Counted by what a substitution removes: one pass in C, no list of matches.
    latin = len(line) - len(LATIN_LETTER.sub("", line))
    arabic = len(line) - len(ARABIC_LETTER.sub("", line))
    return latin / (latin + arabic) >= rules.latin_share_max


def _words(text: str, limit: int | None = None) -> list[str]:
    """The words of a line, without the punctuation around them (at most `limit` of them: the
    rules that count words need only a few, and a line can be megabytes long)."""
    tokens = text.split() if len(text) <= SPLIT_CHARS else (m.group() for m in WORD.finditer(text))
    words = (w.strip(WORD_PUNCTUATION) for w in tokens)
    return list(islice((w for w in words if any(ch.isalnum() for ch in w)), limit))


def _says_something(words: list[str], structure: StructureRules) -> bool:
    """A verb or a headline's postposition or conjunction: a phrase, not a label or a name."""
    return any(w in structure.verb_words or w in structure.headline_words for w in words)


def _is_fragment(line: str, max_words: int, rules: CleaningRules) -> bool:
    """A label-like line: a few words, no sentence end, no caption marker, saying nothing."""
    words = _words(line, max_words + 1)
    return (
        0 < len(words) <= max_words
        and not _ends_sentence(line)
        and not rules.caption_marker.search(line)
        and not _says_something(words, rules.structure)
    )


PROMPT_CHARS_PER_WORD = 12  # a line longer than this per allowed word has too many words


def _is_prompt(line: str, prompts: PromptRules) -> bool:
    """An app, comment, share, login or subscribe prompt, or a form's label (see PromptRules)."""
    if not prompts.max_words or len(line) > PROMPT_CHARS_PER_WORD * prompts.max_words:
        return False
    words = _words(line, prompts.max_words + 1)
    if not words or len(words) > prompts.max_words:
        return False
    if any(w in prompts.report_words for w in words):
        return False
    joined = " ".join(words)
    if words[-1] in prompts.imperatives:
        return bool(prompts._ui.search(joined) or prompts._medium.search(joined))
    return any(w in prompts.reader_words for w in words) and bool(prompts._ui.search(joined))


def _is_tag_list(line: str, rules: CleaningRules) -> bool:
    """At least `tag_list_min_items` items between separators, each of at most three words
    saying nothing, and no sentence end. Stops at the first item that is not a tag."""
    if _ends_sentence(line):
        return False
    items = 0
    for item in TAG_SEPARATORS.split(line):
        words = _words(item, 4)
        if not words:
            continue
        if len(words) > 3 or _says_something(words, rules.structure):
            return False
        items += 1
    return items >= rules.structure.tag_list_min_items


def dropped_lines(
    text: str, rules: CleaningRules, site_lines: Collection[str] = ()
) -> list[tuple[str, str]]:
    """Each line `clean_text` drops, with the rule that dropped it (for explaining a result)."""
    lines, reasons, end = _classified(text, rules, site_lines)
    dropped = [(line, reason) for line, reason in zip(lines, reasons, strict=True) if reason]
    return dropped + [(line, "end_of_article") for line in end]


def _classified(
    text: str, rules: CleaningRules, site_lines: Collection[str] = ()
) -> tuple[list[str], list[str | None], list[str]]:
    """Stripped lines, the reason each is furniture (None: kept), and the lines after the end.

    `site_lines`: keys (`sitelines.line_key`) of the lines the page's site repeats on its other
    pages (see `sitelines`): furniture too.
    """
    text = visible_text(text)
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").split("\n")
    lines: list[str] = []
    reasons: list[str | None] = []
    end: list[str] = []
    for i, raw_line in enumerate(raw_lines):
        line = raw_line.strip()
        if (
            line
            and len(line) <= rules.max_unit_chars
            and any(p.search(_squeezed(line)) for p in rules.end_of_article)
        ):
            end = [rest.strip() for rest in raw_lines[i:] if rest.strip()]
            break
        lines.append(line)
        reasons.append(furniture_reason(line, rules) if line else None)
    if site_lines:
        _mark_site_lines(lines, reasons, site_lines, rules)
    _mark_structural_furniture(lines, reasons, rules)
    return lines, reasons, end


BODY_MIN_WORDS = 6  # a line that ends a sentence with at least this many words is the story's


def _mark_site_lines(
    lines: list[str], reasons: list[str | None], site_lines: Collection[str], rules: CleaningRules
) -> None:
    """Mark the lines the site repeats on its other stories, where furniture sits: before the
    story's first sentence or after its last, or next to other furniture. One repeated between
    two of the story's sentences is a sub-heading the site uses often ("ماہرین کیا کہتے ہیں"),
    and stays."""
    present = [i for i, line in enumerate(lines) if line]
    repeated = {
        i
        for i in present
        if reasons[i] is None
        and len(lines[i]) <= rules.max_unit_chars
        and line_key(lines[i]) in site_lines
    }
    if not repeated:
        return
    body = [
        i
        for i in present
        if i not in repeated
        and reasons[i] is None
        and _ends_sentence(lines[i])
        and len(_words(lines[i], BODY_MIN_WORDS)) >= BODY_MIN_WORDS
    ]
    first, last = (body[0], body[-1]) if body else (len(lines), -1)
    for i in repeated:
        if i < first or i > last:
            reasons[i] = "repeated_on_site"
    changed = True
    while changed:  # a run of repeated lines next to furniture is furniture
        changed = False
        for k, i in enumerate(present):
            if reasons[i] is not None or i not in repeated:
                continue
            neighbours = present[max(0, k - 1) : k] + present[k + 1 : k + 2]
            if any(reasons[j] is not None for j in neighbours):
                reasons[i] = "repeated_on_site"
                changed = True


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
    if structure.related_list_min_items:
        _mark_related_lists(lines, reasons, present, rules)
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


RELATED_HEADER_WORDS = 4  # "یہ بھی پڑھیں", "متعلقہ خبریں": a header, not a read-also headline


def _mark_related_lists(
    lines: list[str], reasons: list[str | None], present: list[int], rules: CleaningRules
) -> None:
    """The headlines listed under a related-stories header ("متعلقہ خبریں" alone on its line):
    a run of at least `related_list_min_items` headline-shaped lines (short, no full stop)."""
    structure = rules.structure
    k = 0
    while k < len(present):
        i = present[k]
        k += 1
        if reasons[i] != "read_also" or len(_words(lines[i], RELATED_HEADER_WORDS + 1)) > (
            RELATED_HEADER_WORDS
        ):
            continue
        run = []
        while k < len(present):
            j = present[k]
            line = lines[j]
            if reasons[j] is not None or len(line) >= rules.short_line_chars:
                break
            if _ends_sentence(line, "۔.") or rules.caption_marker.search(line):
                break
            run.append(j)
            k += 1
        if len(run) >= structure.related_list_min_items:
            for j in run:
                reasons[j] = "related_list"


def clean_text(text: str, rules: CleaningRules, site_lines: Collection[str] = ()) -> str:
    """Drop page furniture and join hard-wrapped lines. Paragraphs stay separated by blank lines.

    `site_lines`: see `_classified`.
    """
    lines, reasons, _ = _classified(text, rules, site_lines)
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
                and not _ends_unpunctuated_sentence(previous, line, rules.structure)
            ):
                out.append(" ")  # hard-wrapped
            else:
                out.append("\n\n" if pending_break else "\n")
        out.append(line)
        previous = line
        pending_break = False
    return "".join(out)


def _ends_unpunctuated_sentence(line: str, following: str, structure: StructureRules) -> bool:
    """A long line whose last word is a finite verb's ending ("ہے", "گئے") ends its sentence
    even without a ۔ (a page's paragraph that lost its full stop), unless the next line opens
    with a word that continues a sentence ("کہ", "جو"): hard-wrapped text breaks anywhere."""
    last = _words(line[-80:])
    if not last or last[-1] not in structure.final_verbs:
        return False
    if not following[:1].isalnum():
        return False  # the next line opens with punctuation ("۔", "،"): it goes on
    first = _words(following, 1)
    return not first or (
        first[0] not in structure.continuation_words and first[0] not in structure.final_verbs
    )


def _dateline(line: str, rules: CleaningRules) -> re.Match | None:
    """The dateline opening the line, if any: its place must be a name, not a short sentence."""
    match = rules.dateline.match(line, 0, DATELINE_MAX_CHARS)
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


def _ends_sentence(line: str, marks: str = TERMINALS + ".") -> bool:
    """Whether the line ends with one of `marks`, closing quotes and brackets aside."""
    stripped = line.rstrip(CLOSERS + " ")  # the line itself when nothing is stripped: no copy
    return bool(stripped) and stripped[-1] in marks


def split_units(cleaned: str, rules: CleaningRules) -> list[Span]:
    """Split cleaned text into headings, captions and sentences; cut the ones longer than
    `rules.max_unit_chars` (see `cut_long`)."""
    return list(iter_units(cleaned, rules))


def iter_units(cleaned: str, rules: CleaningRules) -> Iterator[Span]:
    """The spans of `split_units`, one at a time."""
    pos = 0
    limit = rules.max_unit_chars
    for line in cleaned.split("\n"):
        if line.strip():
            for span in _split_line(line, pos, rules):
                if span.end - span.start <= limit:
                    # A slice (`^` only matches at a string's start), spaces squeezed
                    text = _squeezed(cleaned[span.start : span.end])
                    if not any(p.search(text) for p in rules.drop_unit):
                        yield span
                else:
                    yield from cut_long(cleaned, span, limit)
        pos += len(line) + 1


def _split_line(line: str, offset: int, rules: CleaningRules) -> Iterator[Span]:
    dateline_end = _dateline_end(line, rules)
    if not _ends_sentence(line) and not _has_boundary(line, dateline_end, rules):
        if len(line) <= rules.max_unit_chars and rules.caption_marker.search(line):
            kind = "caption"
        else:
            kind = "heading" if len(line) < rules.short_line_chars else "sentence"
        yield _trimmed(line, 0, len(line), offset, kind)
        return
    start = 0
    for end in _boundaries(line, dateline_end, rules):
        span = _trimmed(line, start, end, offset, "sentence")
        if span is not None:
            yield span
        start = end
    if line[start:].strip():
        yield _trimmed(line, start, len(line), offset, "sentence")


def _has_boundary(line: str, dateline_end: int = 0, rules: CleaningRules | None = None) -> bool:
    return any(True for _ in _boundaries(line, dateline_end, rules))


def _trimmed(line: str, start: int, end: int, offset: int, kind: str) -> Span | None:
    while start < end and line[start].isspace():
        start += 1
    while end > start and line[end - 1].isspace():
        end -= 1
    if start == end:
        return None
    return Span(offset + start, offset + end, kind)


def _boundaries(
    line: str, dateline_end: int = 0, rules: CleaningRules | None = None
) -> Iterator[int]:
    """Positions just after each sentence end inside one line (the line's end excluded).

    A ۔ before `dateline_end` belongs to the dateline that opens the line, not a sentence end;
    nor is a ۔ inside a short bracket ("(ایجنسی۔ 12 مئی)") or, with `rules`, an initial's dot.
    """
    n = len(line)
    i = dateline_end
    while i < n:
        mark = SENTENCE_MARKS.search(line, i)  # jumps to the next candidate in C
        if mark is None:
            return
        i = mark.start()
        run_end = SENTENCE_MARK_RUN.match(line, i).end()
        run = line[i:run_end]
        if (
            not _is_boundary(line, i, run_end, run)
            or (run == "۔" and _inside_brackets(line, i))
            or (rules is not None and run == "۔" and _is_initial(line, i, rules))
        ):
            i = run_end
            continue
        end = _absorb_closers(line, run_end)
        if end < n and not _blank_from(line, end):
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
        # A Latin full stop ends a sentence only between words, not in 2.0, U.N. or a URL, nor
        # after an initial or a title ("S. Kumar", "Dr. Khan").
        if not (before and before.isalpha() and (not after or after.isspace())):
            return False
        word = LATIN_WORD_BEFORE.search(line, max(0, start - 8), start)
        return not (
            word
            and (
                len(word.group()) == 1
                and word.group().isupper()
                or (word.group().lower() in LATIN_TITLES)
            )
        )
    return True


LATIN_WORD_BEFORE = re.compile(r"(?<![A-Za-z])[A-Za-z]+$")
LATIN_TITLES = frozenset({"mr", "mrs", "ms", "dr", "st", "jr", "sr", "gen", "lt", "col", "prof"})


BRACKET_REACH = 60  # a dateline's bracket (agency, date) is never longer


def _inside_brackets(line: str, i: int) -> bool:
    """Whether the ۔ at `i` is inside a short bracket with text after it before the bracket
    closes: "(اردو پوائنٹ۔ 13 مارچ)". A ۔ just before the closing bracket ends a sentence."""
    opened = line.rfind("(", max(0, i - BRACKET_REACH), i)
    if opened < 0 or line.find(")", opened, i) >= 0:
        return False
    closed = line.find(")", i, i + BRACKET_REACH)
    if closed < 0 or line.find("(", i, closed) >= 0:
        return False
    return bool(line[i + 1 : closed].strip(" ۔.\t"))


def _is_initial(line: str, i: int, rules: CleaningRules) -> bool:
    """Whether the ۔ at `i` is the dot of an initial ("ایس۔ جے۔ شنکر"): the word before it is a
    letter's name and a word follows on the line. A letter name that is also a common word
    ("کے") counts only right after another initial."""
    if not rules.abbreviation_letters or i + 1 >= len(line) or _blank_from(line, i + 1):
        return False
    start = i
    while start > 0 and not line[start - 1].isspace() and line[start - 1] not in "۔(":
        start -= 1
    word = line[start:i]
    if word not in rules.abbreviation_letters:
        return False
    if word not in rules.ambiguous_letters:
        return True
    before = line[max(0, start - 12) : start].rstrip()
    if not before.endswith("۔"):
        return False
    previous = before[:-1].split()
    return bool(previous) and previous[-1] in rules.abbreviation_letters


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


def _squeezed(line: str) -> str:
    """The line with each run of whitespace as one space, for matching furniture patterns.

    Patterns say `\\s*` or `\\s+` where pages put one space or several; on a run of
    thousands, a pattern that backtracks through the run would take quadratic (or worse) time.
    """
    return SPACE_RUN.sub(" ", line) if SPACE_RUN.search(line) else line


SPACE_RUN = re.compile(r"\s{2,}|[^\S ]")


def _blank_from(line: str, i: int) -> bool:
    """Whether only whitespace is left from `i` (without copying the rest of the line)."""
    return NON_SPACE.search(line, i) is None


NON_SPACE = re.compile(r"\S")


# ---- units longer than the limit -----------------------------------------------------------


def cut_long(text: str, span: Span, limit: int) -> Iterator[Span]:
    """Cut `text[span.start:span.end]` into pieces of at most `limit` characters, each noted.

    Each cut is at the best boundary available in the second half of the window: just after
    clause punctuation (، ؛ ; , : —), else at whitespace, else anywhere that does not split a
    character from its combining marks, a joiner or a surrogate pair. Nothing is dropped: the
    pieces, with the whitespace between them, make up the span.
    """
    cuts = []
    start = span.start
    while span.end - start > limit:
        cut = _cut_point(text, start, start + limit)
        cuts.append((start, cut))
        start = cut
    cuts.append((start, span.end))
    pieces = [(a, b) for a, b in (_strip_span(text, a, b) for a, b in cuts) if a < b]
    note = f"cut: longer than {limit} characters"
    for i, (a, b) in enumerate(pieces, 1):
        yield Span(a, b, span.kind, f"{note} (part {i} of {len(pieces)})")


def _cut_point(text: str, start: int, end: int) -> int:
    """Where to end a piece that starts at `start` and may reach `end` (exclusive)."""
    low = start + (end - start) // 2
    after_clause = max(text.rfind(mark, low, end - 1) for mark in CLAUSE_MARKS)
    if after_clause >= low:
        return after_clause + 1
    space = max(text.rfind(space, low, end) for space in SPACES)
    if space > low:
        return space
    cut = end
    while cut > low and _inside_cluster(text, cut):
        cut -= 1
    return cut if cut > low else end


def _inside_cluster(text: str, i: int) -> bool:
    """Whether a cut before `text[i]` would split what is drawn as one character."""
    ch, before = text[i], text[i - 1]
    if _is_regional_indicator(ch) and _is_regional_indicator(before):
        # A flag is a pair of regional indicators: cut only after an even number of them.
        run = 1
        while i - run - 1 >= 0 and _is_regional_indicator(text[i - run - 1]):
            run += 1
        return run % 2 == 1
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me", "Cs")
        or ch in (ZWJ, ZWNJ)
        or before == ZWJ
        or "\ufe00" <= ch <= "\ufe0f"  # variation selectors (emoji presentation)
        or "\U0001f3fb" <= ch <= "\U0001f3ff"  # skin tone modifiers
    )


def _is_regional_indicator(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end

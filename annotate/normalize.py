"""Urdu normalisation for matching and features, and the text annotators see.

Annotators see the original text less invisible characters that could make it read differently
(`visible_text`, applied before cleaning); normalisation is for matching and features only.

`normalize_with_map` returns the normalised string and, for each of its characters, the index of
the original character it came from, so a match in normalised text maps back to original offsets.
"""

from __future__ import annotations

import re
import unicodedata

# Arabic code points that Urdu text typed on Arabic keyboards uses for Urdu letters.
LETTER_MAP = {
    "\u064a": "\u06cc",  # ي Arabic yeh → ی
    "\u0649": "\u06cc",  # ى alef maksura → ی
    "\u0643": "\u06a9",  # ك Arabic kaf → ک
    "\u06c0": "\u06c1",  # ۀ heh with yeh above → ہ (the hamza is a diacritic for matching)
    "\u0660": "0",
    "\u0661": "1",
    "\u0662": "2",
    "\u0663": "3",
    "\u0664": "4",
    "\u0665": "5",
    "\u0666": "6",
    "\u0667": "7",
    "\u0668": "8",
    "\u0669": "9",
    "\u06f0": "0",
    "\u06f1": "1",
    "\u06f2": "2",
    "\u06f3": "3",
    "\u06f4": "4",
    "\u06f5": "5",
    "\u06f6": "6",
    "\u06f7": "7",
    "\u06f8": "8",
    "\u06f9": "9",
}

ARABIC_HEH = "\u0647"
HEH_GOAL = "\u06c1"  # ہ
DO_CHASHMI_HEH = "\u06be"  # ھ, the aspirate
# Consonants that take an aspirate in Urdu (بھ پھ تھ ٹھ جھ چھ دھ ڈھ کھ گھ رھ ڑھ لھ مھ نھ).
ASPIRABLE = set("بپتٹجچدڈکگرڑلمنك")

TATWEEL = "\u0640"


def _is_dropped(ch: str) -> bool:
    """Combining marks (diacritics) and format characters (ZWNJ, RLM, BOM...) and tatweel."""
    return ch == TATWEEL or unicodedata.category(ch) in ("Mn", "Me", "Cf")


class _Expansions(dict):
    """A `str.translate` table filled on first use: code point → its normalised form.

    `str.translate` runs in C; computing each character's expansion once and caching it keeps
    normalisation linear in the text with a small constant, whatever characters it holds. The
    characters whose form is not exactly one character (marks that go, ligatures that open up)
    are also collected into one regex, so the offset map needs no per-character Python loop.
    """

    def __init__(self):
        super().__init__()
        self.irregular: set[str] = set()
        self._irregular_re: re.Pattern | None = None
        # code point → chr(length of its form), for when `irregular` is too large for a regex
        self.lengths: dict[int, str] = {}

    def __missing__(self, code: int) -> str:
        value = self[code] = _expand_uncached(chr(code))
        self.lengths[code] = chr(len(value))
        if len(value) != 1:
            self.irregular.add(chr(code))
            self._irregular_re = None
        return value

    def irregular_re(self) -> re.Pattern:
        """A regex of every character seen so far whose form is not one character."""
        if self._irregular_re is None:
            chars = "".join(re.escape(c) for c in sorted(self.irregular)) or "\\x00"
            self._irregular_re = re.compile(f"[{chars}]")
        return self._irregular_re


_EXPANSIONS = _Expansions()
IRREGULAR_REGEX_MAX = 1000  # past this many odd characters, a regex of them costs too much
NOT_ONE = re.compile("[^\x01]")


def _expand(ch: str) -> str:
    """One original character → its normalised form (possibly empty or several characters)."""
    return _EXPANSIONS[ord(ch)]


def _expand_uncached(ch: str) -> str:
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", ch).casefold())
    out = []
    for c in decomposed:
        if _is_dropped(c):
            continue
        if c.isspace():
            c = " "
        out.append(LETTER_MAP.get(c, c))
    return "".join(out)


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """The normalised text and, for each of its characters, the index of its original character.

    Linear in the text: both the text and the map are built by `str.translate` and one regex
    scan over the few characters that do not map to exactly one character (diacritics, marks
    and ligatures), so an 11 MB article costs what its size says.
    """
    norm = text.translate(_EXPANSIONS)  # fills the table for every character of `text`
    origin: list[int] = []
    pos = 0
    if len(_EXPANSIONS.irregular) <= IRREGULAR_REGEX_MAX:
        for m in _EXPANSIONS.irregular_re().finditer(text):
            i = m.start()
            origin.extend(range(pos, i))
            origin.extend([i] * len(_EXPANSIONS[ord(m.group())]))
            pos = i + 1
    else:  # text that has shown thousands of odd characters: their lengths, one translate more
        lengths = text.translate(_EXPANSIONS.lengths)
        for m in NOT_ONE.finditer(lengths):
            i = m.start()
            origin.extend(range(pos, i))
            origin.extend([i] * ord(lengths[i]))
            pos = i + 1
    origin.extend(range(pos, len(text)))
    if ARABIC_HEH in norm:
        norm = _resolve_heh(norm)
    return norm, origin


def _resolve_heh(norm: str) -> str:
    """Arabic ه is both Urdu ہ and the aspirate ھ: after an aspirable consonant and inside a word
    it is the aspirate (پهر → پھر, not پہر); elsewhere it is ہ (كه → کہ)."""

    def resolved(m: re.Match) -> str:
        i = m.start()
        prev = norm[i - 1] if i > 0 else ""
        nxt = norm[i + 1] if i + 1 < len(norm) else ""
        inside_word = nxt.isalpha() and nxt != ARABIC_HEH
        return DO_CHASHMI_HEH if prev in ASPIRABLE and inside_word else HEH_GOAL

    return _HEH.sub(resolved, norm)


_HEH = re.compile(ARABIC_HEH)


def normalize(text: str) -> str:
    """Normalised text for matching and features: idempotent, never used for display.

    The text of `normalize_with_map`, without building the map (half the work)."""
    norm = text.translate(_EXPANSIONS)
    return _resolve_heh(norm) if ARABIC_HEH in norm else norm


# ---- looser forms, for matching foreign names ------------------------------------------------
#
# Urdu writers spell a foreign name by ear, and outlets differ in a few regular ways: ٹ or ت
# (پوٹن، پوتن), ڈ or د, ڑ or ر, ہ or ة / ۃ at the end, a و or ی added or left out for a vowel
# (پیوٹن، پوتین، پوتن), a letter doubled or not, an aspirate ھ. `folded` maps those letters to
# one; `loose` also drops the inner و and ی, so the spellings of one name share one key. Both
# take normalised text (see `normalize`) and are for matching names only: on ordinary words they
# collide (روسی and رسی), which is why the mention finder uses them for long names only.

_FOLD = str.maketrans({"ٹ": "ت", "ڈ": "د", "ڑ": "ر", "ة": "ہ", "ۃ": "ہ", "ے": "ی", "ھ": None})
_DOUBLED = re.compile(r"(\w)\1+")
_INNER_VOWELS = re.compile(r"(?<=\w)[وی]+(?=\w)")


def folded(text: str) -> str:
    """`text` (normalised) with the letters foreign names are spelt both ways with made one and
    doubled letters single.

    >>> folded("پوٹن") == folded("پوتن")
    True
    """
    return _DOUBLED.sub(r"\1", text.translate(_FOLD))


def loose(text: str) -> str:
    """`folded` without the inner و and ی of each word (the vowels spellings add or leave out).

    >>> loose("پیوٹن") == loose("پوتین") == loose("پوتن")
    True
    """
    return _DOUBLED.sub(r"\1", _INNER_VOWELS.sub("", folded(text)))


# ---- what annotators see ---------------------------------------------------------------------
#
# Normalisation above is for matching only. The text annotators see is the original, less the
# characters that can make it read differently from what it says without being seen themselves:
# bidi embeddings, overrides and isolates reorder what follows them (U+202E shows "abc" as "cba"),
# direction marks move punctuation and digits, and other invisible format characters hide words
# from a reader or a search. They are removed before cleaning and segmenting, so every offset
# (a unit's start/end in the cleaned article, a mention's start/end in its unit) indexes the text
# as shown.

ZWNJ = "\u200c"  # zero-width non-joiner: Urdu spelling needs it (e.g. inside compounds), kept
ZWJ = "\u200d"  # zero-width joiner: forces a joined letter form (abbreviations, some names) and
#                 builds emoji sequences (👨‍👩‍👧); kept where it joins two visible characters
ZWSP = "\u200b"  # zero-width space: stops the letters around it from joining, like ZWNJ

# Format characters (category Cf) that are visible or shape text as their author meant, kept:
# the Arabic number and year signs and end-of-ayah mark, which are drawn around the digits after
# them, and the Syriac abbreviation mark.
VISIBLE_FORMAT = frozenset("\u0600\u0601\u0602\u0603\u0604\u0605\u06dd\u070f\u0890\u0891\u08e2")
# Line and paragraph separators other than \n become \n (the cleaner splits lines at \n).
LINE_BREAKS = frozenset("\x0b\x0c\x1c\x1d\x1e\x85\u2029")
_JOINER_RUN = re.compile("[\u200c\u200d]+")
# Every character `_shown_as` may change lies in these ranges (a test checks it over all of
# Unicode): a text with none of them is returned as it is after one regex scan.
_MAYBE_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
    "\u08e2\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ud800-\udfff\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001345f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]"
)


def _shown_as(code: int) -> str | None:
    """What one character becomes in the text annotators see (None: removed)."""
    ch = chr(code)
    if ch in LINE_BREAKS:
        return "\n"
    if ch in (ZWNJ, ZWJ, "\t", "\n", "\r"):
        return ch
    if ch == ZWSP:
        return ZWNJ  # the same look (the letters around it stay apart), one legitimate character
    category = unicodedata.category(ch)
    if category == "Cs":
        return "\ufffd"  # a lone surrogate (from JSON "\ud83d") cannot be written as UTF-8
    if category == "Cc" or (category == "Cf" and ch not in VISIBLE_FORMAT):
        return None
    return ch


class _ShownTable(dict):
    def __missing__(self, code: int) -> str | None:
        value = self[code] = _shown_as(code)
        return value


_SHOWN = _ShownTable()


def _joiners_shown(m: re.Match) -> str:
    """A ZWNJ/ZWJ between two visible characters is kept (one of a run, the first); at a word's
    edge or next to a space it changes nothing on screen and only hides, so it goes."""
    text, start, end = m.string, m.start(), m.end()
    if start == 0 or end == len(text) or text[start - 1].isspace() or text[end].isspace():
        return ""
    return m.group()[0]


def visible_text(text: str) -> str:
    """The text as annotators should see it: bidi controls (U+202A–U+202E, U+2066–U+2069),
    direction marks (U+200E, U+200F, U+061C), other invisible format characters (soft hyphen,
    word joiner, BOM, tags, interlinear annotation marks) and control characters removed;
    ZWNJ and ZWJ kept between two visible characters, where Urdu spelling and emoji need them.

    Linear in the text (`str.translate` with a cached table, one regex pass for joiners).

    >>> visible_text("\u202eروس\u202c نے کہا\u200f")
    'روس نے کہا'
    >>> visible_text("شمالی\u200cکوریا") == "شمالی\u200cکوریا"
    True
    """
    if not _MAYBE_HIDDEN.search(text):
        return text
    shown = text.translate(_SHOWN)
    if ZWNJ in shown or ZWJ in shown:
        shown = _JOINER_RUN.sub(_joiners_shown, shown)
    return shown

"""Urdu normalisation for matching and features. Annotators always see the original text.

`normalize_with_map` returns the normalised string and, for each of its characters, the index of
the original character it came from, so a match in normalised text maps back to original offsets.
"""

from __future__ import annotations

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


_EXPANSIONS: dict[str, str] = {}


def _expand(ch: str) -> str:
    """One original character → its normalised form (possibly empty or several characters)."""
    cached = _EXPANSIONS.get(ch)
    if cached is None:
        cached = _EXPANSIONS[ch] = _expand_uncached(ch)
    return cached


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
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        expanded = _expand(ch)
        if len(expanded) == 1:
            chars.append(expanded)
            origin.append(i)
        else:
            chars.extend(expanded)
            origin.extend([i] * len(expanded))
    if ARABIC_HEH in chars:
        _resolve_heh(chars)
    return "".join(chars), origin


def _resolve_heh(chars: list[str]) -> None:
    """Arabic ه is both Urdu ہ and the aspirate ھ: after an aspirable consonant and inside a word
    it is the aspirate (پهر → پھر, not پہر); elsewhere it is ہ (كه → کہ)."""
    for i, c in enumerate(chars):
        if c != ARABIC_HEH:
            continue
        prev = chars[i - 1] if i > 0 else ""
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        inside_word = nxt.isalpha() and nxt != ARABIC_HEH
        chars[i] = DO_CHASHMI_HEH if prev in ASPIRABLE and inside_word else HEH_GOAL


def normalize(text: str) -> str:
    """Normalised text for matching and features: idempotent, never used for display."""
    return normalize_with_map(text)[0]

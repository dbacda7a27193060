"""Finding party mentions in a sentence, by the schema's aliases, on normalised text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import normalize, normalize_with_map
from .schema import Schema

# A dateline opens a paragraph with a place and the agency or a colon: `ٹوکیو(یو این پی)`,
# `سیئول:`. It names where the news comes from, not a speaker.
DATELINE_AFTER = re.compile(r"\s*(\(|:|：|-|–|—)")
NON_SPACE = re.compile(r"\S")
WORD_CHARS = 40  # longer than any word of Urdu news (the longest are about 20 letters)


@dataclass(frozen=True)
class _Pattern:
    parties: tuple[str, ...]
    alias: str
    near: tuple[str, ...] = ()
    window: int = 0


class MentionFinder:
    """Finds `{party, start, end, alias}` mentions; offsets index the original text."""

    def __init__(self, schema: Schema):
        patterns: list[_Pattern] = [_Pattern((), phrase) for phrase in schema.not_mentions]
        patterns += [_Pattern(c.parties, c.phrase) for c in schema.compounds]
        for party in schema.parties:
            patterns += [_Pattern((party.id,), alias) for alias in party.aliases]
            for ctx in party.contextual:
                patterns.append(
                    _Pattern(
                        (party.id,),
                        ctx.alias,
                        tuple(normalize(w) for w in ctx.near),
                        ctx.window,
                    )
                )
        # Spelling variants that normalise alike (کم جونگ اُن, کِم جونگ اُن) are one key; the
        # first listed wins, so a non-mention or a compound beats a party alias.
        self._by_key: dict[str, _Pattern] = {}
        for pat in patterns:
            self._by_key.setdefault(" ".join(normalize(pat.alias).split()), pat)
        # Whole words only: روس must not match inside روسو (Rousseau) or پوت inside پوتے.
        bodies = sorted(self._by_key, key=len, reverse=True)
        self._combined = re.compile(
            r"(?<!\w)(?:"
            + "|".join(r"\s+".join(re.escape(w) for w in b.split()) for b in bodies)
            + r")(?!\w)"
        )

    def find(self, text: str, *, paragraph_start: bool = False) -> list[dict]:
        norm, origin = normalize_with_map(text)
        # Where the text proper starts: a dateline must open it (found once, not per match).
        opening = NON_SPACE.search(norm)
        first = opening.start() if opening else len(norm)
        mentions = []
        # One pass of one alternation, longest alias first: at each position the longest alias
        # wins (شمالی کوریائی over شمالی کوریا, a compound or a non-mention over its parts).
        for m in self._combined.finditer(norm):
            pat = self._by_key[" ".join(m.group().split())]
            if pat.near and not _near(norm, m.start(), m.end(), pat.near, pat.window):
                continue
            if paragraph_start and m.start() <= first and DATELINE_AFTER.match(norm, m.end()):
                continue
            start, end = origin[m.start()], origin[m.end() - 1] + 1
            for party in pat.parties:
                mentions.append(
                    {"party": party, "start": start, "end": end, "alias": text[start:end]}
                )
        mentions.sort(key=lambda m: (m["start"], m["party"]))
        return mentions


def _near(norm: str, start: int, end: int, words: tuple[str, ...], window: int) -> bool:
    """Whether one of `words` is among the `window` words on either side of the match.

    Only the characters that can hold `window` words are looked at (no word is longer than
    WORD_CHARS), so a sentence with many matches costs linear time, not quadratic.
    """
    reach = window * WORD_CHARS
    left = norm[max(0, start - reach) : start].split()[-window:]
    right = norm[end : end + reach].split()[:window]
    around = " ".join(left + right)
    return any(w in around for w in words)

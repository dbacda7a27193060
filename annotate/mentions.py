"""Finding party mentions in a sentence, by the schema's aliases, on normalised text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalize import normalize, normalize_with_map
from .schema import Schema

# A dateline opens a paragraph with a place and the agency or a colon: `ٹوکیو(یو این پی)`,
# `سیئول:`. It names where the news comes from, not a speaker.
DATELINE_AFTER = re.compile(r"\s*(\(|:|：|-|–|—)")


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern
    parties: tuple[str, ...]
    alias: str
    near: tuple[str, ...] = ()
    window: int = 0


def _alias_regex(alias: str) -> str:
    words = normalize(alias).split()
    # Whole words only: روس must not match inside روسو (Rousseau) or پوت inside پوتے.
    return r"(?<!\w)" + r"\s+".join(re.escape(w) for w in words) + r"(?!\w)"


class MentionFinder:
    """Finds `{party, start, end, alias}` mentions; offsets index the original text."""

    def __init__(self, schema: Schema):
        patterns: list[_Pattern] = [
            _Pattern(re.compile(_alias_regex(phrase)), (), phrase) for phrase in schema.not_mentions
        ]
        for compound in schema.compounds:
            patterns.append(
                _Pattern(
                    re.compile(_alias_regex(compound.phrase)), compound.parties, compound.phrase
                )
            )
        for party in schema.parties:
            seen = set()
            for alias in party.aliases:
                key = normalize(alias)
                if key in seen:
                    continue
                seen.add(key)
                patterns.append(_Pattern(re.compile(_alias_regex(alias)), (party.id,), alias))
            for ctx in party.contextual:
                patterns.append(
                    _Pattern(
                        re.compile(_alias_regex(ctx.alias)),
                        (party.id,),
                        ctx.alias,
                        tuple(normalize(w) for w in ctx.near),
                        ctx.window,
                    )
                )
        self._patterns = patterns

    def find(self, text: str, *, paragraph_start: bool = False) -> list[dict]:
        norm, origin = normalize_with_map(text)
        candidates = []
        for pat in self._patterns:
            for m in pat.regex.finditer(norm):
                if pat.near and not _near(norm, m.start(), m.end(), pat.near, pat.window):
                    continue
                if paragraph_start and _is_dateline(norm, m.start(), m.end()):
                    continue
                candidates.append((m.start(), m.end(), pat))
        # Longest match wins: شمالی کوریائی over شمالی کوریا, a compound over its parts.
        candidates.sort(key=lambda c: (-(c[1] - c[0]), c[0]))
        taken: list[tuple[int, int]] = []
        mentions = []
        for s, e, pat in candidates:
            if any(s < te and ts < e for ts, te in taken):
                continue
            taken.append((s, e))
            start, end = origin[s], origin[e - 1] + 1
            for party in pat.parties:
                mentions.append(
                    {"party": party, "start": start, "end": end, "alias": text[start:end]}
                )
        mentions.sort(key=lambda m: (m["start"], m["party"]))
        return mentions


def _near(norm: str, start: int, end: int, words: tuple[str, ...], window: int) -> bool:
    left = norm[:start].split()[-window:]
    right = norm[end:].split()[:window]
    around = " ".join(left + right)
    return any(w in around for w in words)


def _is_dateline(norm: str, start: int, end: int) -> bool:
    return not norm[:start].strip() and bool(DATELINE_AFTER.match(norm, end))

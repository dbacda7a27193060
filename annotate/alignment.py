"""How well the units of a page match a gold segmentation of it: the segmenter's measurement.

A gold file (the dev sets' shape: one JSON object per unit with `article` and `text`, the text
verbatim in the article) says which stretches of a page are news text and where each unit ends.
Both sides are placed in the page by their text, compared after whitespace is squeezed and
invisible characters dropped (`normalize.visible_text`, as the pipeline does), and each gold
unit is then:

- `exact`: one unit with the same text;
- `split`: covered by two units or more;
- `merged`: inside one unit that runs past it (into another gold unit or into furniture);
- `truncated`: inside one unit that is shorter than it (part of the text was dropped);
- `missed`: no unit overlaps it (taken for furniture).

A unit that overlaps no gold unit is `furniture`: text the page does not count as news.

Pure: no model, no I/O. `mauqif sentences --check GOLD ARTICLES…` runs the real pipeline and
prints the report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from .exceptions import InputError, raise_input_error
from .normalize import visible_text
from .tables import jsonl_objects

SPACE_RUN = re.compile(r"\s+")
GOLD_KINDS = ("exact", "split", "merged", "truncated", "missed")


def squeezed(text: str) -> str:
    """The text as compared: invisible characters dropped, each run of whitespace one space."""
    return SPACE_RUN.sub(" ", visible_text(text)).strip()


def _placed(page: str, texts: Iterable[str]) -> tuple[list[tuple[int, int, str]], list[str]]:
    """Each text's (start, end) in `page`, searched from the end of the one before (texts are in
    page order); a text found only earlier is placed there, one not found at all is returned
    apart."""
    spans, lost, cursor = [], [], 0
    for raw in texts:
        text = squeezed(raw)
        if not text:
            continue
        start = page.find(text, cursor)
        if start < 0:
            start = page.find(text)
        if start < 0:
            lost.append(text)
            continue
        spans.append((start, start + len(text), text))
        cursor = start + len(text)
    return spans, lost


@dataclass
class PageAlignment:
    """One page: what became of each gold unit, and the units that are not news text."""

    article: str
    gold: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in GOLD_KINDS})
    furniture: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # texts found nowhere in the page


def align(article: str, page_text: str, gold_texts: list[str], unit_texts: list[str]):
    """Compare the units the pipeline made of a page with the page's gold units."""
    page = squeezed(page_text)
    gold, lost_gold = _placed(page, gold_texts)
    units, lost_units = _placed(page, unit_texts)
    result = PageAlignment(article, unplaced=lost_gold + lost_units)
    for g_start, g_end, text in gold:
        over = [(s, e) for s, e, _ in units if s < g_end and e > g_start]
        if not over:
            kind = "missed"
        elif len(over) > 1:
            kind = "split"
        elif over[0] == (g_start, g_end):
            kind = "exact"
        elif over[0][0] <= g_start and over[0][1] >= g_end:
            kind = "merged"
        else:
            kind = "truncated"
        result.gold[kind].append(text)
    for u_start, u_end, text in units:
        if not any(u_start < g_end and u_end > g_start for g_start, g_end, _ in gold):
            result.furniture.append(text)
    return result


@dataclass
class SegmentationReport:
    """Pages aligned, summed: the figures `mauqif sentences --check` prints."""

    pages: list[PageAlignment] = field(default_factory=list)
    without_gold: list[str] = field(default_factory=list)  # articles the gold file lacks

    def add(self, page: PageAlignment) -> None:
        self.pages.append(page)

    def count(self, kind: str) -> int:
        return sum(len(p.gold[kind]) for p in self.pages)

    @property
    def gold_units(self) -> int:
        return sum(self.count(k) for k in GOLD_KINDS)

    @property
    def furniture(self) -> int:
        return sum(len(p.furniture) for p in self.pages)

    @property
    def exact_share(self) -> float:
        return self.count("exact") / self.gold_units if self.gold_units else 0.0

    def as_dict(self) -> dict:
        return {
            "pages": len(self.pages),
            "gold_units": self.gold_units,
            **{k: self.count(k) for k in GOLD_KINDS},
            "exact_share": round(self.exact_share, 4),
            "furniture_units": self.furniture,
            "unplaced": sum(len(p.unplaced) for p in self.pages),
            "without_gold": list(self.without_gold),
        }

    def text(self, details: bool = True) -> str:
        """The figures, then (with `details`) every gold unit not found exactly and every
        furniture unit, by page."""
        n = self.gold_units
        lines = [
            f"pages {len(self.pages)}, gold units {n}",
            f"found exactly   {self.count('exact')} ({self.exact_share:.3f})",
            *(f"{kind:<15} {self.count(kind)}" for kind in GOLD_KINDS[1:]),
            f"furniture units {self.furniture} (units overlapping no gold unit)",
        ]
        unplaced = sum(len(p.unplaced) for p in self.pages)
        if unplaced:
            lines.append(f"not found in their page: {unplaced} texts")
        if self.without_gold:
            lines.append(f"articles without gold units (not counted): {len(self.without_gold)}")
        if details:
            for page in self.pages:
                wrong = [(k, t) for k in GOLD_KINDS[1:] for t in page.gold[k]]
                wrong += [("furniture", t) for t in page.furniture]
                wrong += [("unplaced", t) for t in page.unplaced]
                for kind, text in wrong:
                    lines.append(f"  {page.article}  {kind:<9}  {text[:100]}")
        return "\n".join(lines) + "\n"


def gold_units(
    path: str | Path, on_skip: Callable[[InputError], None] = raise_input_error
) -> dict[str, list[str]]:
    """The gold file's unit texts by article (its `article` field's stem, which is the id the
    reader gives a .txt file), in file order. A line without `article` or `text` goes to
    `on_skip` with its place; the others are read."""
    by_article: dict[str, list[str]] = {}
    with open(path, "rb") as stream:
        for lineno, row in jsonl_objects(stream, str(path)):
            if isinstance(row, InputError):
                on_skip(row)
                continue
            article, text = row.get("article"), row.get("text")
            if not isinstance(article, str) or not isinstance(text, str) or not article:
                on_skip(InputError(f"{path}:{lineno}", "needs a string `article` and `text`"))
                continue
            by_article.setdefault(PurePath(article).stem, []).append(text)
    if not by_article:
        raise InputError(str(path), "has no gold units (lines with `article` and `text`)")
    return by_article


def segmentation_report(
    pages: dict[str, str], rows: Iterable[dict], gold: dict[str, list[str]]
) -> SegmentationReport:
    """Align the units (`rows` of the pipeline, with `article_id` and `text`) of each page in
    `pages` (article id → page text) with the gold units of that article."""
    units: dict[str, list[str]] = {}
    for row in rows:
        units.setdefault(str(row["article_id"]), []).append(row["text"])
    report = SegmentationReport()
    for article, text in pages.items():
        if article not in gold:
            report.without_gold.append(article)
            continue
        report.add(align(article, text, gold[article], units.get(article, [])))
    return report

"""Segmentation + mention finding throughput on the COUNTER corpus, and memory as input grows.

Floor for comparison: a plain `re.split` on ۔ over the same text (no cleaning, no quotes, no
numbers, no mentions). Memory: `mauqif sentences` streams a JSONL collection to /dev/null at two
sizes, each in a fresh process; peak RSS should stay flat.

COUNTER: mirfan899/Urdu, CC BY-NC-SA 4.0 (see ../shared/corpora/README.md).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import PEAK_RSS_MB_EXPR
from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.reader import Article

COUNTER = (
    Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "counter" / "counter.txt"
)
LINES_PER_ARTICLE = 20


def best_of(n: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(n):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def articles_of(lines: list[str]) -> list[Article]:
    return [
        Article(id=f"counter-{i}", text="\n".join(lines[i : i + LINES_PER_ARTICLE]))
        for i in range(0, len(lines), LINES_PER_ARTICLE)
    ]


def peak_rss_mb(jsonl: Path) -> float:
    code = (
        "import resource, sys\n"
        "from mauqif.cli import cli\n"
        "try:\n"
        f"    cli(['sentences', {str(jsonl)!r}, '-o', '/dev/null'], standalone_mode=False)\n"
        "finally:\n"
        "    print(" + PEAK_RSS_MB_EXPR + ")\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    text = COUNTER.read_text("utf-8")
    lines = text.splitlines()
    articles = articles_of(lines)
    segmenter = Segmenter.default()

    t_ours, units = best_of(3, lambda: [u for a in articles for u in segmenter.units(a)])
    t_floor, pieces = best_of(
        3, lambda: [p for a in articles for p in re.split("۔", a.text) if p.strip()]
    )
    aliases = [a for party in segmenter.schema.parties for a in party.aliases]

    def naive():
        # re.split plus a substring search per alias: no cleaning, no normalisation, no word
        # boundaries (so it "finds" روس in روسو and کم جونگ in کم جونگ ڈے).
        return [
            [a for a in aliases if a in piece]
            for article in articles
            for piece in re.split("۔", article.text)
            if piece.strip()
        ]

    t_naive, _ = best_of(3, naive)
    n_mentions = sum(len(u["mentions"]) for u in units)
    chars = len(text)
    print(f"COUNTER: {chars:,} characters in {len(articles)} articles of {LINES_PER_ARTICLE} lines")
    print(
        f"mauqif (clean + segment + mentions): {chars / t_ours:,.0f} chars/s, "
        f"{len(units) / t_ours:,.0f} units/s ({len(units):,} units, {n_mentions:,} mentions, {t_ours:.2f} s)"
    )
    print(
        f"re.split on ۔ (floor):               {chars / t_floor:,.0f} chars/s ({len(pieces):,} pieces, {t_floor:.3f} s)"
    )
    print(f"re.split + substring alias search:   {chars / t_naive:,.0f} chars/s ({t_naive:.2f} s)")
    print(
        f"ratio mauqif / floor: {t_floor / t_ours:.3f} (the floor does no cleaning, quotes, numbers or mentions)"
    )
    print(f"ratio mauqif / naive split + substring search: {t_naive / t_ours:.2f}")

    with tempfile.TemporaryDirectory() as tmp:
        sizes = {}
        for copies in (1, 8):
            path = Path(tmp) / f"counter_x{copies}.jsonl"
            with open(path, "w", encoding="utf-8") as out:
                for c in range(copies):
                    for a in articles:
                        out.write(
                            json.dumps({"id": f"{a.id}-{c}", "text": a.text}, ensure_ascii=False)
                            + "\n"
                        )
            sizes[copies] = (os.path.getsize(path), peak_rss_mb(path))
        for copies, (size, rss) in sizes.items():
            print(f"peak RSS streaming {size / 1e6:,.1f} MB of JSONL (x{copies}): {rss:,.0f} MB")
        print(f"memory ratio x8 / x1: {sizes[8][1] / sizes[1][1]:.2f} (flat is 1.0)")


if __name__ == "__main__":
    main()

"""Near-duplicate dropping (`annotate.dedupe`): throughput against a plain exact-match set, and
memory at 100k and 1M units.

Units are made from the COUNTER corpus's sentences (real Urdu lengths and vocabulary): 70% new
sentences (thirds of three corpus sentences joined), 20% a recent unit with one word changed (the
wire story with a small edit), 10% a recent unit repeated exactly. The floor is what one would
write without MinHash: normalise the text and look it up in a set, which only catches the exact
repeats. Memory is the peak RSS of a fresh process streaming N units through each, less that of
one that only makes the units.

`MAUQIF_BENCH_DEDUPE_MAX=100k` skips the 1M run (about a minute and a half).

COUNTER: mirfan899/Urdu, CC BY-NC-SA 4.0 (see ../shared/corpora/README.md).
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from bench import PEAK_RSS_MB_EXPR
from mauqif.annotate.dedupe import NearDuplicateIndex, UnitDeduper
from mauqif.annotate.normalize import normalize

COUNTER = (
    Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "counter" / "counter.txt"
)
THROUGHPUT_UNITS = 100_000
UNITS_PER_ARTICLE = 20


def corpus_sentences() -> list[list[str]]:
    text = COUNTER.read_text("utf-8")
    sentences = (s.split() for s in re.split(r"[۔\n؟!]", text))
    return [s for s in sentences if 6 <= len(s) <= 60]


def make_units(n: int, seed: int = 7) -> Iterator[dict]:
    """`n` units as push sees them (article_id, sentence_id, text), streamed."""
    rng = random.Random(seed)
    pool = corpus_sentences()
    words = [w for s in pool[:2000] for w in s]
    recent: deque[str] = deque(maxlen=200)
    for i in range(n):
        roll = rng.random()
        if recent and roll < 0.10:
            text = rng.choice(recent)
        elif recent and roll < 0.30:
            tokens = rng.choice(recent).split()
            tokens[rng.randrange(len(tokens))] = rng.choice(words)
            text = " ".join(tokens)
        else:
            a, b, c = rng.choice(pool), rng.choice(pool), rng.choice(pool)
            thirds = a[: len(a) // 3] + b[len(b) // 3 : 2 * len(b) // 3] + c[2 * len(c) // 3 :]
            text = " ".join(thirds) + "۔"
        recent.append(text)
        yield {"article_id": f"a{i // UNITS_PER_ARTICLE}", "sentence_id": f"s{i}", "text": text}


def exact_filter(units) -> Iterator[dict]:
    """The naive approach: a set of normalised texts."""
    seen: set[str] = set()
    for unit in units:
        key = " ".join(normalize(unit["text"]).split())
        if key in seen:
            continue
        seen.add(key)
        yield unit


def mauqif_filter(units) -> Iterator[dict]:
    return UnitDeduper(NearDuplicateIndex()).filter(units)


def timed(filter_, units: list[dict]) -> tuple[float, int]:
    start = time.perf_counter()
    kept = sum(1 for _ in filter_(units))
    return time.perf_counter() - start, len(units) - kept


def peak_rss_mb(n: int, how: str) -> float:
    """Peak RSS of a fresh process streaming `n` units through `how` (none, exact, mauqif)."""
    run = {
        "none": "units",
        "exact": "b.exact_filter(units)",
        "mauqif": "b.mauqif_filter(units)",
    }[how]
    code = (
        "import bench.bench_dedupe as b\n"
        f"units = b.make_units({n})\n"
        f"for _ in {run}: pass\n"
        f"print({PEAK_RSS_MB_EXPR})\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if not COUNTER.exists():
        print(f"skipped: {COUNTER} not found (the COUNTER corpus is in ../shared)")
        return
    units = list(make_units(THROUGHPUT_UNITS))
    exact_s, exact_dropped = timed(exact_filter, units)
    ours_s, ours_dropped = timed(mauqif_filter, units)
    n = len(units)
    print(f"throughput on {n:,} units (10% exact repeats, 20% one word changed):")
    print(
        f"  exact-match set (normalised text) : {n / exact_s:>9,.0f} units/s, "
        f"{exact_dropped:,} dropped"
    )
    print(
        f"  mauqif MinHash LSH (datasketch)   : {n / ours_s:>9,.0f} units/s, "
        f"{ours_dropped:,} dropped"
    )
    print(f"  ratio mauqif / exact set          : {exact_s / ours_s:.3f}")

    sizes = (
        [100_000] if os.environ.get("MAUQIF_BENCH_DEDUPE_MAX") == "100k" else [100_000, 1_000_000]
    )
    print("peak memory (fresh process; the units are streamed, not kept):")
    for size in sizes:
        base = peak_rss_mb(size, "none")
        exact = peak_rss_mb(size, "exact")
        ours = peak_rss_mb(size, "mauqif")
        print(
            f"  {size:>9,} units: exact set {exact:6.0f} MB (+{exact - base:.0f}), "
            f"mauqif {ours:6.0f} MB (+{ours - base:.0f}) over {base:.0f} MB for making the units"
        )

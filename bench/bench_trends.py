"""Trends at scale (`mauqif trends`): ROWS synthetic flat prediction rows → trends by month and
outlet, beside a plain pandas groupby of the same rows.

The rows have the flat columns `mauqif predict -o x.parquet` writes (4 parties × 4 stance values
and 3 sentiment values of float32 probabilities, labels, published over two years with 3% of rows
undated, 20 outlets, short texts and URLs), in files of a million rows (row groups of 100,000). Each side runs in a fresh
process whose peak resident memory (VmHWM) is read at the end:

- mauqif: `compute_trends` (one pass over pyarrow record batches, sums per cell, then the
  PACC estimator, the heaviest, and 400 bootstrap draws per cell), the whole job;
- pandas: `read_parquet` of the columns needed and one `groupby(period, outlet).sum()` of the
  label indicators and probabilities, which is what one would write by hand, without estimation.

`MAUQIF_BENCH_TRENDS_ROWS` sets the rows (default 10,000,000); the files are kept in the temp
directory between runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS = int(os.environ.get("MAUQIF_BENCH_TRENDS_ROWS", "10000000"))
PER_FILE = 1_000_000
ROW_GROUP = 100_000  # `mauqif predict` writes row groups of 5,000 rows, Dask files of 20,000
PARTIES = ["russia", "north_korea", "south_korea", "japan"]
STANCE = ["against", "favor", "neutral", "none"]
SENTIMENT = ["negative", "neutral", "positive"]
OUTLETS = [f"outlet{i:02d}.example.pk" for i in range(20)]


def _rates() -> dict:
    from mauqif.model.quantify import Rates

    counts = np.array([[40, 2, 5, 10], [2, 120, 6, 30], [3, 8, 50, 15], [5, 25, 18, 900]], float)
    rates = {p: Rates(tuple(STANCE), counts, counts * 0.8 + 0.05 * counts.sum(1)[:, None] / 4)
             for p in PARTIES}  # fmt: skip
    s = np.array([[200, 30, 10], [40, 500, 30], [10, 30, 150]], float)
    rates["sentiment"] = Rates(tuple(SENTIMENT), s, s * 0.8 + 0.05 * s.sum(1)[:, None] / 3)
    return rates


def _probabilities(rng, n: int, k: int) -> np.ndarray:
    return rng.dirichlet(np.ones(k) * 0.4, size=n).astype(np.float32)


def write_rows(directory: Path, rows: int) -> list[Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory.mkdir(parents=True, exist_ok=True)
    stamp = directory.with_name(f"{directory.name}-{rows}-{ROW_GROUP}.json")
    files = [directory / f"part-{i:04d}.parquet" for i in range((rows + PER_FILE - 1) // PER_FILE)]
    if stamp.exists() and all(f.exists() for f in files):
        return files
    rng = np.random.default_rng(0)
    texts = pa.array([f"جملہ نمبر {i} روس اور شمالی کوریا کے تعاون پر" for i in range(1000)])
    start = np.datetime64("2024-01-01T00:00:00", "us")
    for i, file in enumerate(files):
        n = min(PER_FILE, rows - i * PER_FILE)
        article = rng.integers(0, 50_000, n)
        published = start + rng.integers(0, 730 * 86400, n).astype("timedelta64[s]")
        undated = rng.random(n) < 0.03
        columns = {
            "id": pa.array([f"s{i}-{j}" for j in range(n)]),
            "article_id": pa.array(article.astype(str)),
            "url": pa.array([f"https://{OUTLETS[a % 20]}/news/{a}" for a in article]),
            "outlet": pa.array([OUTLETS[a % 20] for a in article]),
            "published": pa.array(
                np.where(undated, np.datetime64("NaT"), published), pa.timestamp("us", tz="UTC")
            ),
            "text": texts.take(pa.array(rng.integers(0, 1000, n))),
        }
        probas = {}
        for party in PARTIES:
            p = _probabilities(rng, n, 4)
            p[:, 3] += 2  # most sentences have no source
            p /= p.sum(axis=1, keepdims=True)
            probas[party] = p
            columns[f"stance_{party}"] = pa.array(np.array(STANCE)[p.argmax(axis=1)])
        for party in PARTIES:
            for j, value in enumerate(STANCE):
                columns[f"p_{party}_{value}"] = pa.array(probas[party][:, j])
        sentiment = _probabilities(rng, n, 3)
        columns["sentiment"] = pa.array(np.array(SENTIMENT)[sentiment.argmax(axis=1)])
        for j, value in enumerate(SENTIMENT):
            columns[f"p_sentiment_{value}"] = pa.array(sentiment[:, j])
        columns["model_version"] = pa.array(["bench"] * n)
        pq.write_table(pa.table(columns), file, row_group_size=ROW_GROUP)
    stamp.write_text(json.dumps({"rows": rows}))
    return files


def run_mauqif(directory: str) -> dict:
    from mauqif.model.trends import compute_trends

    start = time.perf_counter()
    # pacc, the heaviest estimator (an adjustment per bootstrap draw), not the default cc: the
    # time and memory measured then bound every method's.
    result = compute_trends([directory], _rates(), "month", "outlet", method="pacc")
    return {
        "seconds": time.perf_counter() - start,
        "rows": result.rows,
        "cells": int(result.table[["period", "group"]].drop_duplicates().shape[0]),
        "undated": result.undated,
    }


def run_pandas(directory: str) -> dict:
    import pandas as pd

    start = time.perf_counter()
    columns = ["published", "outlet", *[f"stance_{p}" for p in PARTIES]]
    columns += [f"p_{p}_{v}" for p in PARTIES for v in STANCE]
    frame = pd.read_parquet(directory, columns=columns)
    frame["period"] = frame["published"].dt.tz_localize(None).dt.to_period("M")
    for party in PARTIES:
        for value in STANCE:
            frame[f"h_{party}_{value}"] = (frame[f"stance_{party}"] == value).astype("int32")
    numeric = [c for c in frame.columns if c.startswith(("h_", "p_"))]
    sums = frame.groupby(["period", "outlet"], observed=True)[numeric].sum()
    return {"seconds": time.perf_counter() - start, "rows": len(frame), "cells": len(sums)}


def _in_fresh_process(function: str, directory: Path) -> dict:
    from bench import PEAK_RSS_MB_EXPR

    code = (
        f"import json; from bench.bench_trends import {function} as f; r = f({str(directory)!r}); "
        f"r['peak_mb'] = {PEAK_RSS_MB_EXPR}; print(json.dumps(r))"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    directory = Path(tempfile.gettempdir()) / "mauqif-bench-trends"
    start = time.perf_counter()
    write_rows(directory, ROWS)
    print(f"{ROWS:,} flat prediction rows in {directory} ({time.perf_counter() - start:.0f} s)")
    ours = _in_fresh_process("run_mauqif", directory)
    theirs = _in_fresh_process("run_pandas", directory)
    print(f"{'':32} {'seconds':>8} {'peak MB':>8} {'cells':>6}")
    print(
        f"{'mauqif trends (estimates, 90% CI)':32} {ours['seconds']:8.1f} "
        f"{ours['peak_mb']:8.0f} {ours['cells']:6d}   ({ours['undated']:,} rows undated)"
    )
    print(
        f"{'pandas read_parquet + groupby':32} {theirs['seconds']:8.1f} "
        f"{theirs['peak_mb']:8.0f} {theirs['cells']:6d}"
    )
    ok = ours["seconds"] < 60 and ours["peak_mb"] < 1024
    print(f"target (< 60 s, < 1,024 MB): {'met' if ok else 'NOT met'}")

"""Batch prediction on Dask: a LocalCluster of 1 against 2 worker processes on the same sentence
JSONL (speed-up, peak memory per worker), and Dask with 1 worker against the local path
(`predict_sentences` in this process, no Dask) on a tenth of it (Dask's overhead).

The sentences are COUNTER's units (../shared/corpora/counter/counter.txt; mirfan899/Urdu,
CC BY-NC-SA 4.0) with their context, cycled to the size asked, as sentence JSONL; the model is
trained on exports/gold/. The output is a partitioned Parquet dataset in a temporary directory.

Size (environment, read here at the edge):
    MAUQIF_BENCH_DASK_SENTENCES   default 1M (on this 2-core machine shared with other work
                                  the run takes about 10 minutes; e.g. 100k for a quick look)
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

from bench import peak_rss_mb
from bench.bench_model import GOLD, Corpus, size
from mauqif.annotate.labels import aggregate, read_exports
from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.schema import load_schema
from mauqif.annotate.tables import write_rows
from mauqif.model import load_model, save_model, train_model
from mauqif.model.predict import PREDICTION_COLUMNS, predict_sentences

LINES_PER_PARTITION = 20_000


def write_sentences(corpus: Corpus, path: Path, n: int) -> None:
    flat = [u for units in corpus.units for u in units]
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            u = flat[i % len(flat)]
            row = {"id": f"s{i}", "text": u["text"], "context": u.get("context") or ""}
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def on_cluster(model_dir: Path, path: Path, out: Path, workers: int, schema):
    """(wall time, rows) of `predict_dataset` on a LocalCluster of `workers`, and each worker's
    peak RSS in MB. The cluster is started before the clock starts: start-up is not prediction
    (loading the model on the workers is)."""
    from distributed import Client, LocalCluster

    from mauqif.model.distributed import predict_dataset

    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            worker_dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        start = time.perf_counter()
        result = predict_dataset(
            model_dir,
            [path],
            out,
            "",
            sentences=True,
            schema=schema,
            lines_per_partition=LINES_PER_PARTITION,
            client=client,
        )
        seconds = time.perf_counter() - start
        # VmHWM, not ru_maxrss: a spawned worker's ru_maxrss starts at this (large) process's.
        peaks = client.run(peak_rss_mb)
    return seconds, result.rows, sorted(peaks.values())


def main() -> None:
    n = size(os.environ.get("MAUQIF_BENCH_DASK_SENTENCES", "1M"))
    print(
        f"sizes: {n:,} sentences for 1 vs 2 workers, {n // 10:,} for Dask vs the local path; "
        f"{LINES_PER_PARTITION:,} lines per partition"
    )
    if not (GOLD / "gold.json").exists():
        print(f"skipped: the benchmark trains on {GOLD}/gold.json, which is not there")
        return
    schema = load_schema()
    gold, _ = aggregate(read_exports([GOLD], schema), schema)
    corpus = Corpus(Segmenter.default(schema))
    with tempfile.TemporaryDirectory(prefix="mauqif-bench-dask-") as tmp:
        tmp = Path(tmp)
        model_dir = save_model(train_model(gold, schema), tmp / "models")

        small = tmp / "small.jsonl"
        write_sentences(corpus, small, n // 10)
        model = load_model(model_dir, schema)
        start = time.perf_counter()
        local_rows = write_rows(
            predict_sentences(model, [small]), "/dev/null", "jsonl", PREDICTION_COLUMNS
        )
        local_s = time.perf_counter() - start
        dask_s, dask_rows, _ = on_cluster(model_dir, small, tmp / "small-out", 1, schema)
        assert dask_rows == local_rows, (dask_rows, local_rows)
        print(
            f"{n // 10:,} sentences: local path (one process, no Dask) {local_rows / local_s:,.0f}"
            f" sentences/s; Dask, 1 worker {dask_rows / dask_s:,.0f} sentences/s "
            f"(ratio {local_s / dask_s:.2f}, Parquet dataset written)"
        )

        big = tmp / "big.jsonl"
        write_sentences(corpus, big, n)
        times = {}
        for workers in (1, 2):
            seconds, rows, peaks = on_cluster(
                model_dir, big, tmp / f"out-{workers}", workers, schema
            )
            assert rows == n, (rows, n)
            times[workers] = seconds
            print(
                f"{n:,} sentences on {workers} worker(s): {seconds:,.0f} s, {n / seconds:,.0f} "
                f"sentences/s; peak RSS per worker {', '.join(f'{p:,.0f}' for p in peaks)} MB"
            )
        print(
            f"speed-up 2 workers / 1: {times[1] / times[2]:.2f} (load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: other processes share them)"
        )


if __name__ == "__main__":
    main()

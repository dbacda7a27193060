"""Batch prediction on a real Dask cluster: a `dask scheduler` and `dask worker` processes on
127.0.0.1 (no dashboard), started here. Same rows as the local path; a worker killed mid-job
loses nothing; a re-run after an interruption computes only the missing partitions."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from modeldata import labelled_tasks, small_model

from mauqif.annotate.studio.server import free_port
from mauqif.cli import cli
from mauqif.model import load_model, save_model
from mauqif.model.distributed import partitions, predict_dataset, read_dataset
from mauqif.model.predict import flat_rows, predict_articles, predict_sentences
from mauqif.model.trends import compute_trends

DASK = Path(sys.executable).with_name("dask")


def start(*args, log: Path) -> subprocess.Popen:
    # A session of its own: killing it kills the worker and its nanny together.
    return subprocess.Popen(
        [str(DASK), *args], stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


class Cluster:
    """A scheduler and `workers` worker processes (one thread each) on loopback."""

    def __init__(self, tmp: Path, workers: int):
        self.address = f"tcp://127.0.0.1:{free_port()}"
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = start(
            "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard",
            log=tmp / "scheduler.log",
        )  # fmt: skip
        self.workers = [
            start(
                "worker",
                self.address,
                "--host",
                "127.0.0.1",
                "--nthreads",
                "1",
                "--no-dashboard",
                "--name",
                f"w{i}",
                "--local-directory",
                str(tmp / f"w{i}"),
                log=tmp / f"worker{i}.log",
            )  # fmt: skip
            for i in range(workers)
        ]
        self.wait_for(workers)

    def wait_for(self, workers: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)

    def close(self) -> None:
        for process in [*self.workers, self.scheduler]:
            stop(process)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = Cluster(tmp_path_factory.mktemp("dask"), workers=2)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def model_dir(schema, tmp_path_factory):
    return save_model(small_model(schema), tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def sentence_files(tmp_path_factory):
    """Three sentence JSONL files (invented Urdu from tests/modeldata.py) and a bad line."""
    folder = tmp_path_factory.mktemp("sentences")
    tasks = labelled_tasks(11)
    for k in range(3):
        lines = [
            json.dumps(
                {
                    "id": t["data"]["sentence_id"],
                    "text": t["data"]["text"],
                    "context": t["data"]["context"],
                },
                ensure_ascii=False,
            )
            for t in tasks[k * 40 : (k + 1) * 40]
        ]
        if k == 1:
            lines.insert(17, '{"id": "broken", "text": ')
        (folder / f"part{k}.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    return folder


def comparable(rows: pd.DataFrame | list[dict]) -> list[dict]:
    """Rows as plain values: the dataset's flat rows, or local (nested) rows flattened; the
    dataset stores probabilities as float32."""
    rows = rows.to_dict("records") if isinstance(rows, pd.DataFrame) else list(flat_rows(rows))
    out = []
    for row in rows:
        # pandas 3 reads a missing string as NaN (its `str` dtype), a missing date as NaT.
        row = {k: None if _missing(v) else v for k, v in row.items()}
        out.append({k: float(np.float32(v)) if isinstance(v, float) else v for k, v in row.items()})
    return out


def _missing(value) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value))


def skipped_lines(errors) -> list[str]:
    return sorted(str(e) for e in errors)


def test_the_cluster_gives_the_local_rows_for_a_multi_file_input(
    cluster, model_dir, sentence_files, schema, tmp_path
):
    model = load_model(model_dir, schema)
    local_errors, dask_errors = [], []
    local = list(predict_sentences(model, [sentence_files], on_skip=local_errors.append))

    result = predict_dataset(
        model_dir, [sentence_files], tmp_path / "out", cluster.address, sentences=True,
        schema=schema, lines_per_partition=15, on_skip=dask_errors.append,
    )  # fmt: skip

    files = sorted((tmp_path / "out").glob("part-*.parquet"))
    assert result.partitions == len(files) == 9  # 40, 41 and 40 lines in ranges of 15
    assert result.computed == 9 and result.skipped == 0 and result.rows == 120
    assert comparable(read_dataset(tmp_path / "out")) == comparable(local)
    # The bad line is reported with its file and line number, as the local path reports it.
    assert skipped_lines(dask_errors) == skipped_lines(local_errors)
    assert any(":18: " in line for line in skipped_lines(dask_errors))
    # `mauqif trends` reads the dataset's directory: every row, none dated (sentence rows).
    trends = compute_trends([tmp_path / "out"], {}, method="cc", not_source=schema.not_source)
    assert trends.rows == 120 and trends.undated == 120
    assert trends.model_versions == [model.version]


def test_articles_from_a_directory_and_a_jsonl_file_give_the_local_rows(
    cluster, model_dir, schema, tmp_path
):
    folder = tmp_path / "articles"
    (folder / "desk").mkdir(parents=True)
    tasks = labelled_tasks(12)
    for k in range(6):
        text = " ".join(t["data"]["text"] for t in tasks[k * 6 : (k + 1) * 6])
        (folder / "desk" / f"a{k}.txt").write_text(text, "utf-8")
    with open(folder / "feed.jsonl", "w", encoding="utf-8") as out:
        for k in range(6, 12):
            text = " ".join(t["data"]["text"] for t in tasks[k * 6 : (k + 1) * 6])
            out.write(json.dumps({"id": f"feed-{k}", "text": text}, ensure_ascii=False) + "\n")
    model = load_model(model_dir, schema)
    local = list(predict_articles(model, [folder]))

    result = predict_dataset(
        model_dir, [folder], tmp_path / "out", cluster.address, schema=schema,
        lines_per_partition=2,
    )  # fmt: skip

    assert result.partitions == 4  # the jsonl in 3 ranges of 2 lines, the .txt files in 1 group
    got = comparable(read_dataset(tmp_path / "out"))
    key = lambda r: r["id"]  # noqa: E731 (the file order of a directory is the partition order)
    assert sorted(got, key=key) == sorted(comparable(local), key=key)
    assert len(got) == len(local) > 36


def test_killing_a_worker_mid_job_still_completes_the_job(
    model_dir, sentence_files, schema, tmp_path
):
    cluster = Cluster(tmp_path, workers=2)
    try:
        killed = []

        def progress(_rows):
            if not killed:
                killed.append(cluster.workers[1].pid)
                stop(cluster.workers[1])

        result = predict_dataset(
            model_dir, [sentence_files], tmp_path / "out", cluster.address, sentences=True,
            schema=schema, lines_per_partition=3, on_skip=lambda e: None, progress=progress,
        )  # fmt: skip
    finally:
        cluster.close()

    assert killed and cluster.workers[1].poll() is not None
    assert result.computed == result.partitions == 42
    assert result.rows == 120
    assert len(read_dataset(tmp_path / "out")) == 120


def test_a_rerun_after_an_interruption_computes_only_the_missing_partitions(
    cluster, model_dir, sentence_files, schema, tmp_path
):
    out = tmp_path / "out"
    seen = []

    class Interrupted(Exception):
        pass

    def interrupt_after_three(_rows):
        seen.append(1)
        if len(seen) == 3:
            raise Interrupted

    common = dict(sentences=True, schema=schema, lines_per_partition=3, on_skip=lambda e: None)
    with pytest.raises(Interrupted):
        predict_dataset(
            model_dir, [sentence_files], out, cluster.address, progress=interrupt_after_three,
            **common,
        )  # fmt: skip
    written = settled(out)
    assert 3 <= len(written) < 42
    before = {p.name: p.stat().st_ino for p in written}

    result = predict_dataset(model_dir, [sentence_files], out, cluster.address, **common)

    assert result.skipped == len(before)
    assert result.computed == 42 - len(before)
    assert {
        p.name: p.stat().st_ino for p in out.glob("part-*.parquet") if p.name in before
    } == before
    assert len(read_dataset(out)) == 120
    again = predict_dataset(model_dir, [sentence_files], out, cluster.address, **common)
    assert again.computed == 0 and again.skipped == 42


def settled(out: Path) -> list[Path]:
    """The partition files once no task is finishing any more (the interrupted run's last
    tasks may still land), and no temporary file is left."""
    files: list[Path] = []
    for _ in range(50):
        now = sorted(out.glob("part-*.parquet"))
        if now == files and not list(out.glob(".*")):
            return now
        files = now
        time.sleep(0.2)
    return files


def test_the_partitions_of_a_jsonl_file_cover_every_line_once(tmp_path):
    path = tmp_path / "s.jsonl"
    path.write_text("".join(f'{{"text": "جملہ {i}"}}\n' for i in range(10)), "utf-8")
    parts = partitions([path], sentences=True, lines_per_partition=4)
    assert [(p.first_line, p.stop - p.start > 0) for p in parts] == [
        (1, True),
        (5, True),
        (9, True),
    ]
    assert parts[0].start == 0 and parts[-1].stop == path.stat().st_size
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:], strict=False))
    assert not any(p.whole for p in parts)


def test_predict_on_a_cluster_from_the_command_line(cluster, model_dir, sentence_files, tmp_path):
    out = tmp_path / "predictions"
    args = ["predict", "--no-progress", "--sentences", str(sentence_files), "--model",
            str(model_dir), "--dask", cluster.address, "-o", str(out)]  # fmt: skip

    first = CliRunner().invoke(cli, args, catch_exceptions=False)
    second = CliRunner().invoke(cli, args, catch_exceptions=False)

    assert first.exit_code == 1  # the bad line is reported; the rest is predicted
    assert "part1.jsonl:18: " in first.output
    assert "120 sentences predicted in 3 partition(s), 0 already written" in first.output
    assert "0 sentences predicted in 0 partition(s), 3 already written" in second.output
    assert len(read_dataset(out)) == 120


def test_the_command_line_says_what_dask_needs(model_dir, sentence_files, tmp_path):
    def run(*extra):
        return CliRunner().invoke(
            cli,
            ["predict", "--no-progress", "--sentences", str(sentence_files), "--model",
             str(model_dir), *extra],
        )  # fmt: skip

    assert "give it with -o DIR" in run("--dask", "local:1").output
    assert "give local:N with N ≥ 1 workers" in run("--dask", "local:0", "-o", str(tmp_path)).output
    unreachable = run("--dask", f"tcp://127.0.0.1:{free_port()}", "-o", str(tmp_path / "o"))
    assert unreachable.exit_code == 1
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:" in unreachable.output

"""Batch prediction on a Dask cluster: the input cut into partitions, one Parquet file each.

`predict_dataset(model_dir, inputs, out_dir, address)` cuts the inputs into partitions (JSONL
files into ranges of lines, Parquet files into row groups, article files of a directory into
groups), and runs every partition as one task on the cluster's workers:

- the model is loaded once per worker, by a worker plugin (`ModelPlugin`) that carries only the
  model's directory: tasks never pickle the model, and a worker that joins or restarts loads it
  by itself;
- each partition's rows are written by the worker as `OUT/part-NNNNNN-<key>.parquet` with the
  flat, typed columns of `predict.flat_columns` (what `mauqif trends` and DuckDB read), atomically
  (a temporary file renamed into place), so a file that is there is complete;
- the key names the input file, the byte range, the kind of input and the model version: a
  re-run skips the partitions already written and computes only the missing ones (an
  interrupted job resumes), and a run with another model writes other files;
- a worker that dies mid-task loses nothing: the scheduler runs its tasks again elsewhere.

The output directory must be reachable at the same path from every worker (one machine, or a
shared file system), as the inputs must. `address` is a scheduler address
(`tcp://10.0.0.5:8786`) or `local:N`: a `LocalCluster` of N single-threaded worker processes on
127.0.0.1, without a dashboard. Without Dask, `mauqif.model.predict` is the default path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, pairwise, repeat
from pathlib import Path

from distributed import WorkerPlugin

from mauqif.annotate.exceptions import InputError, MauqifError, raise_input_error
from mauqif.annotate.reader import SUFFIXES, Article, iter_articles, parse_jsonl
from mauqif.annotate.tables import write_rows

from .predict import (
    CHARS_PER_SENTENCE,
    _article_chunk,
    _sentence_chunk,
    _sentence_lines,
    flat_columns,
    flat_rows,
    flat_types,
)

PLUGIN = "mauqif-model"
CONNECT_SECONDS = 10  # to reach a scheduler
LINES_PER_PARTITION = 20_000  # sentence JSONL lines per partition (article JSONL: a tenth)
BYTES_PER_PARTITION = 4_000_000  # article files of a directory grouped up to this size
CHUNK_SENTENCES = 2_000  # what a task predicts at once

SkipHandler = Callable[[InputError], None]
Progress = Callable[[int], None]


class DaskError(MauqifError):
    """The cluster cannot be reached or started."""


@dataclass(frozen=True)
class Partition:
    """A piece of the input one task predicts: lines [first_line, …) at bytes [start, stop) of a
    JSONL file, one row group of a Parquet file, or whole article files (`files`)."""

    index: int
    kind: str  # "jsonl", "parquet" or "files"
    path: str = ""
    start: int = 0
    stop: int = 0
    first_line: int = 1
    whole: bool = True  # the partition is the whole file (file-level errors are reported)
    files: tuple[str, ...] = ()

    def key(self, sentences: bool, model_version: str) -> str:
        what = f"{self.kind}|{self.path}|{self.start}|{self.stop}|{'|'.join(self.files)}"
        what += f"|{'sentences' if sentences else 'articles'}|{model_version}"
        return hashlib.sha256(what.encode("utf-8")).hexdigest()[:12]

    def filename(self, sentences: bool, model_version: str) -> str:
        return f"part-{self.index:06d}-{self.key(sentences, model_version)}.parquet"


def partitions(
    inputs: Iterable[str | Path],
    *,
    sentences: bool,
    lines_per_partition: int | None = None,
    on_skip: SkipHandler = raise_input_error,
) -> list[Partition]:
    """The partitions of `inputs` (files and directories), in input order.

    JSONL files are cut into ranges of `lines_per_partition` lines (default: 20,000 sentence
    lines, 2,000 article lines) by one scan of their line ends; Parquet files into their row
    groups; the other article files of a directory (.txt, .html) are grouped up to about 4 MB.
    A missing input is reported to `on_skip`; stdin cannot be partitioned.
    """
    lines = lines_per_partition or (LINES_PER_PARTITION if sentences else LINES_PER_PARTITION // 10)
    out: list[Partition] = []
    group: list[str] = []
    group_bytes = 0

    def flush():
        nonlocal group, group_bytes
        if group:
            out.append(Partition(len(out), "files", files=tuple(group)))
        group, group_bytes = [], 0

    for item in inputs:
        if str(item) == "-":
            raise MauqifError("--dask cannot read stdin: give files or directories")
        path = Path(item)
        if not path.exists():
            on_skip(InputError(str(path), "no such file or directory"))
            continue
        path = path.resolve()  # the workers may run in another directory
        files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in files:
            suffix = file.suffix.lower()
            if suffix == ".parquet":
                flush()
                out.extend(_parquet_partitions(file, len(out), on_skip))
            elif SUFFIXES.get(suffix) == "jsonl" or (sentences and path.is_file()):
                flush()
                try:
                    out.extend(_jsonl_partitions(file, lines, len(out)))
                except OSError as exc:
                    on_skip(InputError(str(file), f"cannot be read ({exc.strerror or exc})"))
            elif not sentences and (suffix in SUFFIXES or path.is_file()):
                group.append(str(file))
                group_bytes += file.stat().st_size
                if group_bytes >= BYTES_PER_PARTITION:
                    flush()
        flush()
    return out


def _jsonl_partitions(file: Path, lines: int, first_index: int) -> list[Partition]:
    """Ranges of `lines` lines: byte offsets found by reading the file once, in binary."""
    bounds = [(0, 1)]  # (byte offset, line number) of each range's first line
    offset = 0
    with open(file, "rb") as stream:
        for lineno, raw in enumerate(stream, 1):
            offset += len(raw)
            if lineno % lines == 0:
                bounds.append((offset, lineno + 1))
    if len(bounds) > 1 and bounds[-1][0] == offset:
        bounds.pop()  # the file ends exactly at a range boundary
    bounds.append((offset, None))
    whole = len(bounds) == 2
    return [
        Partition(first_index + i, "jsonl", str(file), start, stop, first_line, whole)
        for i, ((start, first_line), (stop, _)) in enumerate(pairwise(bounds))
    ]


def _parquet_partitions(file: Path, first_index: int, on_skip: SkipHandler) -> list[Partition]:
    import pyarrow.parquet as pq

    try:
        groups = pq.ParquetFile(file).metadata.num_row_groups
    except Exception as exc:  # pyarrow raises several types for a file that is not Parquet
        on_skip(InputError(str(file), f"is not a Parquet file ({exc})"))
        return []
    return [
        Partition(first_index + i, "parquet", str(file), i, i + 1, whole=groups == 1)
        for i in range(groups)
    ]


# ---- on the workers ------------------------------------------------------------------------


class ModelPlugin(WorkerPlugin):
    """A Dask worker plugin that loads the model once when a worker starts (or joins later) and
    keeps it on the plugin; tasks find it with `distributed.get_worker().plugins[PLUGIN]`.
    Only the model's directory travels to the workers."""

    def __init__(self, model_dir: str, schema=None):
        super().__init__()
        self.model_dir = str(model_dir)
        self.schema = schema
        self.model = None

    def setup(self, worker=None):
        from .artifact import load_model

        self.model = load_model(self.model_dir, self.schema)

    def teardown(self, worker=None):
        self.model = None


def _worker_model():
    from distributed import get_worker

    return get_worker().plugins[PLUGIN].model


def predict_partition(
    partition: Partition, out_dir: str, sentences: bool, model=None
) -> tuple[int, list[tuple[str, str]]]:
    """Predict one partition and write its rows to its file in `out_dir` (atomically).

    Returns (rows written, the inputs skipped as (where, reason)): errors travel back to the
    client as plain values and are reported there. `model` defaults to the worker's.
    """
    model = model if model is not None else _worker_model()
    errors: list[InputError] = []
    rows = list(_partition_rows(model, partition, sentences, errors.append))
    path = Path(out_dir) / partition.filename(sentences, model.version)
    write_rows(flat_rows(rows), path, "parquet", flat_columns(model), flat_types(model))
    return len(rows), [(e.source, e.reason) for e in errors]


def _partition_rows(model, partition: Partition, sentences: bool, on_skip) -> Iterator[dict]:
    if sentences:
        items = _partition_sentences(partition, on_skip)
        work = _sentence_chunk
    else:
        items = _partition_articles(partition, on_skip)
        work = _article_chunk
    chunk: list = []
    size = 0
    for item in items:
        chunk.append(item)
        size += 1 if sentences else max(1, len(item.text) // CHARS_PER_SENTENCE)
        if size >= CHUNK_SENTENCES:
            yield from _run(work, model, chunk, on_skip)
            chunk, size = [], 0
    if chunk:
        yield from _run(work, model, chunk, on_skip)


def _run(work, model, chunk, on_skip) -> list[dict]:
    rows, errors = work(model, chunk)
    for error in errors:
        on_skip(error)
    return rows


def _partition_lines(partition: Partition) -> Iterator[bytes]:
    """The partition's lines, after as many blank lines as come before it in its file: the
    JSONL reader skips blank lines, so its line numbers are the file's."""
    with open(partition.path, "rb") as stream:
        stream.seek(partition.start)
        data = stream.read(partition.stop - partition.start)
    return chain(repeat(b"", partition.first_line - 1), data.split(b"\n"))


def _partition_sentences(partition: Partition, on_skip) -> Iterator[dict]:
    if partition.kind == "parquet":
        for row in _parquet_rows(partition):
            if isinstance(row.get("text"), str) and row["text"].strip():
                yield {
                    "id": row.get("id"),
                    "article_id": row.get("article_id"),
                    "text": row["text"],
                    "context": row.get("context") if isinstance(row.get("context"), str) else "",
                }
            else:
                on_skip(InputError(partition.path, "a row has no `text` (a non-empty string)"))
        return
    yield from _sentence_lines(
        _partition_lines(partition),
        partition.path,
        Path(partition.path).stem,
        on_skip,
        whole_file=partition.whole,
    )


def _partition_articles(partition: Partition, on_skip) -> Iterator[Article]:
    if partition.kind == "files":
        yield from iter_articles(partition.files, on_skip=on_skip)
    elif partition.kind == "parquet":
        for i, row in enumerate(_parquet_rows(partition)):
            if isinstance(row.get("text"), str) and row["text"].strip():
                yield Article(
                    id=str(row.get("id") or f"{Path(partition.path).stem}-{partition.start}-{i}"),
                    text=row["text"],
                    title=row.get("title"),
                    url=row.get("url"),
                    published=row.get("published"),
                    source=partition.path,
                )
            else:
                on_skip(InputError(partition.path, "a row has no `text` (a non-empty string)"))
    else:
        lines = (raw.decode("utf-8", "replace") for raw in _partition_lines(partition))
        try:
            yield from parse_jsonl(lines, partition.path, on_skip)
        except InputError as exc:
            if partition.whole:  # "has no article lines" is about the whole file
                on_skip(exc)


def _parquet_rows(partition: Partition) -> list[dict]:
    import pyarrow.parquet as pq

    return pq.ParquetFile(partition.path).read_row_group(partition.start).to_pylist()


# ---- on the client -------------------------------------------------------------------------


@dataclass
class DatasetResult:
    """What a run did: partitions in all, skipped (already written), computed, rows written."""

    partitions: int
    skipped: int
    computed: int
    rows: int
    out_dir: Path


def predict_dataset(
    model_dir: str | Path,
    inputs: Iterable[str | Path],
    out_dir: str | Path,
    address: str,
    *,
    sentences: bool = False,
    schema=None,
    lines_per_partition: int | None = None,
    on_skip: SkipHandler = raise_input_error,
    progress: Progress | None = None,
    client=None,
) -> DatasetResult:
    """Predict `inputs` on the Dask cluster at `address` (or `local:N`) into a partitioned
    Parquet dataset in `out_dir`: one file per partition, skipping those already written.

    `client`: a `distributed.Client` already connected (then `address` is not used), e.g. to
    run several jobs on one cluster."""
    from .artifact import load_model

    if client is None and address.startswith("local:"):
        _local_workers(address)  # a bad N is said before any work
    model_dir = Path(model_dir).resolve()
    version = load_model(model_dir, schema).version  # checked here: a bad model fails early
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise MauqifError(f"{out_dir} is a file; --dask writes a directory of Parquet files")
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = partitions(
        inputs, sentences=sentences, lines_per_partition=lines_per_partition, on_skip=on_skip
    )
    names = {p.filename(sentences, version) for p in parts}
    done = {p.name for p in out_dir.glob("part-*.parquet")}
    if done - names:
        raise MauqifError(
            f"{out_dir} holds {len(done - names)} partition file(s) of another input or model "
            f"(e.g. {sorted(done - names)[0]}); give a new output directory, or remove them"
        )
    todo = [p for p in parts if p.filename(sentences, version) not in done]
    rows = 0
    if todo and client is not None:
        client.register_plugin(ModelPlugin(str(model_dir), schema), name=PLUGIN)
        rows = _compute(client, todo, str(out_dir), sentences, on_skip, progress)
    elif todo:
        with _client(address) as own:
            own.register_plugin(ModelPlugin(str(model_dir), schema), name=PLUGIN)
            rows = _compute(own, todo, str(out_dir), sentences, on_skip, progress)
    return DatasetResult(len(parts), len(parts) - len(todo), len(todo), rows, out_dir)


def _compute(client, todo, out_dir, sentences, on_skip, progress) -> int:
    from distributed import as_completed

    futures = [
        client.submit(
            predict_partition,
            part,
            out_dir,
            sentences,
            key=f"mauqif-predict-{part.key(sentences, '')}-{part.index}",
            pure=False,
        )
        for part in todo
    ]
    rows = 0
    for future in as_completed(futures):
        count, errors = future.result()
        for where, reason in errors:
            on_skip(InputError(where, reason))
        rows += count
        if progress is not None:
            progress(count)
    return rows


class _client:
    """A `distributed.Client` on `address`, or on a LocalCluster for `local:N`; closed after."""

    def __init__(self, address: str):
        self.address = address
        self.cluster = None
        self.client = None

    def __enter__(self):
        from distributed import Client, LocalCluster

        try:
            if self.address.startswith("local:"):
                workers = _local_workers(self.address)
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    worker_dashboard_address=None,
                )
                self.client = Client(self.cluster)
            else:
                self.client = Client(self.address, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as exc:
            self.__exit__(None, None, None)
            raise DaskError(
                f"cannot reach the Dask scheduler at {self.address} ({exc}); start one with "
                "`dask scheduler` and workers with `dask worker ADDRESS`, or use --dask local:N"
            ) from None
        return self.client

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _local_workers(address: str) -> int:
    count = address.removeprefix("local:")
    if not count.isdigit() or int(count) < 1:
        raise MauqifError(f"--dask {address}: give local:N with N ≥ 1 workers, e.g. local:2")
    return int(count)


def read_dataset(out_dir: str | Path):
    """The dataset's rows (flat columns) as one pandas DataFrame, partitions in input order (a
    directory `predict_dataset` wrote holds the partitions of one input and one model only)."""
    import pandas as pd

    files = sorted(Path(out_dir).glob("part-*.parquet"))
    if not files:
        return pd.DataFrame()
    return pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)

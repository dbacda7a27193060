"""Writing rows as JSONL, CSV or Parquet: streamed, and atomically when written to a file."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from .exceptions import MauqifError

FORMATS = ("jsonl", "csv", "parquet")
CHUNK_ROWS = 5000


def infer_format(path: str | Path | None, fmt: str | None) -> str:
    if fmt:
        return fmt
    if path is not None and str(path) != "-":
        suffix = Path(path).suffix.lower().lstrip(".")
        if suffix in FORMATS:
            return suffix
    return "jsonl"


@contextlib.contextmanager
def atomic_path(path: str | Path, mode: str = "w") -> Iterator[Path]:
    """Yield a temporary path beside `path`; it replaces `path` only when the block succeeds."""
    path = Path(path)
    if path.exists() and not path.is_file():
        yield path  # /dev/null, a pipe: nothing to replace atomically
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; the result is an ordinary file
        os.replace(tmp, path)
    except _KeepExisting:
        os.unlink(tmp)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_rows(rows: Iterable[dict], out: str | Path | None, fmt: str, columns: list[str]) -> int:
    """Write `rows` (dicts; list or dict values are nested) and return how many were written.

    A file is written atomically; when there are no rows at all, an existing file is left as it
    was (a run whose every input was bad must not wipe the last good output).
    """
    if fmt not in FORMATS:
        raise MauqifError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if out is None or str(out) == "-":
        if fmt == "parquet":
            raise MauqifError("Parquet is binary: give an output file with -o OUT.parquet")
        stream = io.TextIOWrapper(
            sys.stdout.buffer, encoding="utf-8", newline="", line_buffering=False
        )
        try:
            return _write_text(rows, stream, fmt, columns)
        finally:
            stream.flush()
            stream.detach()
    with atomic_path(out) as tmp:
        if fmt == "parquet":
            count = _write_parquet(rows, tmp, columns)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as stream:
                count = _write_text(rows, stream, fmt, columns)
        if count == 0 and Path(out).exists():
            raise _KeepExisting
    return count


class _KeepExisting(Exception):
    """Raised inside `atomic_path` to drop the temporary file and keep the existing one."""


def _write_text(rows: Iterable[dict], stream, fmt: str, columns: list[str]) -> int:
    count = 0
    if fmt == "jsonl":
        for row in rows:
            stream.write(json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.writer(stream)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in columns])
        count += 1
    return count


def _csv_cell(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value


def _write_parquet(rows: Iterable[dict], path: Path, columns: list[str]) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    iterator = iter(rows)
    writer = None
    count = 0
    try:
        while chunk := list(islice(iterator, CHUNK_ROWS)):
            # Nested values are stored as JSON text: their shape depends on the schema's parties.
            table = pa.Table.from_pylist(
                [{c: _parquet_cell(r.get(c)) for c in columns} for r in chunk]
            )
            if writer is None:
                schema = pa.schema(
                    [
                        f.with_type(pa.string()) if pa.types.is_null(f.type) else f
                        for f in table.schema
                    ]
                )
                writer = pq.ParquetWriter(path, schema)
                table = table.cast(schema)
            else:
                table = table.cast(writer.schema)
            writer.write_table(table)
            count += len(chunk)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        pq.write_table(pa.table({c: pa.array([], pa.string()) for c in columns}), path)
    return count


def _parquet_cell(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value

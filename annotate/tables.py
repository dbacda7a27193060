"""Writing rows as JSONL, CSV or Parquet: streamed, and atomically when written to a file."""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from .exceptions import InputError, MauqifError

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


def chunks(items: Iterable, size: int, first: int | None = None) -> Iterator[list]:
    """`items` in lists of `size` (the last may be shorter), consumed lazily: the one way mauqif
    batches a stream (table writes, import requests, prediction). With `first`, the lists start
    at that size and double up to `size`: a pipeline whose stages overlap (push predicts the next
    batch while the server imports this one) starts sooner.

    >>> list(chunks(range(5), 2))
    [[0, 1], [2, 3], [4]]
    >>> list(chunks(range(10), 4, first=1))
    [[0], [1, 2], [3, 4, 5, 6], [7, 8, 9]]
    """
    iterator = iter(items)
    step = min(first or size, size)
    while chunk := list(islice(iterator, step)):
        yield chunk
        step = min(2 * step, size)


def jsonl_objects(
    lines: Iterable[bytes | str], source: str
) -> Iterator[tuple[int, dict | InputError]]:
    """(line number, the JSON object, or the InputError saying why the line is not one) for each
    non-blank line of a JSONL stream: the one JSONL reader. A byte-order mark on the first line
    is ignored; the error names `source:line` and the reason (not UTF-8, not JSON, nested too
    deeply, not an object). What the object must hold is the caller's to check.

    >>> for n, row in jsonl_objects([b'{"id": 1}', b"", b"[2]"], "x.jsonl"):
    ...     print(n, row)
    1 {'id': 1}
    3 x.jsonl:3: is not a JSON object
    """
    for lineno, line in enumerate(lines, 1):
        if lineno == 1:
            line = line.removeprefix(b"\xef\xbb\xbf" if isinstance(line, bytes) else "\ufeff")
        if not line.strip():
            continue
        where = f"{source}:{lineno}"
        try:
            row = json.loads(line.decode("utf-8") if isinstance(line, bytes) else line)
        except UnicodeDecodeError:
            yield (
                lineno,
                InputError(
                    where, "not UTF-8; convert the file with `iconv -f <its encoding> -t UTF-8`"
                ),
            )
        except json.JSONDecodeError as exc:
            yield lineno, InputError(where, f"not valid JSON ({exc.msg})")
        except RecursionError:
            yield lineno, InputError(where, "not valid JSON here (nested too deeply)")
        else:
            yield (
                lineno,
                row if isinstance(row, dict) else InputError(where, "is not a JSON object"),
            )


# The file system cannot take the file: full, over quota, too big, read-only.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})


def refused_by_disk(exc: OSError) -> bool:
    # pyarrow's and joblib's writers raise OSError with the reason in the text only.
    return exc.errno in DISK_ERRNOS or "No space left on device" in str(exc)


def write_failed(path: str | Path, exc: OSError) -> MauqifError:
    """The one-line error for a file the file system refused: names it, says nothing was replaced."""
    reason = exc.strerror or str(exc)
    return MauqifError(
        f"{path}: cannot be written ({reason}); nothing was replaced: free some space (or "
        "choose another place) and run the command again"
    )


def _new_temporary(path: Path, make) -> Path:
    """A hidden, unique path beside `path`, created by `make` (which must fail if it exists)."""
    while True:
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.part")
        try:
            make(tmp)
            return tmp
        except FileExistsError:
            continue


@contextlib.contextmanager
def atomic_path(path: str | Path, *, perm: int = 0o666, exclusive: bool = False) -> Iterator[Path]:
    """Yield a temporary file beside `path`; it becomes `path` only when the block succeeds.

    The one way mauqif writes a file: a crash, a full disk or an error leaves the old file (or
    none) and no temporary file behind. `perm` are the permission bits before the umask (0o600:
    the owner's only, from the first byte). With `exclusive`, an existing `path` is never
    replaced: FileExistsError instead (snapshots and their metadata are never overwritten).
    """
    path = Path(path)
    if path.exists() and not path.is_file() and not exclusive:
        yield path  # /dev/null, a pipe: nothing to replace atomically
        return
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _new_temporary(path, lambda p: os.close(os.open(p, flags, perm)))
    except OSError as exc:
        raise write_failed(path, exc) from None
    try:
        yield tmp
        if exclusive:
            os.link(tmp, path)  # fails rather than replace
        else:
            os.replace(tmp, path)
    except _KeepExisting:
        pass
    except OSError as exc:
        if refused_by_disk(exc):
            raise write_failed(path, exc) from None
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@contextlib.contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield a new temporary directory beside `path`, renamed to `path` when the block succeeds;
    an existing `path` is never replaced (FileExistsError), and a failure leaves nothing."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _new_temporary(path, os.mkdir)
    except OSError as exc:
        raise write_failed(path, exc) from None
    try:
        yield tmp
        if path.exists():
            raise FileExistsError(errno.EEXIST, "already exists", str(path))
        os.rename(tmp, path)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and refused_by_disk(exc):
            raise write_failed(path, exc) from None
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_rows(
    rows: Iterable[dict],
    out: str | Path | None,
    fmt: str,
    columns: list[str],
    types: dict | None = None,
) -> int:
    """Write `rows` (dicts; list or dict values are nested) and return how many were written.

    `types` ({column: pyarrow type}) fixes the Parquet column types, so that a column whose first
    rows are all empty still gets its type (flat prediction rows: a date, a probability).

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
            count = _write_parquet(rows, tmp, columns, types)
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


def _write_parquet(
    rows: Iterable[dict], path: Path, columns: list[str], types: dict | None = None
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    iterator = iter(rows)
    writer = None
    count = 0
    fixed = pa.schema([(c, types[c]) for c in columns]) if types else None
    try:
        for chunk in chunks(iterator, CHUNK_ROWS):
            # Nested values are stored as JSON text: their shape depends on the schema's parties.
            table = pa.Table.from_pylist(
                [{c: _parquet_cell(r.get(c)) for c in columns} for r in chunk], schema=fixed
            )
            if writer is None and fixed is not None:
                writer = pq.ParquetWriter(path, fixed)
            elif writer is None:
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
        empty = pa.table({c: pa.array([], pa.string()) for c in columns})
        pq.write_table(fixed.empty_table() if fixed is not None else empty, path)
    return count


def _parquet_cell(value):
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value

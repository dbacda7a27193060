"""Trends: each party's stance shares (and the sentiment shares) by period and group, from
`mauqif predict` outputs, with bootstrap intervals: the model's labels counted (the default,
`quantify.DEFAULT_METHOD`, chosen by `python -m bench quantify`), corrected for its error
rates (`method` acc or pacc), or corrected by its mean error on the lab's labelled units
(`method` ppi, prediction-powered).

    from mauqif.model.trends import compute_trends
    result = compute_trends(["predictions/"], rates, by="month", group="outlet")
    result.table  # one row per question × period × group × value

Reading scales with the rows, not memory: the flat prediction columns are scanned in record
batches with pyarrow (`pyarrow.dataset` for Parquet and CSV, a chunked reader for JSONL), and each
batch is reduced at once to sums per cell (rows, rows predicted each value, posteriors of each
value) with pyarrow's hash aggregation; only those sums and a few example sentences per cell are
kept. pyarrow rather than DuckDB: it is already a dependency, and the benchmark (`python -m bench
trends`) measures 10 M rows within the time and memory asked.

Periods come from `published` (a UTC timestamp; `by` = month, week or day); rows without a date
are counted and reported (`TrendsResult.undated`) and left out of the periods. Groups are a column
(`outlet`, the URL's host, by default when grouping) or none.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mauqif.annotate.exceptions import InputError, MauqifError, raise_input_error

from .quantify import DEFAULT_METHOD, METHODS, NEEDS_RATES, Rates, bootstrap_cells, point_cells

PERIODS = ("month", "week", "day")
BATCH_ROWS = 262_144
EXAMPLES = 3  # example sentences kept per party × period × group × predicted value
EXAMPLE_ROWS = 20_000  # rows of a batch looked at for examples
NO_GROUP = "all"
UNKNOWN_GROUP = "(unknown)"
SENTIMENT = "sentiment"

Progress = Callable[[int], None]


class TrendsError(MauqifError):
    """Trends cannot be computed: no predictions, no flat columns, rates that do not fit."""


@dataclass
class TrendsResult:
    """`table`: one row per question (a party, or sentiment) × period × group × value, with the
    raw and estimated counts and shares and their intervals; `examples`: per question × period ×
    group × value, a few {text, url}; `rows`, `undated` (rows without a readable date, left out);
    `rates`: per question, (source, number of labels)."""

    table: pd.DataFrame
    examples: dict
    rows: int
    undated: int
    by: str
    group: str | None
    method: str
    rates: dict = field(default_factory=dict)
    model_versions: list[str] = field(default_factory=list)
    overall: pd.DataFrame | None = None  # the same, all groups together (what the plots show)


# ---- reading ------------------------------------------------------------------------------


def prediction_files(inputs: Iterable[str | Path], on_skip=raise_input_error) -> list[Path]:
    """Prediction files among `inputs`: files as given, directories' .parquet/.csv/.jsonl."""
    out = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in (".parquet", ".csv", ".jsonl")
            )
            if not found:
                on_skip(InputError(str(path), "holds no .parquet, .csv or .jsonl predictions"))
            out.extend(found)
        elif path.is_file():
            out.append(path)
        else:
            on_skip(InputError(str(path), "no such file or directory"))
    return out


def iter_batches(
    files: list[Path], extra: list[str] | None = None, on_skip=raise_input_error
) -> Iterator[tuple[int, int, object]]:
    """(file index, first row, record batch) of the flat prediction columns of Parquet, CSV or
    (nested) JSONL files. Parquet and CSV batches leave out the texts and URLs (most of the
    bytes): the few example rows' are fetched afterwards (`fetch_examples`)."""
    for index, file in enumerate(files):
        try:
            if file.suffix.lower() == ".jsonl":
                offset = 0
                for batch in _jsonl_batches(file):
                    yield index, offset, batch
                    offset += len(batch)
                continue
            dataset = _dataset(file)
            wanted = [c for c in dataset.schema.names if _needed(c, extra)]
            offset = 0
            # Little read-ahead: memory stays at a few batches, whatever the files hold.
            for batch in dataset.to_batches(
                columns=wanted, batch_size=BATCH_ROWS, batch_readahead=1, fragment_readahead=1
            ):
                yield index, offset, batch
                offset += len(batch)
        except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
            on_skip(InputError(str(file), f"cannot be read as predictions ({exc})"))


def _dataset(file: Path):
    import pyarrow.dataset as ds

    if file.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        names = pq.read_schema(file).names
        labels = [n for n in names if n.startswith("stance_") or n in (SENTIMENT, "outlet")]
        # Labels read as dictionaries: their codes are counted, no string is compared.
        options = ds.ParquetReadOptions(dictionary_columns=labels)
        return ds.dataset(file, format=ds.ParquetFileFormat(read_options=options))
    return ds.dataset(file, format="csv")


def _needed(column: str, extra: list[str] | None) -> bool:
    """The columns the counting pass reads: dates, labels, posteriors, the model version."""
    return (
        column in ("published", "outlet", "model_version", SENTIMENT)
        or column.startswith(("stance_", "p_"))
        or column in (extra or [])
    )


def _jsonl_batches(file: Path) -> Iterator:
    import pyarrow as pa

    from .predict import flat_rows

    def rows():
        with open(file, encoding="utf-8") as stream:
            for lineno, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    if not isinstance(row.get("stance"), dict):
                        raise ValueError("no `stance` object")
                except (json.JSONDecodeError, ValueError, AttributeError) as exc:
                    raise ValueError(f"line {lineno} is not a prediction row ({exc})") from None
                yield row

    batch = []
    for row in flat_rows(rows()):
        batch.append(row)
        if len(batch) >= BATCH_ROWS // 8:
            yield pa.RecordBatch.from_pylist(batch)
            batch = []
    if batch:
        yield pa.RecordBatch.from_pylist(batch)


def questions_of(names: Iterable[str]) -> dict[str, list[str]]:
    """{party: stance values} and {"sentiment": values} from flat column names."""
    names = list(names)
    parties = [n.removeprefix("stance_") for n in names if n.startswith("stance_")]
    out = {}
    for party in parties:
        values = [n.removeprefix(f"p_{party}_") for n in names if n.startswith(f"p_{party}_")]
        if values:
            out[party] = values
    sentiment = [n.removeprefix("p_sentiment_") for n in names if n.startswith("p_sentiment_")]
    if sentiment and SENTIMENT in names:
        out[SENTIMENT] = sentiment
    return out


# ---- reducing -----------------------------------------------------------------------------


def _codes(array, values: list[str]) -> tuple[np.ndarray, list]:
    """(codes into `values`, -1 elsewhere; the dictionary's values) of a string column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not pa.types.is_dictionary(array.type):
        array = pc.dictionary_encode(array)
    dictionary = array.dictionary.to_pylist()
    where = np.array([values.index(v) if v in values else -1 for v in dictionary] + [-1])
    indices = array.indices.fill_null(len(dictionary)).to_numpy(zero_copy_only=False)
    return where[indices], dictionary


def _periods(batch, by: str) -> tuple[np.ndarray, np.ndarray]:
    """(each row's period code, the periods' starts as int64 microseconds (UTC), NAT for the
    undated) of a batch."""
    import pyarrow as pa
    import pyarrow.compute as pc

    published = batch.column("published") if "published" in batch.schema.names else None
    if published is None or pa.types.is_null(published.type):
        return np.zeros(len(batch), dtype=np.int64), np.array([NAT], dtype=np.int64)
    if pa.types.is_string(published.type) or pa.types.is_large_string(published.type):
        published = pc.strptime(published, format="%Y-%m-%d", unit="us", error_is_null=True)
    # Floored in UTC without a time zone (a zone makes arrow convert every value).
    naive = published.cast(pa.timestamp("us"))
    options = {"week_starts_monday": True} if by == "week" else {}
    encoded = pc.dictionary_encode(pc.floor_temporal(naive, unit=by, **options))
    starts = encoded.dictionary.cast(pa.int64()).to_numpy(zero_copy_only=False)
    starts = np.append(starts, NAT)
    codes = encoded.indices.fill_null(len(starts) - 1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), starts


NAT = np.datetime64("NaT").astype("datetime64[us]").view(np.int64)


def _groups(batch, group: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(each row's group code, the groups' names) of a batch."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if group is None:
        return np.zeros(len(batch), dtype=np.int64), np.array([NO_GROUP], dtype=object)
    if group not in batch.schema.names:
        raise TrendsError(
            f"the predictions have no column {group!r} to group by; use one of "
            f"{', '.join(n for n in batch.schema.names if not n.startswith('p_'))}"
        )
    column = batch.column(group)
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(pc.cast(column, pa.string()))
    names = np.array([*map(str, column.dictionary.to_pylist()), UNKNOWN_GROUP], dtype=object)
    codes = column.indices.fill_null(len(names) - 1).to_numpy(zero_copy_only=False)
    return codes.astype(np.int64), names


def _reduce(batch, questions: dict, by: str, group: str | None):
    """(sums per cell as a frame indexed by (period, group), first rows per question × cell ×
    value) of one batch: numpy's bincount over dense cell codes (and label codes); no sort."""
    period_codes, period_starts = _periods(batch, by)
    group_codes, group_names = _groups(batch, group)
    n_groups = len(group_names)
    size = len(period_starts) * n_groups
    cell = period_codes * n_groups + group_codes
    count = np.bincount(cell, minlength=size)
    present = np.flatnonzero(count)
    columns = {"count_all": count[present]}
    first_rows = []
    positions = np.arange(len(batch), dtype=np.int64)
    for question, values in questions.items():
        k = len(values)
        label = batch.column(f"stance_{question}" if question != SENTIMENT else SENTIMENT)
        codes, _ = _codes(label, values)
        known = codes >= 0
        key = cell[known] * k + codes[known]
        hard = np.bincount(key, minlength=size * k).reshape(size, k)[present]
        for j, value in enumerate(values):
            columns[f"h|{question}|{value}"] = hard[:, j]
            column = batch.column(f"p_{question}_{value}")
            proba = column.to_numpy(zero_copy_only=False)
            if column.null_count:
                proba = np.nan_to_num(proba)
            sums = np.bincount(cell, weights=proba, minlength=size)
            columns[f"s|{question}|{value}"] = sums[present]
        first = np.full(size * k, len(batch), dtype=np.int64)
        np.minimum.at(first, key, positions[known])
        keys = np.flatnonzero(first < len(batch))
        first_rows.append((question, keys // k, keys % k, first[keys]))
    period_text = _period_text(period_starts)
    index = pd.MultiIndex.from_arrays(
        [period_text[present // n_groups], group_names[present % n_groups]],
        names=["period", "group"],
    )
    frame = pd.DataFrame(columns, index=index)
    examples = [
        (question, [(period_text[c // n_groups], str(group_names[c % n_groups]),
                     questions[question][v], int(r))
                    for c, v, r in zip(cells, value_of, rows, strict=True)])
        for question, cells, value_of, rows in first_rows
    ]  # fmt: skip
    return frame, examples


def _period_text(micros: np.ndarray) -> np.ndarray:
    stamps = micros.astype("datetime64[us]")
    text = np.datetime_as_string(stamps, unit="D").astype(object)
    text[micros == NAT] = ""
    return text


@dataclass
class Sums:
    """Sums per cell over all batches (a frame indexed by (period, group)), and for each
    question × period × group × value up to EXAMPLES rows (file index, row) to show."""

    frame: pd.DataFrame | None = None
    examples: dict = field(default_factory=dict)
    rows: int = 0

    def add(self, part: pd.DataFrame, examples, file_index: int, offset: int, batch) -> None:
        self.frame = part if self.frame is None else self.frame.add(part, fill_value=0)
        self.rows += int(part["count_all"].sum())
        inline = "text" in batch.schema.names
        for question, picked in examples:
            for period, group, value, row in picked:
                kept = self.examples.setdefault((question, period, group, value), [])
                if len(kept) >= EXAMPLES:
                    continue
                if inline:
                    url = batch.column("url")[row].as_py() if "url" in batch.schema.names else None
                    kept.append({"text": batch.column("text")[row].as_py(), "url": url})
                else:
                    kept.append((file_index, offset + row))


def fetch_examples(sums: Sums, files: list[Path]) -> None:
    """Replace the (file, row) places of the examples by their {text, url}, reading only
    those rows' texts and URLs."""
    wanted: dict[int, set[int]] = {}
    for kept in sums.examples.values():
        for item in kept:
            if isinstance(item, tuple):
                wanted.setdefault(item[0], set()).add(item[1])
    found: dict[tuple[int, int], dict] = {}
    for index, rows in wanted.items():
        for row, values in _rows_of(files[index], sorted(rows)):
            found[(index, row)] = {"text": values.get("text"), "url": values.get("url")}
    for key, kept in sums.examples.items():
        sums.examples[key] = [
            found[item] if isinstance(item, tuple) else item
            for item in kept
            if not isinstance(item, tuple) or item in found
        ]


def _rows_of(file: Path, rows: list[int]) -> Iterator[tuple[int, dict]]:
    """(row, {text, url}) of the given rows of a file; of a Parquet file only the row groups
    that hold them are read, one at a time."""
    if file.suffix.lower() != ".parquet":
        dataset = _dataset(file)
        columns = [c for c in ("text", "url") if c in dataset.schema.names]
        if "text" in columns:
            yield from zip(rows, dataset.take(rows, columns=columns).to_pylist(), strict=True)
        return
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(file)
    columns = [c for c in ("text", "url") if c in parquet.schema_arrow.names]
    if "text" not in columns:
        return
    start, wanted = 0, iter(rows)
    row = next(wanted, None)
    for group in range(parquet.metadata.num_row_groups):
        stop = start + parquet.metadata.row_group(group).num_rows
        inside = []
        while row is not None and row < stop:
            inside.append(row)
            row = next(wanted, None)
        if inside:
            table = parquet.read_row_group(group, columns=columns)
            picked = table.take([r - start for r in inside]).to_pylist()
            yield from zip(inside, picked, strict=True)
        start = stop


def reduce_predictions(
    inputs: Iterable[str | Path],
    by: str = "month",
    group: str | None = None,
    *,
    on_skip=raise_input_error,
    progress: Progress | None = None,
) -> tuple[Sums, dict, list[str]]:
    """One pass over the predictions: (sums per cell, questions, model versions seen)."""
    if by not in PERIODS:
        raise TrendsError(f"unknown period {by!r}; use one of {', '.join(PERIODS)}")
    files = prediction_files(inputs, on_skip)
    if not files:
        raise TrendsError("no prediction files to read; give the outputs of `mauqif predict`")
    sums, questions, versions = Sums(), None, set()
    for index, offset, batch in iter_batches(files, [group] if group else None, on_skip):
        if questions is None:
            questions = questions_of(batch.schema.names)
            if not questions:
                raise TrendsError(
                    f"{files[index]} has no flat prediction columns (stance_<party>, "
                    "p_<party>_<value>); predict again with this mauqif, to .parquet or .csv"
                )
        if "model_version" in batch.schema.names:
            _, seen = _codes(batch.column("model_version"), [])
            versions.update(v for v in seen if v)
        part, examples = _reduce(batch, questions, by, group)
        sums.add(part, examples, index, offset, batch)
        if progress is not None:
            progress(len(batch))
    if questions is None or sums.frame is None:
        raise TrendsError("the prediction files hold no rows")
    fetch_examples(sums, files)
    return sums, questions, sorted(versions)


# ---- estimating ---------------------------------------------------------------------------


def compute_trends(
    inputs: Iterable[str | Path],
    rates: dict[str, Rates],
    by: str = "month",
    group: str | None = None,
    *,
    method: str = DEFAULT_METHOD,
    not_source: str = "none",
    draws: int = 400,
    level: float = 0.9,
    on_skip=raise_input_error,
    progress: Progress | None = None,
) -> TrendsResult:
    """Read the predictions once and estimate every cell's shares (see the module docstring)."""
    if method not in METHODS:
        raise TrendsError(f"unknown estimator {method!r}; use one of {', '.join(METHODS)}")
    sums, questions, versions = reduce_predictions(
        inputs, by, group, on_skip=on_skip, progress=progress
    )
    frame = sums.frame
    undated = int(frame.loc[frame.index.get_level_values("period") == "", "count_all"].sum())
    dated = frame[frame.index.get_level_values("period") != ""].sort_index()
    pooled = dated.groupby(level="period").sum()
    pooled.index = pd.MultiIndex.from_arrays(
        [pooled.index, [NO_GROUP] * len(pooled)], names=["period", "group"]
    )
    tables, overall = [], []
    used = {}
    for question, values in questions.items():
        question_rates = rates.get(question)
        if method in NEEDS_RATES:
            if question_rates is None:
                raise TrendsError(f"the model's error rates have nothing for {question!r}")
            question_rates = _aligned(question_rates, values, question)
            if method == "ppi" and question_rates.n == 0:
                raise TrendsError(
                    f"no labelled unit of {question!r} to correct its counts with (ppi): "
                    "give labelled units of it, or use --method cc"
                )
            used[question] = {"source": question_rates.source, "labels": question_rates.n}
        args = (question, values, question_rates, method, not_source, draws, level)
        if len(dated):
            tables.append(_estimate(dated, *args))
            overall.append(_estimate(pooled, *args) if group is not None else tables[-1])
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    return TrendsResult(
        overall=pd.concat(overall, ignore_index=True) if overall else table,
        table=table,
        examples=sums.examples,
        rows=sums.rows,
        undated=undated,
        by=by,
        group=group,
        method=method,
        rates=used,
        model_versions=versions,
    )


def _aligned(rates: Rates, values: list[str], question: str) -> Rates:
    """`rates` with its labels in the order of the prediction columns."""
    if set(rates.labels) != set(values):
        raise TrendsError(
            f"the error rates of {question!r} are for values {list(rates.labels)}, the predictions "
            f"have {values}: they come from another model; use the model that predicted them"
        )
    order = [rates.labels.index(v) for v in values]
    return Rates(
        tuple(values),
        rates.counts[np.ix_(order, order)],
        rates.proba[np.ix_(order, order)],
        rates.source,
    )


def _estimate(frame, question, values, rates, method, not_source, draws, level) -> pd.DataFrame:
    n = frame["count_all"].to_numpy(dtype=float)
    hard = np.stack([frame[f"h|{question}|{v}"].to_numpy(dtype=float) for v in values], 1)
    soft = np.stack([frame[f"s|{question}|{v}"].to_numpy(dtype=float) for v in values], 1)
    est = point_cells(n, hard, soft, rates, method)
    samples = bootstrap_cells(n, hard, soft, rates, method, draws=draws)  # (cells, draws, K)
    tail = (1 - level) / 2
    counts = samples * n[:, None, None]
    stance = question != SENTIMENT and not_source in values
    source_index = [i for i, v in enumerate(values) if v != not_source] if stance else []
    if stance:
        sources = counts[:, :, source_index].sum(axis=2)
        # A draw with no source at all has no shares: 0, not NaN (fast quantiles).
        denominator = samples[:, :, source_index].sum(axis=2, keepdims=True)
        share_draws = samples / np.maximum(denominator, 1e-12)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = est / est[:, source_index].sum(axis=1, keepdims=True)
        sources_est = est[:, source_index].sum(axis=1) * n
    else:
        sources = np.repeat(n[:, None], samples.shape[1], axis=1)
        share_draws, share, sources_est = samples, est, n
    rows = []
    periods = frame.index.get_level_values("period")
    groups = frame.index.get_level_values("group")
    for i, value in enumerate(values):
        if stance and value == not_source:
            continue
        block = pd.DataFrame(
            {
                "question": question,
                "period": periods,
                "group": groups,
                "sentences": n.astype(int),
                "sources": sources_est,
                "sources_low": np.quantile(sources, tail, axis=1),
                "sources_high": np.quantile(sources, 1 - tail, axis=1),
                "value": value,
                "counted": hard[:, i].astype(int),
                "count": est[:, i] * n,
                "count_low": np.quantile(counts[:, :, i], tail, axis=1),
                "count_high": np.quantile(counts[:, :, i], 1 - tail, axis=1),
                "share": share[:, i],
                "share_low": np.quantile(share_draws[:, :, i], tail, axis=1),
                "share_high": np.quantile(share_draws[:, :, i], 1 - tail, axis=1),
            }
        )
        rows.append(block)
    return pd.concat(rows, ignore_index=True)

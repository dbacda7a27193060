"""Trends: each party's stance shares (and the sentiment shares) by period and group, from
`mauqif predict` outputs, corrected for the model's error rates, with bootstrap intervals.

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

from .quantify import METHODS, Rates, bootstrap_cells, point_cells

PERIODS = ("month", "week", "day")
BATCH_ROWS = 262_144
EXAMPLES = 3  # example sentences kept per party × period × group × predicted value
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


def iter_batches(files: list[Path], columns: list[str] | None = None, on_skip=raise_input_error):
    """Record batches of flat prediction columns from Parquet, CSV or (nested) JSONL files."""
    import pyarrow.dataset as ds

    for file in files:
        suffix = file.suffix.lower()
        try:
            if suffix == ".jsonl":
                yield from _jsonl_batches(file)
                continue
            dataset = ds.dataset(file, format="parquet" if suffix == ".parquet" else "csv")
            have = set(dataset.schema.names)
            wanted = [c for c in columns if c in have] if columns else None
            yield from dataset.to_batches(columns=wanted, batch_size=BATCH_ROWS)
        except (OSError, ValueError) as exc:  # pyarrow's errors derive from these
            on_skip(InputError(str(file), f"cannot be read as predictions ({exc})"))


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


def _cell_keys(batch, by: str, group: str | None):
    import pyarrow as pa
    import pyarrow.compute as pc

    published = batch.column("published") if "published" in batch.schema.names else None
    if published is None or pa.types.is_null(published.type):
        period = pa.nulls(len(batch), pa.string())
    else:
        if pa.types.is_string(published.type) or pa.types.is_large_string(published.type):
            published = pc.cast(
                pc.strptime(published, format="%Y-%m-%d", unit="us", error_is_null=True),
                pa.timestamp("us", tz="UTC"),
            )
        options = {"week_starts_monday": True} if by == "week" else {}
        floored = pc.floor_temporal(published, unit=by, **options)
        period = pc.strftime(floored, format="%Y-%m-%d")
    if group is None:
        groups = pa.array([NO_GROUP] * len(batch), pa.string())
    elif group in batch.schema.names:
        groups = pc.fill_null(pc.cast(batch.column(group), pa.string()), UNKNOWN_GROUP)
    else:
        raise TrendsError(
            f"the predictions have no column {group!r} to group by; use one of "
            f"{', '.join(n for n in batch.schema.names if not n.startswith('p_'))}"
        )
    return period, groups


def _reduce(batch, questions: dict, by: str, group: str | None):
    """(sums per cell, examples per cell and value) of one batch."""
    import pyarrow as pa
    import pyarrow.compute as pc

    period, groups = _cell_keys(batch, by, group)
    columns = {"period": period, "group": groups}
    sums = []
    for question, values in questions.items():
        label = batch.column(f"stance_{question}" if question != SENTIMENT else SENTIMENT)
        for value in values:
            hard = f"h|{question}|{value}"
            columns[hard] = pc.cast(pc.equal(label, value), pa.int32())
            soft = f"s|{question}|{value}"
            columns[soft] = pc.cast(batch.column(f"p_{question}_{value}"), pa.float64())
            sums += [(hard, "sum"), (soft, "sum")]
    table = pa.table(columns)
    reduced = table.group_by(["period", "group"]).aggregate([*sums, ([], "count_all")])
    examples = []
    text = batch.column("text") if "text" in batch.schema.names else None
    url = batch.column("url") if "url" in batch.schema.names else pa.nulls(len(batch), pa.string())
    if text is not None:
        for question in questions:
            name = f"stance_{question}" if question != SENTIMENT else SENTIMENT
            picked = pa.table(
                {
                    "period": period,
                    "group": groups,
                    "value": batch.column(name),
                    "text": text,
                    "url": pc.cast(url, pa.string()),
                }
            )
            first = picked.group_by(["period", "group", "value"], use_threads=False).aggregate(
                [("text", "first"), ("url", "first")]
            )
            examples.append((question, first.to_pylist()))
    return reduced, examples


@dataclass
class Sums:
    """Sums per cell over all batches: a pandas frame indexed by (period, group)."""

    frame: pd.DataFrame | None = None
    examples: dict = field(default_factory=dict)
    rows: int = 0

    def add(self, reduced, examples) -> None:
        part = reduced.to_pandas()
        part["period"] = part["period"].fillna("")
        part = part.set_index(["period", "group"])
        self.frame = part if self.frame is None else self.frame.add(part, fill_value=0)
        self.rows += int(part["count_all"].sum())
        for question, rows in examples:
            for row in rows:
                key = (question, row["period"] or "", row["group"], row["value"])
                kept = self.examples.setdefault(key, [])
                if len(kept) < EXAMPLES and row["text_first"] is not None:
                    kept.append({"text": row["text_first"], "url": row["url_first"]})


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
    for batch in iter_batches(files, on_skip=on_skip):
        if questions is None:
            questions = questions_of(batch.schema.names)
            if not questions:
                raise TrendsError(
                    f"{files[0]} has no flat prediction columns (stance_<party>, "
                    "p_<party>_<value>); predict again with this mauqif, to .parquet or .csv"
                )
        if "model_version" in batch.schema.names:
            import pyarrow.compute as pc

            versions.update(v for v in pc.unique(batch.column("model_version")).to_pylist() if v)
        reduced, examples = _reduce(batch, questions, by, group)
        sums.add(reduced, examples)
        if progress is not None:
            progress(len(batch))
    if questions is None or sums.frame is None:
        raise TrendsError("the prediction files hold no rows")
    return sums, questions, sorted(versions)


# ---- estimating ---------------------------------------------------------------------------


def compute_trends(
    inputs: Iterable[str | Path],
    rates: dict[str, Rates],
    by: str = "month",
    group: str | None = None,
    *,
    method: str = "pacc",
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
        if method in ("acc", "pacc"):
            if question_rates is None:
                raise TrendsError(f"the model's error rates have nothing for {question!r}")
            question_rates = _aligned(question_rates, values, question)
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
    hard = np.stack([frame[f"h|{question}|{v}_sum"].to_numpy(dtype=float) for v in values], 1)
    soft = np.stack([frame[f"s|{question}|{v}_sum"].to_numpy(dtype=float) for v in values], 1)
    est = point_cells(n, hard, soft, rates, method)
    samples = bootstrap_cells(n, hard, soft, rates, method, draws=draws)  # (cells, draws, K)
    tail = (1 - level) / 2
    counts = samples * n[:, None, None]
    stance = question != SENTIMENT and not_source in values
    source_index = [i for i, v in enumerate(values) if v != not_source] if stance else []
    if stance:
        sources = counts[:, :, source_index].sum(axis=2)
        with np.errstate(invalid="ignore", divide="ignore"):
            share_draws = samples / samples[:, :, source_index].sum(axis=2, keepdims=True)
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
                "sources_low": np.nanquantile(sources, tail, axis=1),
                "sources_high": np.nanquantile(sources, 1 - tail, axis=1),
                "value": value,
                "counted": hard[:, i].astype(int),
                "count": est[:, i] * n,
                "count_low": np.quantile(counts[:, :, i], tail, axis=1),
                "count_high": np.quantile(counts[:, :, i], 1 - tail, axis=1),
                "share": share[:, i],
                "share_low": _nanquantile(share_draws[:, :, i], tail),
                "share_high": _nanquantile(share_draws[:, :, i], 1 - tail),
            }
        )
        rows.append(block)
    return pd.concat(rows, ignore_index=True)


def _nanquantile(values: np.ndarray, q: float) -> np.ndarray:
    """Quantile over draws, NaN for a cell whose every draw is NaN (no source at all)."""
    out = np.full(values.shape[0], np.nan)
    ok = ~np.isnan(values).all(axis=1)
    if ok.any():
        out[ok] = np.nanquantile(values[ok], q, axis=1)
    return out

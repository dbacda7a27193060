"""Batch prediction, streamed: inputs are read lazily and predicted in chunks, so memory does not
grow with the input; with `n_jobs` > 1 the chunks go to worker processes (joblib), in order.

Two kinds of input:
- articles, read exactly as `mauqif sentences` reads them (.txt, .jsonl, .html, directories, `-`),
  split into units with their mentions;
- sentence JSONL (`sentences=True`): every row is already one sentence, `text` required,
  `context` and `id` optional (`id` passed through unchanged), `article_id` optional; never
  re-split.

One output row per sentence, with the columns of `PREDICTION_COLUMNS` (JSONL keeps them nested).
Tables (Parquet, CSV, the Dask dataset) get flat, typed columns instead (`flat_columns`,
`flat_rows`): `stance_<party>`, `p_<party>_<value>`, `sentiment`, `p_sentiment_<value>`,
`published` (a UTC timestamp, empty when the article gave no readable date), `outlet` (the URL's
host), `url` and the ids, so pandas, Polars and DuckDB read them without parsing JSON.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pandas as pd
from joblib import Parallel, delayed

from mauqif.annotate.exceptions import InputError, raise_input_error
from mauqif.annotate.mentions import find_in_articles
from mauqif.annotate.pipeline import sentence_id
from mauqif.annotate.reader import STDIN, Article, iter_articles
from mauqif.annotate.sitelines import host_of
from mauqif.annotate.tables import chunks, jsonl_objects

from .model import ANSWER_COLUMNS, Model

PREDICTION_COLUMNS = ["id", "article_id", "url", "published", "text", "mentions", *ANSWER_COLUMNS]
CHUNK_SENTENCES = 2000
CHARS_PER_SENTENCE = (
    110  # to cut article chunks of about CHUNK_SENTENCES sentences before splitting
)
DIGITS = 4  # probabilities are rounded in the output rows

PASSED_THROUGH = ("url", "published", "outlet")  # kept from sentence JSONL rows when given

SkipHandler = Callable[[InputError], None]
Progress = Callable[[int], None]


def predict_articles(
    model: Model,
    inputs: Iterable[str | Path],
    *,
    on_skip: SkipHandler = raise_input_error,
    chunk_size: int = CHUNK_SENTENCES,
    n_jobs: int = 1,
    progress: Progress | None = None,
) -> Iterator[dict]:
    """Prediction rows for every unit of every article in `inputs`; `id` is the sentence id."""
    articles = iter_articles(inputs, on_skip=on_skip)
    chunks = _article_chunks(articles, chunk_size * CHARS_PER_SENTENCE)
    yield from _run(_article_chunk, model, chunks, n_jobs, on_skip, progress)


def predict_sentences(
    model: Model,
    inputs: Iterable[str | Path],
    *,
    on_skip: SkipHandler = raise_input_error,
    chunk_size: int = CHUNK_SENTENCES,
    n_jobs: int = 1,
    progress: Progress | None = None,
) -> Iterator[dict]:
    """Prediction rows for sentence JSONL files (see the module docstring)."""
    batches = chunks(iter_sentence_rows(inputs, on_skip), chunk_size)
    yield from _run(_sentence_chunk, model, batches, n_jobs, on_skip, progress)


def _run(work, model: Model, chunks: Iterator[list], n_jobs: int, on_skip: SkipHandler, progress):
    if n_jobs == 1:
        results = (work(model, chunk) for chunk in chunks)
    else:
        # Lazily dispatched (two chunks per worker ahead), results in input order.
        results = Parallel(n_jobs=n_jobs, return_as="generator")(
            delayed(work)(model, c) for c in chunks
        )
    for rows, errors in results:
        for error in errors:
            on_skip(error)
        if progress is not None:
            progress(len(rows))
        yield from rows


def _article_chunks(articles: Iterator[Article], max_chars: int) -> Iterator[list[Article]]:
    chunk, size = [], 0
    for article in articles:
        chunk.append(article)
        size += len(article.text)
        if size >= max_chars:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _article_chunk(model: Model, articles: list[Article]) -> tuple[list[dict], list[InputError]]:
    segmenter = model.segmenter()
    units, errors = [], []
    for article in articles:
        try:
            units.extend(segmenter.units(article))
        except InputError as exc:
            errors.append(exc)
    return prediction_rows(model, units, [u["sentence_id"] for u in units]), errors


def _sentence_chunk(model: Model, rows: list[dict]) -> tuple[list[dict], list[InputError]]:
    found = find_in_articles(
        model.finder(),
        [row["text"] for row in rows],
        [row.get("context") or "" for row in rows],
        [row.get("article_id") for row in rows],
        [row.get("index") for row in rows],
    )
    for row, mentions in zip(rows, found, strict=True):
        row["mentions"] = mentions
    return prediction_rows(model, rows, [r["id"] for r in rows]), []


def prediction_rows(model: Model, units: list[dict], ids: list) -> list[dict]:
    """Output rows for units with text, context, mentions (and article_id)."""
    if not units:
        return []
    frame = pd.DataFrame(
        {
            "text": [u["text"] for u in units],
            "context": [u.get("context") or "" for u in units],
            "mentions": [u["mentions"] for u in units],
            # which article and where in it: a pronoun speaker is resolved across the article
            "article_id": [u.get("article_id") for u in units],
            "index": [u.get("index") for u in units],
        }
    )
    answers = model.answers(frame, digits=DIGITS)
    return [
        {
            "id": ids[i],
            "article_id": unit.get("article_id"),
            "url": unit.get("url"),
            "published": unit.get("published"),
            "text": unit["text"],
            "mentions": unit["mentions"],
            **answers[i],
        }
        for i, unit in enumerate(units)
    ]


def iter_sentence_rows(
    inputs: Iterable[str | Path], on_skip: SkipHandler = raise_input_error
) -> Iterator[dict]:
    """Rows {id, article_id, text, context} of sentence JSONL inputs (files, directories of
    .jsonl files, `-`). A bad line is reported with its file and line number and skipped; a file
    that is not JSONL at all is reported once."""
    for item in inputs:
        if str(item) == STDIN:
            yield from _sentence_lines(sys.stdin.buffer, "<stdin>", "stdin", on_skip)
            continue
        path = Path(item)
        if path.is_dir():
            files = sorted(
                p
                for p in path.rglob("*")
                if p.is_file() and p.suffix.lower() in (".jsonl", ".ndjson")
            )
        elif not path.exists():
            on_skip(InputError(str(path), "no such file or directory"))
            continue
        else:
            files = [path]
        for file in files:
            try:
                with open(file, "rb") as stream:
                    yield from _sentence_lines(stream, str(file), file.stem, on_skip)
            except OSError as exc:
                on_skip(InputError(str(file), f"cannot be read ({exc.strerror or exc})"))


def _sentence_lines(
    stream, source: str, default_article: str, on_skip: SkipHandler, *, whole_file: bool = True
) -> Iterator[dict]:
    """Sentence rows of JSONL lines. For a whole file, a first line that is not a sentence
    means the file is something else (reported once, skipped) and no line at all means it is
    empty; a part of a file (`whole_file=False`, a Dask partition) reports each bad line."""
    good = bad = 0
    for lineno, row in jsonl_objects(stream, source):
        where = f"{source}:{lineno}"
        error = row if isinstance(row, InputError) else _sentence_problem(row, where)
        if error is not None:
            if good == 0 and bad == 0 and whole_file:
                on_skip(
                    InputError(
                        source, f"is not sentence JSONL ({error.reason} on line {lineno}); skipped"
                    )
                )
                return
            bad += 1
            on_skip(error)
            continue
        good += 1
        text = row["text"]
        article_id = row.get("article_id")
        yield {
            "id": row["id"]
            if "id" in row
            else sentence_id(str(article_id or default_article), text, 0),
            "article_id": article_id,
            "text": text,
            "context": row.get("context") if isinstance(row.get("context"), str) else "",
            **{k: row[k] for k in PASSED_THROUGH if isinstance(row.get(k), str)},
        }
    if good == 0 and bad == 0 and whole_file:
        on_skip(InputError(source, "is empty"))


def _sentence_problem(row: dict, where: str) -> InputError | None:
    if not isinstance(row.get("text"), str) or not row["text"].strip():
        return InputError(where, "has no `text` (a non-empty string)")
    return None


# ---- flat, typed rows for tables ------------------------------------------------------------


def flat_columns(model: Model) -> list[str]:
    """The columns of a flat prediction table, in order."""
    parties, stance, sentiment = model.schema.party_ids, model.stance_labels, model.sentiment_labels
    return [
        "id",
        "article_id",
        "url",
        "outlet",
        "published",
        "text",
        *[f"stance_{p}" for p in parties],
        *[f"p_{p}_{v}" for p in parties for v in stance],
        "sentiment",
        *[f"p_sentiment_{v}" for v in sentiment],
        "model_version",
    ]


def flat_types(model: Model) -> dict:
    """Arrow types of `flat_columns`: strings, a UTC timestamp, float32 probabilities."""
    import pyarrow as pa

    out = {}
    for column in flat_columns(model):
        if column.startswith("p_"):
            out[column] = pa.float32()
        elif column == "published":
            out[column] = pa.timestamp("us", tz="UTC")
        else:
            out[column] = pa.string()
    return out


def flat_rows(rows: Iterable[dict]) -> Iterator[dict]:
    """Prediction rows (nested) as flat rows of `flat_columns`."""
    for row in rows:
        out = {
            "id": None if row.get("id") is None else str(row["id"]),
            "article_id": None if row.get("article_id") is None else str(row["article_id"]),
            "url": row.get("url"),
            "outlet": row.get("outlet") or outlet_of(row.get("url")),
            "published": parse_published(row.get("published")),
            "text": row.get("text"),
        }
        for party, label in row["stance"].items():
            out[f"stance_{party}"] = label
        for party, proba in row["stance_proba"].items():
            for value, p in proba.items():
                out[f"p_{party}_{value}"] = p
        out["sentiment"] = row["sentiment"]
        for value, p in row["sentiment_proba"].items():
            out[f"p_sentiment_{value}"] = p
        out["model_version"] = row.get("model_version")
        yield out


def outlet_of(url) -> str | None:
    """The outlet of an article: its URL's host without `www.` (None without a URL)."""
    return host_of(url)


def parse_published(value):
    """A publication date as a UTC datetime (naive dates are taken as UTC), or None when there is
    none or it cannot be read."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    stamp = pd.to_datetime(value, errors="coerce", utc=True, format="mixed")
    return None if pd.isna(stamp) else stamp.to_pydatetime()

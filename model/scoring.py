"""Scoring a saved model on labelled data, without training: `mauqif evaluate`.

Labelled data comes as Label Studio JSON exports (the gold set, `mauqif pull` snapshots; their
annotations are aggregated as for training) or as JSONL label rows (the dev set's shape or the
gold set's `labels/*.jsonl` shape, `mauqif.annotate.labels.read_label_rows`). The model
predicts every unit as `mauqif predict` would (mentions found by the mention finder, not the
annotated spans), and the figures are those of training's cross-validation
(`evaluate.score`): P / R / F1 per value, macro-F1, F_avg, confusion matrices.

    from mauqif.model import load_model
    from mauqif.model.scoring import evaluate_files

    result = evaluate_files(load_model("models"), ["../shared/dev/seeds_labelled.jsonl"])
    result.figures["stance"]["all"]["f_avg"], result.errors[0]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from mauqif.annotate.exceptions import InputError, raise_input_error
from mauqif.annotate.labels import (
    META_SUFFIX,
    aggregate,
    question_columns,
    read_exports,
    read_label_rows,
)
from mauqif.annotate.schema import SENTIMENT_TAG, Schema, stance_tag

from .evaluate import label_or_none, score_labels
from .exceptions import ModelError
from .model import Model
from .thresholds import preselection_figures

LABEL_STUDIO, JSONL = "Label Studio export", "JSONL label rows"
JSONL_SUFFIXES = (".jsonl", ".ndjson")


@dataclass
class ModelEvaluation:
    """A model's figures on labelled units, and the units it got wrong.

    `figures` has the shape of `evaluate.figures` (stance per party and "all", sentiment,
    score). Each error is {id, position, text, note, wrong: {question: {gold, predicted}}},
    question being a party id or "sentiment"."""

    version: str
    units: int
    figures: dict
    errors: list[dict]
    sources: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # What push would pre-select under the model's thresholds (`preselection`).
    preselection: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """JSON-ready (NaN becomes null)."""
        from .train import _finite

        return _finite(
            {
                "model": self.version,
                "units": self.units,
                "sources": self.sources,
                "notes": self.notes,
                "figures": self.figures,
                "errors": self.errors,
                "preselection": self.preselection,
            }
        )


def label_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files among `paths`: files as given; a directory gives its `*.json` (not the
    `*.meta.json` sidecars) and `*.jsonl` files, not recursively."""
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.iterdir())
                if p.is_file()
                and (p.suffix == ".json" or p.suffix in JSONL_SUFFIXES)
                and not p.name.endswith(META_SUFFIX)
            )
        else:
            found.append(path)
    return found


def file_format(path: Path) -> str:
    """LABEL_STUDIO when the file is a JSON list (`[` first), else JSONL, read by its content
    (a `.json` file may hold JSONL rows); `InputError` when it is neither."""
    try:
        with open(path, "rb") as stream:
            head = stream.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    except FileNotFoundError:
        raise InputError(str(path), "no such file or directory") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    if not head:
        raise InputError(str(path), "is empty")
    if head.startswith(b"["):
        return LABEL_STUDIO
    if head.startswith(b"{"):
        return JSONL
    raise InputError(
        str(path),
        "is neither a Label Studio JSON export (a list of tasks) nor JSONL label rows "
        "(one JSON object per line)",
    )


def read_labelled(
    paths: Iterable[str | Path],
    schema: Schema,
    on_skip: Callable[[InputError], None] = raise_input_error,
) -> tuple[pd.DataFrame, list[dict], list[str]]:
    """(one row per labelled unit, what was read from each file, notes) for `paths`: files or
    directories of Label Studio exports and JSONL label rows, each file's format read from its
    content. A file that cannot be read goes to `on_skip`; the others are read.

    Exports are read together (an annotation in several snapshots counts once) and aggregated
    as for training; a question whose annotations tie is left unlabelled, and a note says so.
    """
    exports, frames, sources, notes = [], [], [], []
    for path in label_files(paths):
        try:
            kind = file_format(path)
            if kind == LABEL_STUDIO:
                exports.append(path)
                continue
            rows = read_label_rows(path, schema, on_skip)
        except InputError as exc:
            on_skip(exc)
            continue
        frames.append(rows)
        sources.append({"path": str(path), "format": JSONL, "units": len(rows)})
    if exports:
        table = read_exports(exports, schema, on_skip)
        if len(table):
            sentences, aggregation = aggregate(table, schema)
            frames.insert(0, sentences.drop(columns=["mentions", "source"]))
            ties = {q: n for q, n in aggregation["ties"].items() if n}
            if ties:
                shown = ", ".join(f"{q} {n}" for q, n in ties.items())
                notes.append(f"tied annotations left unlabelled: {shown}")
        read = table.attrs.get("exports", [])
        units = table.groupby("export")["sentence_id"].nunique() if len(table) else {}
        sources[:0] = [
            {"path": s["path"], "format": LABEL_STUDIO, "units": int(units.get(s["path"], 0))}
            for s in read
        ]
    columns = ["sentence_id", "article_id", "text", "context", *question_columns(schema)]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns}), sources, notes
    labelled = pd.concat(frames, ignore_index=True)
    for column in ("kind", "note"):
        if column not in labelled:
            labelled[column] = None
    return labelled, sources, notes


def evaluate_model(model: Model, labelled: pd.DataFrame) -> ModelEvaluation:
    """Predict every unit of `labelled` (sentence_id, text, context, stance_<party>…,
    sentiment; `note` optional) with `model` and score the predictions against the labels."""
    if not len(labelled):
        raise ModelError("no labelled units to evaluate on; give files with labels")
    schema = model.schema
    missing = [c for c in ["text", *question_columns(schema)] if c not in labelled]
    if missing:
        raise ModelError(f"the labelled table has no column(s) {', '.join(missing)}")
    labelled = labelled.reset_index(drop=True)
    inputs = labelled[["text"]].assign(
        context=labelled["context"].fillna("") if "context" in labelled else ""
    )  # mentions are found as prediction finds them, never the annotated spans
    predicted = model.predict_frame(inputs)
    figures = score_labels(labelled, predicted, schema)
    return ModelEvaluation(
        version=model.version,
        units=len(labelled),
        figures=figures,
        errors=prediction_errors(labelled, predicted, schema),
        preselection=preselection(labelled, predicted, model),
    )


def preselection(labelled: pd.DataFrame, predicted: pd.DataFrame, model: Model) -> dict:
    """The figures of what push would pre-select (`thresholds.preselection_figures` under the
    model's `stance_thresholds`): "pre-selected favor/against that are right" (`precision`) and
    "gold favor/against pre-selected right" (`gold_polar_recall`), with the thresholds."""
    parties = model.schema.party_ids
    gold = [
        label_or_none(v)
        for v in labelled[[stance_tag(p) for p in parties]].to_numpy(dtype=object).ravel()
    ]
    said = [row[p] for row in predicted["stance"] for p in parties]
    sure = [
        proba[p][row[p]]
        for row, proba in zip(predicted["stance"], predicted["stance_proba"], strict=True)
        for p in parties
    ]
    thresholds = model.stance_thresholds
    figures = preselection_figures(gold, said, sure, thresholds, model.schema.polar)
    return {"thresholds": thresholds, **figures}


def prediction_errors(labelled: pd.DataFrame, predicted: pd.DataFrame, schema: Schema) -> list:
    """The units with at least one labelled question predicted otherwise, in table order."""
    questions = [(p, stance_tag(p)) for p in schema.party_ids] + [(SENTIMENT_TAG, SENTIMENT_TAG)]
    errors = []
    for position, (unit, guess) in enumerate(
        zip(labelled.to_dict("records"), predicted.to_dict("records"), strict=True)
    ):
        wrong = {}
        for question, column in questions:
            gold = label_or_none(unit.get(column))
            said = guess["sentiment"] if question == SENTIMENT_TAG else guess["stance"][question]
            if gold is not None and gold != said:
                wrong[question] = {"gold": gold, "predicted": str(said)}
        if wrong:
            unit_id = unit.get("sentence_id")
            note = unit.get("note")
            errors.append(
                {
                    "id": str(unit_id)
                    if label_or_none(unit_id) is not None
                    else f"#{position + 1}",
                    "position": position,
                    "text": unit["text"],
                    "note": note if isinstance(note, str) else "",
                    "wrong": wrong,
                }
            )
    return errors


def evaluate_files(
    model: Model,
    paths: Iterable[str | Path],
    on_skip: Callable[[InputError], None] = raise_input_error,
) -> ModelEvaluation:
    """`evaluate_model` on the labelled units of `paths` (see `read_labelled`)."""
    paths = list(paths)
    labelled, sources, notes = read_labelled(paths, model.schema, on_skip)
    if not len(labelled):
        shown = ", ".join(map(str, paths))
        raise ModelError(
            f"no labelled units in {shown}; give Label Studio exports with annotations or "
            "JSONL rows with `text` and `gold` (or `stance` and `sentiment`)"
        )
    result = evaluate_model(model, labelled)
    result.sources, result.notes = sources, notes
    return result

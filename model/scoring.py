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
    result.error_kinds["speaker_not_found"]["pairs"]

The error table (`classify_errors`, `error_table`) sorts every wrongly predicted (unit, party)
into one kind of error (`ERROR_KINDS`: speaker not found, wrong speaker, act taken for a
statement, off the topic, wrong polarity, furniture, and source missed / other for the rest),
decided from the gold label, the prediction and what the mention finder and the cues found in
the unit (`unit_facts`), so that a change is judged by the kinds of error it removes.
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
    # `error_table`: the wrong (unit, party) pairs by kind of error.
    error_kinds: dict = field(default_factory=dict)
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
                "error_kinds": self.error_kinds,
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


def evaluate_model(
    model: Model, labelled: pd.DataFrame, furniture: Iterable[bool] | None = None
) -> ModelEvaluation:
    """Predict every unit of `labelled` (sentence_id, text, context, stance_<party>…,
    sentiment; `note` optional) with `model` and score the predictions against the labels.
    `furniture` (one flag per unit, or a boolean `furniture` column of `labelled`) marks the
    units that are not news text, for the error table's furniture kind."""
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
    # The article, the order of its units (the table's, or `index`) and their kind: a pronoun
    # speaker is resolved across the article and a dateline after a heading is no mention, as
    # prediction over articles does.
    for column in ("article_id", "index", "kind"):
        if column in labelled:
            inputs[column] = labelled[column]
    predicted = model.predict_frame(inputs)
    figures = score_labels(labelled, predicted, schema)
    if furniture is None and "furniture" in labelled:
        furniture = labelled["furniture"].fillna(False).astype(bool).tolist()
    classified = classify_errors(
        labelled, predicted, unit_facts(predicted, model), schema, furniture
    )
    errors = prediction_errors(labelled, predicted, schema)
    kinds = {(r.position, r.party): r.kind for r in classified.itertuples(index=False)}
    for error in errors:
        for question, wrong in error["wrong"].items():
            if (error["position"], question) in kinds:
                wrong["kind"] = kinds[error["position"], question]
    return ModelEvaluation(
        version=model.version,
        units=len(labelled),
        figures=figures,
        errors=errors,
        error_kinds=error_table(classified, schema),
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


# ---------------------------------------------------------------------------------------------
# Errors by kind: why a party's stance was predicted wrongly, worked out from the gold label,
# the prediction and what the mention finder and the cues found in the unit, so that a change
# can be judged by the kind of error it removes ("one or two units of difference is noise").

SPEAKER_NOT_FOUND = "speaker_not_found"
WRONG_SPEAKER = "wrong_speaker"
ACT_FOR_STATEMENT = "act_for_statement"
OFF_TOPIC = "off_topic"
WRONG_POLARITY = "wrong_polarity"
FURNITURE = "furniture"
SOURCE_MISSED = "source_missed"
OTHER = "other"

# kind → (what the table calls it, its definition), in the order the table shows them. A wrong
# (unit, party) pair gets the first kind whose definition holds.
ERROR_KINDS: dict[str, tuple[str, str]] = {
    FURNITURE: (
        "furniture",
        "the unit is not news text (a furniture flag) and a party got a stance other than the "
        "gold's",
    ),
    SPEAKER_NOT_FOUND: (
        "speaker not found",
        "gold: the party is a source; no mention of it was found in the unit and no pronoun "
        "speaker of the unit resolves to it",
    ),
    ACT_FOR_STATEMENT: (
        "act taken for a statement",
        "gold: not a source; the party is mentioned in the unit as the doer of an act (an act "
        "word and no reporting verb of its own, or نے without one); predicted: a stance",
    ),
    WRONG_SPEAKER: (
        "wrong speaker",
        "gold: not a source, and another party is the unit's source; predicted: a stance",
    ),
    OFF_TOPIC: (
        "off the topic",
        "gold: neutral; predicted: favor or against; the unit is off the topic (no topic "
        "keyword, not all topic parties named)",
    ),
    WRONG_POLARITY: (
        "wrong polarity",
        "gold: favor or against, predicted the other side or neutral; or gold neutral, "
        "predicted favor or against on the topic",
    ),
    SOURCE_MISSED: (
        "source missed",
        "gold: the party is a source and its mention or pronoun speaker was found; predicted: "
        "not a source",
    ),
    OTHER: (
        "other",
        "gold: not a source, no other party is the source, the party is no doer; predicted: a "
        "stance (experts, impersonal reports, objects of an event)",
    ),
}

# Cues (`features.cues`) that say the party is the unit's speaker through a pronoun, or the doer.
RESOLVED_CUES = frozenset({"pronoun_context_source"})
DOER_CUES = frozenset({"actor_only", "ergative_no_report"})
FACT_COLUMNS = ["position", "party", "mentioned", "resolved", "doer", "on_topic"]


def unit_facts(frame: pd.DataFrame, model: Model) -> pd.DataFrame:
    """What the model's mention finder and cues found for each unit × party of `frame` (text,
    context, mentions as `predict_frame` returns them): one row per pair with the columns of
    `FACT_COLUMNS` (position = the unit's row in `frame`)."""
    from .features import TopicCues, pair_frame, views

    schema = model.schema
    pairs = pair_frame(
        views(frame, model.finder()), schema.party_ids, topic=TopicCues.of(schema.topic)
    )
    cues = [set(c.split()) for c in pairs["cues"]]
    return pd.DataFrame(
        {
            "position": pairs["row"],
            "party": pairs["party"],
            "mentioned": ["in_sentence" in c for c in cues],
            "resolved": [bool(c & RESOLVED_CUES) for c in cues],
            "doer": [bool(c & DOER_CUES) for c in cues],
            "on_topic": ["off_topic" not in c for c in cues],
        }
    )


def classify_errors(
    labelled: pd.DataFrame,
    predicted: pd.DataFrame,
    facts: pd.DataFrame,
    schema: Schema,
    furniture: Iterable[bool] | None = None,
) -> pd.DataFrame:
    """One row per wrongly predicted (unit, party) with its kind (`ERROR_KINDS`).

    `labelled` has stance_<party> columns (gold; a missing label is not scored), `predicted` a
    `stance` {party: value} column, row for row; `facts` has the columns of `FACT_COLUMNS` (a
    pair it leaves out counts as nothing found); `furniture`, one flag per unit, says which
    units are not news text (the segmentation-vs-gold alignment gives it; default: none are).
    Returns columns position, id, party, gold, predicted, kind."""
    labelled = labelled.reset_index(drop=True)
    if len(predicted) != len(labelled):
        raise ModelError(f"{len(predicted)} predictions for {len(labelled)} labelled units")
    flags = [False] * len(labelled) if furniture is None else [bool(f) for f in furniture]
    if len(flags) != len(labelled):
        raise ModelError(f"{len(flags)} furniture flags for {len(labelled)} labelled units")
    polar, not_source = set(schema.polar), schema.not_source
    found = {(int(r.position), r.party): r for r in facts[FACT_COLUMNS].itertuples(index=False)}
    ids = labelled["sentence_id"].tolist() if "sentence_id" in labelled else [None] * len(flags)
    rows = []
    for position, stance in enumerate(predicted["stance"].tolist()):
        gold = {p: label_or_none(labelled.at[position, stance_tag(p)]) for p in schema.party_ids}
        sources = {p for p, g in gold.items() if g is not None and g != not_source}
        for party, want in gold.items():
            said = stance[party]
            if want is None or want == said:
                continue
            fact = found.get((position, party))
            mentioned = bool(fact and fact.mentioned)
            if flags[position]:
                kind = FURNITURE
            elif want != not_source and said == not_source:
                kind = SOURCE_MISSED if mentioned or (fact and fact.resolved) else SPEAKER_NOT_FOUND
            elif want != not_source and not (mentioned or (fact and fact.resolved)):
                kind = SPEAKER_NOT_FOUND
            elif want == not_source and mentioned and fact.doer:
                kind = ACT_FOR_STATEMENT
            elif want == not_source and sources - {party}:
                kind = WRONG_SPEAKER
            elif want == not_source:
                kind = OTHER
            elif want not in polar and said in polar and not (fact is None or fact.on_topic):
                kind = OFF_TOPIC
            else:
                kind = WRONG_POLARITY
            unit_id = ids[position]
            rows.append(
                {
                    "position": position,
                    "id": str(unit_id)
                    if label_or_none(unit_id) is not None
                    else f"#{position + 1}",
                    "party": party,
                    "gold": want,
                    "predicted": str(said),
                    "kind": kind,
                }
            )
    return pd.DataFrame(rows, columns=["position", "id", "party", "gold", "predicted", "kind"])


def error_table(classified: pd.DataFrame, schema: Schema) -> dict:
    """The error table of `classify_errors`' rows: per kind its label, definition, count of
    wrong (unit, party) pairs, count per party and the units' ids, kinds in `ERROR_KINDS`
    order (every kind, zero or not)."""
    table = {}
    for kind, (label, definition) in ERROR_KINDS.items():
        rows = classified[classified["kind"] == kind]
        table[kind] = {
            "label": label,
            "definition": definition,
            "pairs": len(rows),
            "by_party": {p: int((rows["party"] == p).sum()) for p in schema.party_ids},
            "units": list(dict.fromkeys(rows["id"])),
        }
    return table

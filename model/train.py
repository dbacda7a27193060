"""The retraining script behind `mauqif train`: exports → labels → grouped cross-validation of the
new model, the current model and two baselines on the same folds → model artifact, report, and
promotion as asked."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from mauqif.annotate.exceptions import InputError, raise_input_error
from mauqif.annotate.labels import (
    aggregate,
    export_files,
    held_line,
    label_sources_line,
    read_exports,
)
from mauqif.annotate.schema import Schema, load_schema

from .artifact import REPORT, current_model_dir, load_model, promote, save_model
from .baselines import KeywordRule, Majority, PipelineCandidate
from .evaluate import Evaluation, cross_validate, grouped_folds, learning_curve
from .exceptions import ArtifactError, ModelError
from .model import make_dataset, model_from
from .pipeline import ModelConfig, make_pipelines
from .rates import RATES_KEY, cv_rates, rates_block, rates_line
from .report import render_report
from .thresholds import cross_validated_thresholds

PROMOTE_CHOICES = ("auto", "always", "never")
DEFAULT_DATA = (Path("exports/gold"), Path("exports/snapshots"))
NEW, CURRENT = "new model", "current model"

# How much one sentence a lab annotated weighs against one sentence of our sample gold
# (`exports/gold`, our own text). The gold set is 1,137 sentences in the style of wire copy; a
# lab's few hundred labels of its own outlets are the text the model will meet, and at weight 1
# they barely move it. Chosen by the learning-loop benchmark (bench/bench_learning.py).
DEFAULT_LAB_WEIGHT = 5.0


def source_weights(is_lab, lab_weight: float = DEFAULT_LAB_WEIGHT):
    """Training weight of each sentence: `lab_weight` for a lab's own labels, 1 for the gold."""
    import numpy as np

    if not (lab_weight > 0 and math.isfinite(lab_weight)):
        raise ModelError(f"the lab weight must be a positive number, got {lab_weight}")
    return np.where(np.asarray(is_lab, dtype=bool), float(lab_weight), 1.0)


def lab_sentences(table, gold: str | Path | None) -> set[str]:
    """The sentence ids a lab annotated: those with an annotation read from an export outside
    the `gold` folder (our sample gold). With `gold` None every sentence counts as the lab's."""
    if not len(table):
        return set()
    exports = table["export"].astype(str)
    if gold is None:
        outside = [True] * len(table)
    else:
        root = Path(gold).resolve()
        inside = {e: Path(e).resolve().is_relative_to(root) for e in exports.unique()}
        outside = [not inside[e] for e in exports]
    return set(table.loc[outside, "sentence_id"].astype(str))


@dataclass
class TrainResult:
    version: str
    model_dir: Path
    report: Path
    promoted: bool
    decision: str
    evaluation: Evaluation
    aggregation: dict
    label_counts: dict
    learned_aliases: dict = field(default_factory=dict)  # {party: aliases} from annotators' spans


def retrain(
    data: Iterable[str | Path] = DEFAULT_DATA,
    models: str | Path = Path("models"),
    promote_mode: str = "auto",
    *,
    schema: Schema | None = None,
    config: ModelConfig | None = None,
    n_folds: int = 5,
    mentions: str = "finder",
    with_learning_curve: bool = True,
    lab_weight: float = DEFAULT_LAB_WEIGHT,
    gold: str | Path | None = DEFAULT_DATA[0],
    on_skip: Callable[[InputError], None] = raise_input_error,
    log: Callable[[str], None] = lambda message: None,
) -> TrainResult:
    """Train, evaluate, write `models/<version>/` (model, manifest, report.html), promote.

    Sentences annotated in exports outside `gold` (our sample gold, `exports/gold`) are the
    lab's own labels: each weighs `lab_weight` sentences of the gold in training and in every
    fold of the cross-validation (`source_weights`); the manifest records the weights.
    """
    if promote_mode not in PROMOTE_CHOICES:
        raise ModelError(
            f"unknown promotion mode {promote_mode!r}; use one of {', '.join(PROMOTE_CHOICES)}"
        )
    schema = schema or load_schema()
    config = config or ModelConfig()
    models = Path(models)
    data = [Path(p) for p in data]
    present = [p for p in data if p.exists()]
    if not export_files(present):
        shown = ", ".join(str(p) for p in data)
        raise ModelError(
            f"no Label Studio exports (*.json) in {shown}; pull some with `mauqif pull` or pass --data PATH"
        )
    table = read_exports(present, schema, on_skip=on_skip)
    if not len(table):
        raise ModelError(
            f"the exports in {', '.join(map(str, present))} hold no annotations yet; label some sentences first"
        )
    sentences, aggregation = aggregate(table, schema)
    log(f"{len(table)} annotations → {len(sentences)} labelled sentences")
    log(label_sources_line(aggregation))
    lab = sentences["sentence_id"].astype(str).isin(lab_sentences(table, gold)).to_numpy()
    sentences["weight"] = source_weights(lab, lab_weight)
    weighting = {
        "lab_weight": float(lab_weight),
        "lab_sentences": int(lab.sum()),
        "gold_sentences": int((~lab).sum()),
        "gold": None if gold is None else str(gold),
    }
    if lab.any():
        log(
            f"{weighting['lab_sentences']} lab sentences weigh {lab_weight:g} each against "
            f"{weighting['gold_sentences']} of the sample gold ({gold})"
        )
    if held_line(table):
        log(held_line(table))
    dataset = make_dataset(sentences, schema, mentions)
    folds = grouped_folds(dataset, n_folds)
    pipelines = make_pipelines(config, schema.not_source)
    candidates = [PipelineCandidate(NEW, pipelines)]
    current_version, notes = None, []
    current = _current(models, schema, notes)
    if current is not None:
        current_version = current.version
        candidates.append(
            PipelineCandidate(CURRENT, current.pipelines, frozenset(current.trained_on))
        )
    candidates += [Majority(), KeywordRule()]
    log(f"cross-validating {len(candidates)} candidates on {len(folds)} folds grouped by article")
    evaluation = cross_validate(dataset, candidates, folds)
    evaluation.notes[:0] = notes
    log("error rates for trends: out-of-fold posteriors on the same folds")
    rates = cv_rates(dataset, pipelines, folds, lab=lab)
    error_rates = rates_block(rates, len(folds))
    log(rates_line(rates))
    if with_learning_curve:
        log("learning curve")
        evaluation.learning_curve = learning_curve(dataset, pipelines, folds)
    log("choosing the pre-selection thresholds on the same folds")
    chosen = cross_validated_thresholds(dataset, pipelines, folds, config.min_confidence)
    log(thresholds_line(chosen))
    log("fitting the new model on all labels")
    model = model_from(dataset, pipelines, config)
    promoted, decision = _decide(promote_mode, evaluation, current_version)
    created_at = datetime.now(UTC).isoformat(timespec="seconds")
    html = render_report(
        version=model.version,
        schema=schema,
        evaluation=evaluation,
        label_counts=dataset.label_counts(),
        aggregation=aggregation,
        decision=decision,
        sources=table.attrs.get("exports", []),
        n_sentences=len(sentences),
        n_articles=len(set(dataset.groups)),
        created_at=created_at,
        thresholds=chosen,
    )
    extra = {
        "training_data": {
            "sha256": dataset.digest(),
            "sentences": len(sentences),
            "articles": len(set(dataset.groups)),
            "pairs_labelled": int(sum(v is not None for v in dataset.stance)),
            "label_counts": dataset.label_counts(),
            "exports": [s["path"] for s in table.attrs.get("exports", [])],
            "mentions": mentions,
            "learned_aliases": {p: list(a) for p, a in dataset.learned_aliases.items()},
            "weights": weighting,
        },
        "evaluation": _summary(evaluation, len(folds)),
        "stance_thresholds": chosen["stance_thresholds"],
        "thresholds": _finite({k: v for k, v in chosen.items() if k != "stance_thresholds"}),
        RATES_KEY: error_rates,
        "promotion": {
            "mode": promote_mode,
            "promoted": promoted,
            "decision": decision,
            "compared_with": current_version,
        },
    }
    model_dir = save_model(model, models, extra=extra, files={REPORT: html.encode("utf-8")})
    if promoted:
        promote(models, model.version)
    return TrainResult(
        model.version,
        model_dir,
        model_dir / REPORT,
        promoted,
        decision,
        evaluation,
        aggregation,
        dataset.label_counts(),
        dict(dataset.learned_aliases),
    )


def learned_aliases_line(learned: dict) -> str:
    """One line naming the aliases learned from annotators' spans, by party."""
    if not any(learned.values()):
        return "learned aliases: none (every annotated span is a known alias)"
    parts = "; ".join(f"{party}: {', '.join(aliases)}" for party, aliases in learned.items())
    return f"learned aliases: {parts}"


def thresholds_line(chosen: dict) -> str:
    """One line on the pre-selection thresholds training chose, for its log."""
    polar = chosen["cross_validation"]
    shown = ", ".join(
        f"{value} {'never' if t > 1 else f'{t:.2f}'}"
        for value, t in chosen["stance_thresholds"].items()
    )
    return (
        f"pre-selection thresholds: {shown}; out of fold, {polar['polar_preselected_right']} of "
        f"{polar['polar_preselected']} pre-selected favor/against right, "
        f"{polar['gold_polar_recall']:.2f} of the labelled favor/against pre-selected right"
    )


def _current(models: Path, schema: Schema, notes: list[str]):
    try:
        directory = current_model_dir(models)
        if directory is None:
            return None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = load_model(directory, schema)
        notes.extend(f"current model: {w.message}" for w in caught)
        return model
    except ArtifactError as exc:
        notes.append(f"the current model is not compared: {exc}")
        return None


def _decide(mode: str, evaluation: Evaluation, current_version: str | None) -> tuple[bool, str]:
    new = evaluation.figures[NEW]["score"]
    if mode == "always":
        return True, f"Promoted (--promote always): score {new:.4f}."
    if mode == "never":
        return False, f"Not promoted (--promote never): score {new:.4f}."
    if current_version is None:
        return True, f"Promoted: there was no current model; score {new:.4f}."
    old = evaluation.figures[CURRENT]["score"]
    if not math.isnan(new) and (math.isnan(old) or new > old):
        return (
            True,
            f"Promoted: score {new:.4f} beats the current model {current_version} ({old:.4f}) on the same folds.",
        )
    return False, (
        f"Not promoted: score {new:.4f} does not beat the current model {current_version} ({old:.4f}) on the same folds; "
        "promote it anyway with --promote always."
    )


def _summary(evaluation: Evaluation, n_folds: int) -> dict:
    """The figures the manifest keeps: per candidate, macro-F1 and F_avg per question and n."""
    out = {"folds": n_folds, "grouped_by": "article", "candidates": {}, "notes": evaluation.notes}
    for name, fig in evaluation.figures.items():
        entry = {
            "score": fig["score"],
            "sentiment": {"macro_f1": fig["sentiment"]["macro_f1"], "n": fig["sentiment"]["n"]},
        }
        for key, block in fig["stance"].items():
            entry[f"stance_{key}"] = {
                "macro_f1": block["macro_f1"],
                "f_avg": block["f_avg"],
                "n": block["n"],
            }
        out["candidates"][name] = entry
    out["learning_curve"] = evaluation.learning_curve
    return _finite(out)


def _finite(value):
    """NaN is not JSON: write null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value

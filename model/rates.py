"""The model's error rates, stored in its manifest so that they travel with it: `trends` corrects
stance and sentiment shares with them (`mauqif.model.quantify`).

Rates measured on our sample gold need not hold on a lab's outlets (on real pages the model errs
far more than in cross-validation on the gold), so the lab's own annotations of its real tasks are
preferred wherever there are at least `MIN_LAB_LABELS` of them. Three sources, all of units the
model did not train on when it predicted them:
- cross-validation at training (`cv_rates`: out-of-fold posteriors of the new model's
  configuration, on the folds training already uses): over the lab's own sentences alone when
  they hold `MIN_LAB_LABELS` labels of the question (each is held out by its fold), else over
  all training labels;
- a labelled table given to `trends --rates-from` (`labelled_rates`: the model predicts it now;
  the units it trained on are left out).

The manifest block (`RATES_KEY`) holds, per party and for sentiment, the counts of true × predicted
values and the sums of posteriors, with the source and number of labels; `manifest_rates` reads
it back and says what to do when a model has none.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mauqif.annotate.schema import SENTIMENT_TAG, stance_tag

from .exceptions import ModelError
from .model import Dataset, Model, fit_pipelines
from .quantify import Rates, rates_from

RATES_KEY = "error_rates"
CV_SOURCE = "cross-validation on the training labels"
LAB_CV_SOURCE = "cross-validation on the lab's own annotations"
LAB_SOURCE = "held-out annotations of the lab"
MIN_LAB_LABELS = 100  # labels of the lab's own (per question) from which its rates replace CV's


def _fold_model(fitted: dict, data: Dataset) -> Model:
    from .pipeline import ModelConfig

    return Model(pipelines=fitted, schema=data.schema, config=ModelConfig(), version="fold")


def cv_rates(
    data: Dataset, pipelines: dict, folds: list, lab=None, min_lab: int = MIN_LAB_LABELS
) -> dict[str, Rates]:
    """Rates per party (key: party id) and for sentiment (key: "sentiment") from out-of-fold
    posteriors on `folds` (sentence rows), as training's cross-validation splits them.

    `lab` (a boolean per sentence: the lab's own): a question whose lab sentences hold at least
    `min_lab` labels gets its rates from those sentences alone (`LAB_CV_SOURCE`)."""
    stance_p, sentiment_p, labels = out_of_fold(data, pipelines, folds)
    parties = data.party_ids
    truth = data.stance.reshape(len(data.sentences), len(parties))
    lab = np.zeros(len(data.sentences), bool) if lab is None else np.asarray(lab, bool)

    def rates(y, proba, values):
        own = lab & np.array([v is not None for v in y], dtype=bool)
        if own.sum() >= min_lab:
            return rates_from(y[own], proba[own], values, LAB_CV_SOURCE)
        return rates_from(y, proba, values, CV_SOURCE)

    out = {party: rates(truth[:, j], stance_p[:, j], labels["stance"]) for j, party in
           enumerate(parties)}  # fmt: skip
    out[SENTIMENT_TAG] = rates(data.sentiment, sentiment_p, labels["sentiment"])
    return out


def out_of_fold(data: Dataset, pipelines: dict, folds: list):
    """(stance posteriors sentences × parties × values, sentiment posteriors, {"stance": values,
    "sentiment": values}) of every sentence, each predicted by the fold that left it out."""
    parties = data.party_ids
    stance_p: np.ndarray | None = None
    sentiment_p: np.ndarray | None = None
    labels: dict[str, list[str]] = {}
    for train, test in folds:
        model = _fold_model(fit_pipelines(pipelines, data, train), data)
        frame = data.sentences.iloc[test][["text", "context", "mentions"]]
        stance, sentiment = model.predict_proba(frame)
        if stance_p is None:
            labels = {"stance": model.stance_labels, "sentiment": model.sentiment_labels}
            stance_p = np.zeros((len(data.sentences), len(parties), stance.shape[2]))
            sentiment_p = np.zeros((len(data.sentences), sentiment.shape[1]))
        stance_p[test] = _columns(stance, model.stance_labels, labels["stance"])
        sentiment_p[test] = _columns(sentiment, model.sentiment_labels, labels["sentiment"])
    return stance_p, sentiment_p, labels


def _columns(proba: np.ndarray, have: list[str], want: list[str]) -> np.ndarray:
    """Posteriors with columns in `want` order (a fold may miss a value: its column is 0)."""
    out = np.zeros(proba.shape[:-1] + (len(want),))
    for i, label in enumerate(have):
        out[..., want.index(label)] = proba[..., i]
    return out


def labelled_rates(model: Model, labelled: pd.DataFrame, source: str = LAB_SOURCE) -> dict:
    """Rates of `model` on a labelled table (sentence_id, text, context, stance_<party>…,
    sentiment), leaving out the units it was trained on."""
    trained = set(model.trained_on)
    if "sentence_id" in labelled and trained:
        labelled = labelled[~labelled["sentence_id"].astype(str).isin(trained)]
    if not len(labelled):
        raise ModelError("no labelled units the model did not train on: rates cannot be measured")
    frame = labelled[["text"]].assign(
        context=labelled["context"].fillna("") if "context" in labelled else "",
        mentions=[model.finder().find(str(t)) for t in labelled["text"]],
    )
    stance, sentiment = model.predict_proba(frame)
    out = {}
    for j, party in enumerate(model.schema.party_ids):
        truth = [None if pd.isna(v) else v for v in labelled[stance_tag(party)]]
        out[party] = rates_from(truth, stance[:, j], model.stance_labels, source)
    truth = [None if pd.isna(v) else v for v in labelled[SENTIMENT_TAG]]
    out[SENTIMENT_TAG] = rates_from(truth, sentiment, model.sentiment_labels, source)
    return out


def rates_line(rates: dict[str, Rates]) -> str:
    """One line: where each question's rates come from and how many labels they rest on."""
    by_source: dict[str, list[str]] = {}
    for question, r in rates.items():
        by_source.setdefault(r.source, []).append(f"{question} {r.n}")
    return "error rates: " + "; ".join(
        f"{source} ({', '.join(items)} labels)" for source, items in by_source.items()
    )


def rates_block(rates: dict[str, Rates], folds: int) -> dict:
    """The manifest's block of error rates."""
    return {"folds": folds, "by": {key: r.as_dict() for key, r in rates.items()}}


def manifest_rates(manifest: dict, where: str | Path = "the model") -> dict[str, Rates]:
    """The rates a model's manifest stores; `ModelError` with the remedy when it has none."""
    block = manifest.get(RATES_KEY)
    if not isinstance(block, dict) or not isinstance(block.get("by"), dict):
        raise ModelError(
            f"{where} (model {manifest.get('version', '?')}) stores no cross-validated error "
            "rates, so its counts cannot be corrected; retrain it with this mauqif "
            "(`mauqif train`) and predict again, or give labelled units with --rates-from"
        )
    return {key: Rates.from_dict(value) for key, value in block["by"].items()}


def model_rates(
    model_dir: str | Path, rates_from=None, schema=None, on_skip=None, lab_only: bool = False
) -> tuple[dict[str, Rates], str, list[str]]:
    """(rates per question, the model's version, notes) for `trends`: the manifest's
    cross-validated rates, or, given labelled files `rates_from` (the lab's own annotations the
    model did not train on), the rates measured on them when they hold at least
    `MIN_LAB_LABELS` units (else the manifest's, and a note says why).

    `lab_only` (the `ppi` estimator, whose rectifier must be the error of this very model on
    the lab's units, not of cross-validation's fold models on other text): only rates measured
    on `rates_from`, and a `ModelError` saying what to give when there are none or too few."""
    from .artifact import load_model, read_manifest, resolve_model_dir

    directory = resolve_model_dir(model_dir)
    manifest = read_manifest(directory)
    if lab_only and not rates_from:
        raise ModelError(
            "the ppi estimator corrects the model's labels by its mean error on the lab's own "
            f"labelled units: give at least {MIN_LAB_LABELS} that the model did not train on "
            "with --rates-from (exports or label rows), or use --method cc"
        )
    stored = {} if lab_only else manifest_rates(manifest, directory)
    if not rates_from:
        return stored, manifest["version"], []
    from mauqif.annotate.exceptions import raise_input_error

    from .scoring import read_labelled

    model = load_model(directory, schema)
    labelled, _, notes = read_labelled(rates_from, model.schema, on_skip or raise_input_error)
    trained = set(model.trained_on)
    held_out = labelled[~labelled["sentence_id"].astype(str).isin(trained)] if trained else labelled
    if len(held_out) < MIN_LAB_LABELS:
        few = (
            f"{len(held_out)} labelled units the model did not train on are fewer than "
            f"{MIN_LAB_LABELS}"
        )
        if lab_only:
            raise ModelError(
                f"{few}: too few for the ppi estimator's correction; label more of the lab's "
                "tasks (or give more files with --rates-from), or use --method cc"
            )
        notes.append(f"{few}: the cross-validated rates of the manifest are used")
        return stored, manifest["version"], notes
    return labelled_rates(model, held_out), manifest["version"], notes

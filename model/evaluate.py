"""Honest evaluation: cross-validation grouped by article (no article on both sides of a split),
the same folds for every candidate, figures on the pooled out-of-fold predictions.

Stance is scored per party and pooled over all parties: precision / recall / F1 per value,
macro-F1 over the values that occur, and F_avg, the mean F1 of `favor` and `against` (as
SemEval-2016 Task 6 scores stance). Sentiment: per value and macro-F1. The promotion score is
the mean of the pooled stance F_avg and the sentiment macro-F1.

`score` computes them from labels and predictions; cross-validation (`figures`) and the
scoring of a saved model on labelled files (`score_labels`, `mauqif.model.scoring`) share it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from mauqif.annotate.schema import SENTIMENT_TAG, stance_tag

from .baselines import Majority
from .exceptions import ModelError
from .model import Dataset, fit_pipelines

ENOUGH_LABELS = 20  # a party's figures are trusted from this many labels of it as a source
LEARNING_FRACTIONS = (0.2, 0.4, 0.6, 0.8, 1.0)


def grouped_folds(data: Dataset, n_splits: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Folds over sentence rows, grouped by article."""
    groups = data.groups
    n_groups = len(set(groups))
    if n_groups < 2:
        raise ModelError(
            f"grouped cross-validation needs sentences from at least 2 articles; the labels come from {n_groups}"
        )
    splitter = GroupKFold(n_splits=min(n_splits, n_groups))
    return [(train, test) for train, test in splitter.split(np.zeros(len(groups)), groups=groups)]


def block(y_true, y_pred, labels: list[str], polar: list[str] = ()) -> dict:
    """Figures of one question on the pairs (or sentences) that have a label; F_avg is the mean
    F1 of the `polar` values (the schema's stance values that take a side) present."""
    y_true, y_pred = np.asarray(y_true, dtype=object), np.asarray(y_pred, dtype=object)
    if not len(y_true):
        return {
            "n": 0,
            "classes": {},
            "macro_f1": math.nan,
            "f_avg": math.nan,
            "accuracy": math.nan,
            "labels": labels,
            "confusion": [],
        }
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    classes = {
        label: {
            "precision": float(p[i]),
            "recall": float(r[i]),
            "f1": float(f[i]),
            "support": int(s[i]),
        }
        for i, label in enumerate(labels)
    }
    present = [c for c in labels if classes[c]["support"] > 0]
    polar = [c for c in polar if c in present]
    return {
        "n": int(len(y_true)),
        "classes": classes,
        "macro_f1": float(np.mean([classes[c]["f1"] for c in present])) if present else math.nan,
        "f_avg": float(np.mean([classes[c]["f1"] for c in polar])) if polar else math.nan,
        "accuracy": float(np.mean(y_true == y_pred)),
        "labels": labels,
        "confusion": confusion_matrix(y_true, y_pred, labels=labels).tolist(),
    }


def figures(data: Dataset, stance_pred: np.ndarray, sentiment_pred: np.ndarray) -> dict:
    """All figures of one candidate's predictions over every pair and sentence of `data`."""
    return score(
        data.stance,
        stance_pred,
        data.pairs["party"].to_numpy(),
        data.sentiment,
        sentiment_pred,
        data.schema,
    )


def score(stance_true, stance_pred, pair_parties, sentiment_true, sentiment_pred, schema) -> dict:
    """The figures of predictions against labels: stance over sentence × party pairs (each
    pair's party in `pair_parties`), sentiment over sentences. A label of None is unlabelled
    and not scored. Cross-validation (`figures`) and `score_labels` both come here."""
    stance_true = np.asarray(stance_true, dtype=object)
    stance_pred = np.asarray(stance_pred, dtype=object)
    parties = np.asarray(pair_parties, dtype=object)
    sentiment_true = np.asarray(sentiment_true, dtype=object)
    sentiment_pred = np.asarray(sentiment_pred, dtype=object)
    labelled = stance_true != None  # noqa: E711
    out = {"stance": {}, "sentiment": None, "score": math.nan}
    for party in schema.party_ids:
        mask = labelled & (parties == party)
        out["stance"][party] = block(
            stance_true[mask], stance_pred[mask], schema.stance_values, schema.polar
        )
        out["stance"][party]["enough_labels"] = bool(
            sum(v != schema.not_source for v in stance_true[mask]) >= ENOUGH_LABELS
        )
    out["stance"]["all"] = block(
        stance_true[labelled], stance_pred[labelled], schema.stance_values, schema.polar
    )
    has_sentiment = sentiment_true != None  # noqa: E711
    out["sentiment"] = block(
        sentiment_true[has_sentiment], sentiment_pred[has_sentiment], schema.sentiment_values
    )
    out["score"] = promotion_score(out)
    return out


def score_labels(labelled: pd.DataFrame, predicted: pd.DataFrame, schema) -> dict:
    """The figures of `predicted` (rows as `Model.predict_frame` returns them: `stance`
    {party: label}, `sentiment`) against the labels of `labelled` (the same rows, in the same
    order, with `stance_<party>` and `sentiment` columns; NaN or None where unlabelled)."""
    if len(labelled) != len(predicted):
        raise ModelError(
            f"{len(predicted)} predictions for {len(labelled)} labelled rows; predict every row once"
        )
    parties = schema.party_ids
    columns = [stance_tag(p) for p in parties]
    stance_true = [label_or_none(v) for v in labelled[columns].to_numpy(dtype=object).ravel()]
    stance_pred = [row[p] for row in predicted["stance"] for p in parties]
    return score(
        stance_true,
        stance_pred,
        np.tile(np.asarray(parties, dtype=object), len(labelled)),
        [label_or_none(v) for v in labelled[SENTIMENT_TAG]],
        predicted["sentiment"].to_numpy(dtype=object),
        schema,
    )


def label_or_none(value):
    """None for an unlabelled cell (None, NaN, pd.NA), else the label."""
    return None if value is None or pd.isna(value) else value


def promotion_score(fig: dict) -> float:
    parts = [fig["stance"]["all"]["f_avg"], fig["sentiment"]["macro_f1"]]
    parts = [p for p in parts if not math.isnan(p)]
    return float(np.mean(parts)) if parts else math.nan


@dataclass
class Evaluation:
    folds: list
    figures: dict  # candidate name → figures()
    notes: list[str] = field(default_factory=list)
    learning_curve: list[dict] = field(default_factory=list)


def cross_validate(data: Dataset, candidates: list, folds: list) -> Evaluation:
    """Out-of-fold predictions of every candidate on the same folds, and their figures.

    The first candidate is the one being trained: if it cannot be fitted on a fold, that is an
    error. Another candidate that cannot (the current model, say) is replaced by the majority
    baseline on that fold, and a note says so."""
    evaluation = Evaluation(folds=folds, figures={})
    for position, candidate in enumerate(candidates):
        stance = np.full(len(data.pairs), None, dtype=object)
        sentiment = np.full(len(data.sentences), None, dtype=object)
        for k, (train, test) in enumerate(folds):
            try:
                fitted = candidate.fit(data, train)
                stance[data.pair_rows(test)], sentiment[test] = fitted.predict(data, test)
            except (ModelError, ValueError, KeyError) as exc:
                # The current model may come from an older mauqif whose pipelines do not fit
                # today's features: it is reported and replaced, never allowed to stop training.
                if position == 0:
                    raise ModelError(f"fold {k + 1} of {len(folds)}: {exc}") from None
                evaluation.notes.append(
                    f"{candidate.name}: fold {k + 1} uses the majority baseline ({exc})"
                )
                fitted = Majority().fit(data, train)
                stance[data.pair_rows(test)], sentiment[test] = fitted.predict(data, test)
        evaluation.figures[candidate.name] = figures(data, stance, sentiment)
    return evaluation


def learning_curve(
    data: Dataset, pipelines: dict, folds: list, fractions=LEARNING_FRACTIONS, seed: int = 0
) -> list[dict]:
    """Figures when each fold trains on a share of its training articles (same test folds)."""
    rng = np.random.default_rng(seed)
    groups = data.groups
    points = []
    for fraction in fractions:
        stance = np.full(len(data.pairs), None, dtype=object)
        sentiment = np.full(len(data.sentences), None, dtype=object)
        sizes = []
        try:
            for train, test in folds:
                articles = np.unique(groups[train])
                keep = rng.choice(
                    articles, size=max(1, round(fraction * len(articles))), replace=False
                )
                rows = train[np.isin(groups[train], keep)]
                fitted = fit_pipelines(pipelines, data, rows)
                stance[data.pair_rows(test)] = fitted["stance"].predict(
                    data.pairs.iloc[data.pair_rows(test)]
                )
                sentiment[test] = fitted["sentiment"].predict(data.inputs.iloc[test])
                sizes.append(len(rows))
        except ModelError:
            continue  # too few labels at this size to fit at all
        fig = figures(data, stance, sentiment)
        points.append(
            {
                "fraction": fraction,
                "sentences": float(np.mean(sizes)),
                "stance_f_avg": fig["stance"]["all"]["f_avg"],
                "stance_macro_f1": fig["stance"]["all"]["macro_f1"],
                "sentiment_macro_f1": fig["sentiment"]["macro_f1"],
            }
        )
    return points

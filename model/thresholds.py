"""Per-value confidence thresholds: when `push` pre-selects a party's stance.

A wrong side pre-selected in a ministry's mouth costs an annotator more than an open choice: she
must notice it, doubt it and undo it. So a `favor` or `against` is pre-selected only when the
model is sure enough that such a pre-selection is right at least `target` (0.85) of the time;
below its value's threshold the choice is left open. `neutral` and `none` keep the config's
`min_confidence`: they are most of the answers, and a wrong one costs a click, not a side.

The thresholds are chosen on training's grouped cross-validation (out-of-fold probabilities,
pooled over parties), never on the dev sets, and kept in the manifest (`stance_thresholds`).
Out-of-fold precision on our own gold is an optimistic estimate for pages of outlets nobody
here has read, so the precision that must reach `target` is a lower confidence bound
(Wilson score, one-sided `CONFIDENCE`), not the observed share: a threshold resting on 12
pre-selections needs more than 85% of them right.

A value for which no threshold reaches the target is never pre-selected (threshold above 1).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .model import Dataset, fit_pipelines

TARGET_PRECISION = 0.85
CONFIDENCE = 0.8  # one-sided level of the Wilson lower bound
NEVER = 1.01  # the threshold of a value never pre-selected (no probability reaches it)
BOOTSTRAP = 500  # resamples of the articles


def out_of_fold_proba(data: Dataset, pipelines: dict, folds: list) -> tuple[np.ndarray, list]:
    """(stance probabilities of every pair from the fold that did not train on it, the stance
    values in column order). Pairs of a fold whose model lacks a value get 0 for it."""
    values = list(data.schema.stance_values)
    proba = np.zeros((len(data.pairs), len(values)), dtype=float)
    for train, test in folds:
        fitted = fit_pipelines(pipelines, data, train)
        rows = data.pair_rows(test)
        p = fitted["stance"].predict_proba(data.pairs.iloc[rows])
        for j, value in enumerate(fitted["stance"].classes_):
            proba[rows, values.index(str(value))] = p[:, j]
    return proba, values


def wilson_lower(right: int, n: int, confidence: float = CONFIDENCE) -> float:
    """The one-sided Wilson score lower bound of a proportion `right / n` (0 for n = 0)."""
    if n == 0:
        return 0.0
    from statistics import NormalDist

    z = NormalDist().inv_cdf(confidence)
    p = right / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (centre - spread) / (1 + z * z / n)


def choose_threshold(
    confidence_of_answer: np.ndarray,
    right: np.ndarray,
    target: float = TARGET_PRECISION,
    level: float = CONFIDENCE,
    groups: np.ndarray | None = None,
    resamples: int = BOOTSTRAP,
    seed: int = 0,
) -> float:
    """The least probability t at which the answers given with p ≥ t are right at least
    `target` of the time by a lower confidence bound of their precision; `NEVER` when no t is.

    The bound is the one-sided Wilson score bound at `level`, or, with `groups` (each answer's
    article), the (1 - `level`) quantile of the precision over a bootstrap of the articles:
    errors come by article (one outlet's way of writing misleads the model on all its
    sentences), so articles, not answers, are the units a new outlet's pages resemble.

    `confidence_of_answer`: the model's probability of each answer it gave with this value;
    `right`: whether each was right."""
    p = np.asarray(confidence_of_answer, dtype=float)
    ok = np.asarray(right, dtype=bool)
    order = np.argsort(-p, kind="stable")
    p, ok = p[order], ok[order]
    # The cuts: the last answer of each run of equal probabilities.
    cuts = np.flatnonzero(np.append(p[1:] != p[:-1], True)) if len(p) else np.array([], int)
    if groups is None:
        hits = np.cumsum(ok)
        bounds = [wilson_lower(int(hits[i]), i + 1, level) for i in cuts]
    else:
        bounds = _bootstrap_lower(np.asarray(groups)[order], ok, cuts, level, resamples, seed)
    chosen = NEVER
    for i, bound in zip(cuts, bounds, strict=True):
        if bound >= target:
            chosen = float(p[i])
    return chosen


def _bootstrap_lower(groups, ok, cuts, level, resamples, seed) -> list[float]:
    """For each cut i (answers 0..i taken), the (1 - level) quantile of their precision over
    `resamples` bootstrap draws of the groups (a draw without an answer counts as 0)."""
    names, index = np.unique(groups, return_inverse=True)
    rng = np.random.default_rng(seed)
    # How many times each group is drawn in each resample: (resamples × groups).
    draws = rng.multinomial(len(names), np.full(len(names), 1 / len(names)), size=resamples)
    taken = np.zeros((len(names),), dtype=float)
    hit = np.zeros((len(names),), dtype=float)
    out, start = [], 0
    for i in cuts:
        np.add.at(taken, index[start : i + 1], 1)
        np.add.at(hit, index[start : i + 1], ok[start : i + 1])
        start = i + 1
        n, r = draws @ taken, draws @ hit
        precision = np.where(n > 0, r / np.maximum(n, 1), 0.0)
        out.append(float(np.quantile(precision, 1 - level)))
    return out


def choose_thresholds(
    proba: np.ndarray,
    labels: np.ndarray,
    values: list,
    polar: list,
    floor: float,
    target: float = TARGET_PRECISION,
    level: float = CONFIDENCE,
    groups: np.ndarray | None = None,
) -> dict[str, float]:
    """{stance value: threshold}: for each `polar` value, `choose_threshold` over the labelled
    pairs whose most probable value it is (never below `floor`); every other value `floor`.
    `groups`: each pair's article, for the bootstrap bound."""
    labels = np.asarray(labels, dtype=object)
    labelled = labels != None  # noqa: E711 (elementwise on an object array)
    best = proba.argmax(axis=1)
    out = {}
    for j, value in enumerate(values):
        if value not in polar:
            out[value] = float(floor)
            continue
        answered = labelled & (best == j)
        threshold = choose_threshold(
            proba[answered, j],
            labels[answered] == value,
            target,
            level,
            None if groups is None else np.asarray(groups)[answered],
        )
        out[value] = round(max(float(floor), threshold), 4)
    return out


def threshold_of(thresholds: float | Mapping[str, float], value) -> float:
    """The threshold of a stance value: one number for every value, or a mapping {value:
    threshold} (a value it lacks: 0, always pre-selected)."""
    if isinstance(thresholds, Mapping):
        return float(thresholds.get(value, 0.0))
    return float(thresholds)


def reliability(
    proba: np.ndarray, labels: np.ndarray, values: list, polar: list, bins: int = 10
) -> dict:
    """For the reliability plot: per polar value, the answers with that value binned by the
    model's probability: {value: [{"low", "high", "n", "mean_p", "right"}]} (bins with no answer
    left out). A calibrated model's `right` share is near its `mean_p`."""
    labels = np.asarray(labels, dtype=object)
    labelled = labels != None  # noqa: E711
    best = proba.argmax(axis=1)
    edges = np.linspace(0, 1, bins + 1)
    out: dict[str, list] = {}
    for j, value in enumerate(values):
        if value not in polar:
            continue
        answered = labelled & (best == j)
        p, ok = proba[answered, j], labels[answered] == value
        rows = []
        for low, high in zip(edges[:-1], edges[1:], strict=True):
            inside = (p >= low) & ((p < high) | (high == 1.0))
            if inside.any():
                rows.append(
                    {
                        "low": float(low),
                        "high": float(high),
                        "n": int(inside.sum()),
                        "mean_p": float(p[inside].mean()),
                        "right": float(ok[inside].mean()),
                    }
                )
        out[value] = rows
    return out


def preselection_figures(
    gold, predicted, confidence, thresholds: float | Mapping[str, float], polar: list
) -> dict:
    """How the pre-selected polar answers fare under `thresholds`, over labelled pairs:
    `polar_preselected` (favor/against answers given at or above their threshold),
    `polar_preselected_right` (of them, right), `precision` (the share right: "pre-selected
    favor/against that are right"), `gold_polar` (pairs labelled favor/against) and
    `gold_polar_recall` (the share of them pre-selected with the right value).

    `confidence` is the model's probability of each predicted value."""
    gold = np.asarray(gold, dtype=object)
    predicted = np.asarray(predicted, dtype=object)
    confidence = np.asarray(confidence, dtype=float)
    labelled = gold != None  # noqa: E711
    cut = np.array([threshold_of(thresholds, v) for v in predicted], dtype=float)
    chosen = labelled & np.isin(predicted, polar) & (confidence >= cut)
    right = chosen & (gold == predicted)
    gold_polar = labelled & np.isin(gold, polar)
    n_chosen, n_right, n_gold = int(chosen.sum()), int(right.sum()), int(gold_polar.sum())
    return {
        "polar_preselected": n_chosen,
        "polar_preselected_right": n_right,
        "precision": n_right / n_chosen if n_chosen else math.nan,
        "gold_polar": n_gold,
        "gold_polar_recall": int((right & gold_polar).sum()) / n_gold if n_gold else math.nan,
    }


def cross_validated_thresholds(
    data: Dataset,
    pipelines: dict,
    folds: list,
    floor: float,
    target: float = TARGET_PRECISION,
    level: float = CONFIDENCE,
) -> dict:
    """What training keeps: the thresholds chosen on the out-of-fold probabilities of `folds`
    (`stance_thresholds`), how they were chosen, the reliability table of the polar values and
    the pre-selection figures of the out-of-fold answers under the thresholds."""
    proba, values = out_of_fold_proba(data, pipelines, folds)
    labels = data.stance
    polar = list(data.schema.polar)
    thresholds = choose_thresholds(proba, labels, values, polar, floor, target, level)
    best = proba.argmax(axis=1)
    predicted = np.array([values[j] for j in best], dtype=object)
    return {
        "stance_thresholds": thresholds,
        "target_precision": target,
        "confidence": level,
        "method": "least threshold whose one-sided Wilson lower bound of the out-of-fold "
        "precision reaches the target",
        "reliability": reliability(proba, labels, values, polar),
        "cross_validation": preselection_figures(
            labels, predicted, proba[np.arange(len(best)), best], thresholds, polar
        ),
    }

"""Agreement between any number of annotators: Krippendorff's alpha, Cohen's kappa, confusions.

A stance study is trusted only with its inter-annotator agreement. From the labels table of one
or more exports (`mauqif.annotate.labels.read_exports`) this computes, per question of the schema
(each party's stance, the sentiment):

- Krippendorff's alpha (nominal; the `krippendorff` package) over every annotator, missing answers
  allowed, with a bootstrap confidence interval (units resampled with replacement);
- Cohen's kappa for each pair of annotators on the sentences both answered (scikit-learn's
  `cohen_kappa_score`), or first pass against second pass (`by="passes"`);
- each annotator's agreement with the majority of the others on the same sentence;
- the coincidence matrix (how often two annotators of one sentence gave values c and k) and the
  label pairs most often confused.

Which annotations count: cancelled (skipped) ones do not, and neither does an adjudication, the
ground-truth annotation made after two or more others of the same sentence (the reviewer's
verdict `mauqif adjudicate` brings back, or the lead's decision in the gold set): it settles a
disagreement and is not another independent pass. Each annotator's latest answer counts once.
Nor does an annotation someone other than its author changed (`labels.trusted`: Label Studio's
`updated_by` is another member, or the record says it was taken over), until a lead confirms it:
a member who rewrites another's answer must not move the figures. The notes name them.

Everything here is pure: a table in, frames out. Label values come from the schema.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import pandas as pd

from mauqif.annotate.labels import agreement as pairwise_agreement
from mauqif.annotate.labels import held_line, independent_passes, question_columns
from mauqif.annotate.schema import SENTIMENT_TAG, Schema

ALPHA_COLUMNS = [
    "question",
    "units",
    "annotations",
    "annotators",
    "observed",
    "alpha",
    "ci_low",
    "ci_high",
]
MAJORITY_COLUMNS = ["annotator", "question", "n", "agree", "share"]
CONFUSION_COLUMNS = ["question", "label_a", "label_b", "count", "share"]


@dataclass
class Agreement:
    """What `agreement` computes. Frames are tidy, one row per figure; `coincidences` maps each
    question to its coincidence matrix (values × values, a DataFrame)."""

    alpha: pd.DataFrame
    kappa: pd.DataFrame
    majority: pd.DataFrame
    confusions: pd.DataFrame
    coincidences: dict[str, pd.DataFrame]
    annotators: list[str]
    units: int
    n_boot: int
    level: float
    by: str
    notes: list[str] = field(default_factory=list)

    def tidy(self) -> pd.DataFrame:
        """Every figure in one long table (what `--csv` writes)."""
        rows = []
        for r in self.alpha.itertuples():
            rows.append(
                {
                    "measure": "krippendorff_alpha",
                    "question": r.question,
                    "n": r.units,
                    "value": r.alpha,
                    "observed": r.observed,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                }
            )
        for r in self.kappa.itertuples():
            rows.append(
                {
                    "measure": "cohen_kappa",
                    "question": r.question,
                    "annotator": r.annotator_a,
                    "annotator_b": r.annotator_b,
                    "n": r.n,
                    "value": r.kappa,
                    "observed": r.observed,
                }
            )
        for r in self.majority.itertuples():
            rows.append(
                {
                    "measure": "agreement_with_majority",
                    "question": r.question,
                    "annotator": r.annotator,
                    "n": r.n,
                    "value": r.share,
                }
            )
        for r in self.confusions.itertuples():
            rows.append(
                {
                    "measure": "confused_pair",
                    "question": r.question,
                    "label_a": r.label_a,
                    "label_b": r.label_b,
                    "n": r.count,
                    "value": r.share,
                }
            )
        columns = [
            "measure",
            "question",
            "annotator",
            "annotator_b",
            "label_a",
            "label_b",
            "n",
            "value",
            "observed",
            "ci_low",
            "ci_high",
        ]
        return pd.DataFrame(rows, columns=columns)


def values_of(question: str, schema: Schema) -> list[str]:
    """The values a question can take, in the schema's order."""
    return schema.sentiment_values if question == SENTIMENT_TAG else schema.stance_values


# ---------------------------------------------------------------------------------------------
# The answers: independent passes (`mauqif.annotate.labels.independent_passes`)


def answers(table: pd.DataFrame, schema: Schema) -> dict[str, pd.DataFrame]:
    """{question: sentences × annotators} of answers (None where one did not answer), from the
    independent passes, each annotator's latest answer per sentence."""
    passes = independent_passes(table)
    questions = question_columns(schema)
    if not len(passes):
        return {q: pd.DataFrame() for q in questions}
    latest = (
        passes.assign(_updated=passes["updated_at"].fillna("").astype(str))
        .sort_values("_updated", kind="stable")
        .drop_duplicates(["sentence_id", "annotator"], keep="last")
    )
    latest = latest.assign(annotator=latest["annotator"].astype(str))
    out = {}
    for q in questions:
        present = latest[latest[q].map(_present)]
        out[q] = present.pivot(index="sentence_id", columns="annotator", values=q)
    return out


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


# ---------------------------------------------------------------------------------------------
# Krippendorff's alpha


def value_counts(matrix: pd.DataFrame, values: list[str]) -> np.ndarray:
    """Units × values: how many annotators gave each value to each unit (units answered by at
    least two annotators only: the others cannot be paired)."""
    if matrix.empty:
        return np.zeros((0, len(values)), dtype=int)
    index = {v: i for i, v in enumerate(values)}
    counts = np.zeros((len(matrix), len(values)), dtype=int)
    for row, record in enumerate(matrix.to_numpy(dtype=object)):
        for value in record:
            if _present(value):
                counts[row, index[value]] += 1
    return counts[counts.sum(axis=1) >= 2]


def krippendorff_alpha(counts: np.ndarray) -> float:
    """Nominal Krippendorff's alpha of a units × values count matrix; NaN when undefined (no
    pairable unit, or one value only, so that no disagreement is even possible)."""
    import krippendorff

    if len(counts) == 0 or np.count_nonzero(counts.sum(axis=0)) < 2:
        return float("nan")
    return float(krippendorff.alpha(value_counts=counts, level_of_measurement="nominal"))


def bootstrap_interval(
    counts: np.ndarray, n_boot: int, level: float, rng: np.random.Generator
) -> tuple[float, float]:
    """Percentile interval of alpha over `n_boot` resamples of the units (with replacement)."""
    if n_boot <= 0 or len(counts) < 2:
        return float("nan"), float("nan")
    draws = []
    for _ in range(n_boot):
        sample = counts[rng.integers(0, len(counts), len(counts))]
        draws.append(krippendorff_alpha(sample))
    draws = np.array(draws)
    draws = draws[~np.isnan(draws)]
    if not len(draws):
        return float("nan"), float("nan")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return float(low), float(high)


def coincidences(counts: np.ndarray, values: list[str]) -> pd.DataFrame:
    """Krippendorff's coincidence matrix: o[c, k] = Σ_units n_uc (n_uk − [c = k]) / (m_u − 1),
    the pairable values c, k of one unit, each unit weighing as much as its annotators."""
    if not len(counts):
        return pd.DataFrame(np.zeros((len(values), len(values))), index=values, columns=values)
    weighted = counts / (counts.sum(axis=1, keepdims=True) - 1)
    matrix = weighted.T @ counts - np.diag(weighted.sum(axis=0))
    return pd.DataFrame(matrix, index=values, columns=values)


def _observed_agreement(counts: np.ndarray) -> float:
    """The share of agreeing pairs among all pairs of answers to the same unit."""
    if not len(counts):
        return float("nan")
    m = counts.sum(axis=1)
    pairs = (m * (m - 1)).sum()
    agreeing = (counts * (counts - 1)).sum()
    return float(agreeing / pairs) if pairs else float("nan")


# ---------------------------------------------------------------------------------------------
# The annotators


def majority_agreement(matrices: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Each annotator against the majority of the others, per question and over all of them.

    On every sentence the annotator answered where the others' answers have a single most
    frequent value (with one other annotator, that one's answer), `agree` counts the sentences
    where the annotator gave that value; ties among the others are left out.
    """
    tallies: dict[tuple[str, str], list[int]] = {}
    for question, matrix in matrices.items():
        if matrix.empty:
            continue
        names = [str(c) for c in matrix.columns]
        for record in matrix.to_numpy(dtype=object):
            given = {n: v for n, v in zip(names, record, strict=True) if _present(v)}
            if len(given) < 2:
                continue
            for name, value in given.items():
                top = Counter(v for n, v in given.items() if n != name).most_common(2)
                if len(top) > 1 and top[0][1] == top[1][1]:
                    continue
                hit = int(value == top[0][0])
                for key in ((name, question), (name, "all")):
                    tally = tallies.setdefault(key, [0, 0])
                    tally[0] += 1
                    tally[1] += hit
    rows = [
        [name, question, n, agree, agree / n]
        for (name, question), (n, agree) in tallies.items()
        if n
    ]
    order = {q: i for i, q in enumerate([*matrices, "all"])}
    rows.sort(key=lambda r: (r[0], order.get(r[1], 99)))
    return pd.DataFrame(rows, columns=MAJORITY_COLUMNS)


def confused_pairs(coincidence: dict[str, pd.DataFrame], top: int | None = None) -> pd.DataFrame:
    """The label pairs annotators of one sentence disagree on, most frequent first.

    `count` is the number of disagreeing pairs of answers (from the coincidence matrix, unordered);
    `share` is its part of all the question's disagreeing pairs.
    """
    rows = []
    for question, matrix in coincidence.items():
        values = list(matrix.index)
        total = sum(matrix.iloc[i, j] for i, j in combinations(range(len(values)), 2))
        for i, j in combinations(range(len(values)), 2):
            count = matrix.iloc[i, j]  # symmetric: the (j, i) cell holds the same pairs
            if count > 0:
                rows.append([question, values[i], values[j], float(count), count / total])
    frame = pd.DataFrame(rows, columns=CONFUSION_COLUMNS)
    frame = frame.sort_values(["count", "question"], ascending=[False, True], kind="stable")
    frame = frame.reset_index(drop=True)
    return frame.head(top) if top else frame


# ---------------------------------------------------------------------------------------------
# All of it


def agreement(
    table: pd.DataFrame,
    schema: Schema,
    by: str = "annotators",
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    min_shared: int = 1,
) -> Agreement:
    """Every agreement figure of a labels table (see the module docstring).

    `by`: how Cohen's kappa pairs the answers: "annotators" (each pair of annotators, on the
    sentences both answered) or "passes" (the first and second annotation of each sentence by
    different people, pooled: what the gold set's two passes are). `n_boot` resamples give the
    `level` confidence interval of alpha; `seed` makes them repeatable.
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, not {level}")
    questions = question_columns(schema)
    matrices = answers(table, schema)
    rng = np.random.default_rng(seed)
    alpha_rows, matrices_of = [], {}
    for q in questions:
        values = values_of(q, schema)
        counts = value_counts(matrices[q], values)
        matrices_of[q] = coincidences(counts, values)
        low, high = bootstrap_interval(counts, n_boot, level, rng)
        alpha_rows.append(
            [
                q,
                len(counts),
                int(counts.sum()),
                int(matrices[q].notna().any().sum()) if not matrices[q].empty else 0,
                _observed_agreement(counts),
                krippendorff_alpha(counts),
                low,
                high,
            ]
        )
    passes = independent_passes(table)
    with warnings.catch_warnings():
        # Two annotators who gave one and the same label to everything: kappa is undefined
        # (NaN); scikit-learn says so with a warning, the table says so with "n/a".
        from sklearn.exceptions import UndefinedMetricWarning

        warnings.simplefilter("ignore", UndefinedMetricWarning)
        kappa = pairwise_agreement(passes, schema, by=by, min_shared=min_shared)
    annotators = sorted({str(a) for m in matrices.values() for a in m.columns})
    units = len(set().union(*(set(m.index[m.notna().sum(axis=1) >= 2]) for m in matrices.values())))
    notes = []
    if held_line(table):
        notes.append(held_line(table))
    if units == 0:
        notes.append("no sentence was answered by two annotators: nothing to compare")
    return Agreement(
        alpha=pd.DataFrame(alpha_rows, columns=ALPHA_COLUMNS),
        kappa=kappa,
        majority=majority_agreement(matrices),
        confusions=confused_pairs(matrices_of),
        coincidences=matrices_of,
        annotators=annotators,
        units=units,
        n_boot=n_boot,
        level=level,
        by=by,
        notes=notes,
    )

"""Quantification on labelled news: the counts `mauqif trends` estimates per party and stance
value, against the truth, beside raw counting of the model's labels (CC).

Estimators: CC (count the labels), PCC (sum the posteriors), ACC and PACC (adjusted for the
error rates, `mauqif.model.quantify`), PPI (the predicted labels' shares plus the rectifier, the
labelled units' mean of true minus predicted indicators; `mauqif trends` offers it only with the
lab's labels, the rows "lab's held-out half"), and EM re-weighting of the posteriors (SLD, Saerens et al.
2002; the training priors are the true-value shares of the training labels' rates; no
interval). Figures: mean absolute error of the counts of each source value (favor, against,
neutral) per party and cell, the ratio to CC's, and how often the 90% interval holds the true
count (±0.5, counts being whole; CC's and PCC's intervals are the bootstrap `trends` gives them,
the cell's rows resampled).

- gold CV: our gold set's 5 cross-validation folds grouped by article; each fold is a sample,
  its rates come from the out-of-fold predictions of the other folds;
- real pages (`../shared/dev/real/`, 214 units, 38 pages the model never trained on), the
  model trained on our gold: rates from the manifest (cross-validation on our gold), or from
  the lab's own annotations, simulated by a held-out half of the pages (articles split in two,
  REPEATS times; rates on one half, the other half quantified, and the reverse); cells are the
  half, or each page of it.

Needs the dev set beside the repository (skipped without it). `MAUQIF_BENCH_MODEL` names a
model directory trained on exports/gold; otherwise one is trained here (a few minutes).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from mauqif.annotate.schema import load_schema, stance_tag

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the repository (a worktree one level deeper also finds it).
REAL = next(
    (
        base / "shared" / "dev" / "real" / "gold.jsonl"
        for base in (ROOT.parent, ROOT.parent.parent)
        if (base / "shared" / "dev" / "real" / "gold.jsonl").exists()
    ),
    ROOT.parent / "shared" / "dev" / "real" / "gold.jsonl",
)
REPEATS = 10
METHODS = ("cc", "pcc", "acc", "pacc", "ppi")


def _model_dir() -> Path:
    given = os.environ.get("MAUQIF_BENCH_MODEL")
    if given:
        return Path(given)
    from mauqif.model.train import retrain

    models = Path(tempfile.mkdtemp(prefix="mauqif-bench-quantify-"))
    retrain([ROOT / "exports" / "gold"], models, "always", with_learning_curve=False)
    return models


class Tally:
    def __init__(self):
        self.errors, self.covered = {}, {}

    def add(self, key, estimate, low, high, truth, columns):
        self.errors.setdefault(key, []).extend(np.abs(estimate - truth)[:, columns].ravel())
        if low is None:  # an estimator without intervals
            self.covered.setdefault(key, [])
            return
        inside = (low - 0.5 <= truth) & (truth <= high + 0.5)
        self.covered.setdefault(key, []).extend(inside[:, columns].ravel())

    def print(self, title: str):
        print(f"\n{title}")
        print(f"  {'estimator':9} {'rates':26} {'MAE':>6} {'÷ CC':>5} {'90% CI covers':>13}")
        base = np.mean(self.errors[("cc", "-")])
        for (method, source), errors in self.errors.items():
            covered = self.covered[(method, source)]
            shown = f"{np.mean(covered):13.2f}" if covered else f"{'–':>13}"
            print(
                f"  {method:9} {source:26} {np.mean(errors):6.3f} {np.mean(errors) / base:5.2f}"
                f" {shown}"
            )

    def ratios(self, sources=None) -> dict[str, list[tuple[float, float | None]]]:
        """Per estimator, (MAE ÷ CC's, coverage or None) of each source of rates (of `sources`
        only, and the raw counts, when given)."""
        base = np.mean(self.errors[("cc", "-")])
        out = {}
        for (method, source), errors in self.errors.items():
            if sources is not None and source not in ("-", *sources):
                continue
            covered = self.covered[(method, source)]
            coverage = float(np.mean(covered)) if covered else None
            out.setdefault(method, []).append((float(np.mean(errors) / base), coverage))
        return out


LAB = "lab's held-out half"


def choose_default(tallies: list[Tally], sources=None, title: str = "the default") -> str:
    """`quantify.choose_method` on every row of the tallies (with rates from `sources` only,
    when given), its figures printed."""
    from mauqif.model.quantify import MIN_COVERAGE, choose_method

    figures: dict[str, list[tuple[float, float | None]]] = {}
    for tally in tallies:
        for method, pairs in tally.ratios(sources).items():
            figures.setdefault(method, []).extend(pairs)
    print(f"\n{title} by the evidence (intervals covering >= {MIN_COVERAGE:.0%} of cells in")
    print("every row, then the lowest mean error ÷ CC's):")
    for method, pairs in figures.items():
        ratios = [r for r, _ in pairs]
        coverages = [c for _, c in pairs]
        worst = None if None in coverages else min(coverages)
        shown = "no interval" if worst is None else f"worst coverage {worst:.2f}"
        print(
            f"  {method:5} ÷ CC {min(ratios):.2f}–{max(ratios):.2f} (mean {np.mean(ratios):.2f}),"
            f" {shown}{'' if worst is not None and worst >= MIN_COVERAGE else ' -> not eligible'}"
        )
    chosen = choose_method(figures)
    print(f"  chosen: {chosen}")
    return chosen


def _quantify(tally, key_source, rates, proba_cells, truth, columns, seed, em=True):
    """Every estimator on the cells; EM (`em`) only with rates of the model's training labels,
    whose true-value shares are the priors its posteriors were fitted to."""
    from mauqif.model.quantify import bootstrap_cells, point_cells, saerens_em

    n = np.array([len(p) for p in proba_cells], dtype=float)
    hard = np.array([np.bincount(p.argmax(1), minlength=p.shape[1]) for p in proba_cells], float)
    soft = np.array([p.sum(0) for p in proba_cells])
    for method in METHODS:
        if (method in ("cc", "pcc")) != (key_source == "-"):
            continue  # raw counts once, adjusted ones per source of rates
        estimate = point_cells(n, hard, soft, rates, method) * n[:, None]
        draws = bootstrap_cells(n, hard, soft, rates, method, draws=300, seed=seed)
        draws = draws * n[:, None, None]
        low, high = np.quantile(draws, 0.05, axis=1), np.quantile(draws, 0.95, axis=1)
        tally.add((method, key_source), estimate, low, high, truth, columns)
    if em and key_source != "-":
        support = rates.support + 1.0  # a value the rates never saw keeps some prior
        prior = support / support.sum()
        estimate = np.array([saerens_em(p, prior) for p in proba_cells]) * n[:, None]
        tally.add(("em", key_source), estimate, None, None, truth, columns)


def gold_folds(schema) -> Tally:
    from mauqif.annotate.labels import aggregate, read_exports
    from mauqif.model.evaluate import grouped_folds
    from mauqif.model.model import make_dataset
    from mauqif.model.pipeline import ModelConfig, make_pipelines
    from mauqif.model.quantify import rates_from
    from mauqif.model.rates import out_of_fold

    sentences, _ = aggregate(read_exports([ROOT / "exports" / "gold"], schema), schema)
    data = make_dataset(sentences, schema)
    folds = grouped_folds(data, 5)
    stance_p, _, labels = out_of_fold(data, make_pipelines(ModelConfig(), schema.not_source), folds)
    values = labels["stance"]
    columns = [i for i, v in enumerate(values) if v != schema.not_source]
    truth_all = data.stance.reshape(len(data.sentences), len(schema.party_ids))
    tally = Tally()
    for f, (_, test) in enumerate(folds):
        rest = np.setdiff1d(np.arange(len(data.sentences)), test)
        for j, _party in enumerate(schema.party_ids):
            labelled = [v is not None for v in truth_all[rest, j]]
            rates = rates_from(truth_all[rest, j], stance_p[rest, j], values, "cv")
            keep = test[[v is not None for v in truth_all[test, j]]]
            truth = np.array([[np.sum(truth_all[keep, j] == v) for v in values]])
            assert any(labelled)
            _quantify(tally, "-", None, [stance_p[keep, j]], truth, columns, f)
            _quantify(tally, "other folds (CV)", rates, [stance_p[keep, j]], truth, columns, f)
    return tally


def real_pages(schema, model, cells: str) -> Tally:
    from mauqif.model.rates import labelled_rates, manifest_rates
    from mauqif.model.scoring import read_labelled

    stored = manifest_rates(model.manifest)
    real, _, _ = read_labelled([REAL], schema)
    real = real.reset_index(drop=True)
    frame = real[["text"]].assign(
        context=real["context"].fillna(""),
        mentions=[model.finder().find(t) for t in real["text"]],
    )
    stance_p, _ = model.predict_proba(frame)
    values = model.stance_labels
    columns = [i for i, v in enumerate(values) if v != schema.not_source]
    articles = real["article_id"].astype(str).to_numpy()
    rng = np.random.default_rng(0)
    tally = Tally()
    for repeat in range(REPEATS):
        order = rng.permutation(np.unique(articles))
        halves = np.array_split(order, 2)
        for h in range(2):
            test = np.isin(articles, halves[h])
            lab = labelled_rates(model, real[~test])
            masks = [test & (articles == a) for a in halves[h]] if cells == "page" else [test]
            for j, party in enumerate(schema.party_ids):
                truth = np.array(
                    [[np.sum(real.loc[m, stance_tag(party)] == v) for v in values] for m in masks]
                )
                proba = [stance_p[m, j] for m in masks]
                seed = repeat * 2 + h
                _quantify(tally, "-", None, proba, truth, columns, seed)
                _quantify(tally, "manifest (CV on our gold)", stored[party], proba, truth,
                          columns, seed)  # fmt: skip
                _quantify(tally, LAB, lab[party], proba, truth, columns, seed, em=False)
    return tally


def main() -> None:
    if not REAL.exists():
        print(f"skipped: no dev set at {REAL}")
        return
    from mauqif.model import load_model

    schema = load_schema()
    model = load_model(_model_dir(), schema)
    print(f"model {model.version}; counts of favor/against/neutral per party and cell")
    tallies = [
        (gold_folds(schema), "gold CV: 5 folds grouped by article, each fold a sample"),
        (
            real_pages(schema, model, "half"),
            f"real pages: each held-out half a sample ({REPEATS} random splits by page)",
        ),
        (real_pages(schema, model, "page"), "real pages: each page of the held-out half a sample"),
    ]
    for tally, title in tallies:
        tally.print(title)
    chosen = choose_default([tally for tally, _ in tallies])
    # Where the lab has labels of its own (`trends --rates-from`): the real pages' rows whose
    # rates come from them, beside raw counting.
    choose_default(
        [tally for tally, _ in tallies[1:]], (LAB,), "with the lab's labels, the default"
    )
    from mauqif.model.quantify import DEFAULT_METHOD

    print(f"  `mauqif trends` defaults to: {DEFAULT_METHOD}" + ("" if chosen == DEFAULT_METHOD
          else f" (the evidence says {chosen}: change DEFAULT_METHOD)"))  # fmt: skip

"""The learning loop: how fast a lab's own labels make the model right on outlets it never saw.

A lab starts from the model trained on our sample gold (`exports/gold`), annotates k units of
its own news, chosen by the model's uncertainty (Label Studio's uncertainty sampling, served in
the order of push's prediction `score`: `annotate.studio.results.uncertainty_score`) or at
random, and retrains with its labels weighted as `mauqif train` weighs them
(`model.train.source_weights`, lab weight `DEFAULT_LAB_WEIGHT`). We measure on outlets none of
its labels came from.

**This benchmark trains on the dev sets** (`../shared/dev/`), as a lab's annotations would be:
the real-news dev set's outlets (`real/sources.tsv`) are cut into FOLDS groups; each group in
turn is held out and scored; the pool the lab annotates from is the real units of the other
outlets plus the seeds' units (`seeds_labelled.jsonl`: three more real articles, never scored,
so that the pool holds more than 200 units). The shipped model never trains on them.

Uncertainty is active learning proper: from the gold model, each round scores the units not yet
annotated with the last model, takes the least sure up to the next k (50, 100, 200), and
retrains. Random takes a random order of the pool (one per fold, seeded) and its first k.
Figures are stance macro-F1 and favour F1 over the held-out outlets' party pairs, and sentiment
macro-F1, averaged over folds (± their standard deviation); "pooled" scores every held-out
unit's prediction at once (each unit is held out exactly once).

Cost: 1 + 6 × FOLDS fits of the full model (about 20 s each on the gold set here);
`MAUQIF_BENCH_LEARNING_FOLDS` (default 3) and `MAUQIF_BENCH_LEARNING_KS` change the loop.
"""

from __future__ import annotations

import csv
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mauqif.annotate.labels import aggregate, read_exports
from mauqif.annotate.schema import load_schema
from mauqif.annotate.studio.results import uncertainty_score
from mauqif.model.evaluate import score
from mauqif.model.model import Dataset, Model, fit_pipelines, make_dataset
from mauqif.model.pipeline import ModelConfig, make_pipelines
from mauqif.model.scoring import read_labelled
from mauqif.model.train import DEFAULT_LAB_WEIGHT, source_weights

ROOT = Path(__file__).resolve().parent.parent
DEV = Path(os.environ.get("MAUQIF_DEV", ROOT.parent / "shared" / "dev"))
GOLD = ROOT / "exports" / "gold"
FOLDS = int(os.environ.get("MAUQIF_BENCH_LEARNING_FOLDS", "3"))
KS = tuple(int(k) for k in os.environ.get("MAUQIF_BENCH_LEARNING_KS", "50,100,200").split(","))
# Lab weights to compare (`MAUQIF_BENCH_LEARNING_WEIGHTS`, e.g. "1,5,20"); default the one
# `mauqif train` uses.
WEIGHTS = tuple(
    float(w)
    for w in os.environ.get("MAUQIF_BENCH_LEARNING_WEIGHTS", str(DEFAULT_LAB_WEIGHT)).split(",")
)
STRATEGIES = ("uncertainty", "random")
SEED = 20


@dataclass
class LoopData:
    """Gold, real and seed units in one `Dataset` (features are computed once), with where each
    row comes from: `origin` ("gold", "real", "seeds") and the real units' outlet."""

    data: Dataset
    origin: np.ndarray
    outlet: np.ndarray

    def rows(self, origin: str) -> np.ndarray:
        return np.flatnonzero(self.origin == origin)


def load(dev: Path = DEV, gold: Path = GOLD, schema=None) -> LoopData:
    schema = schema or load_schema()
    sentences, _ = aggregate(read_exports([gold], schema), schema)
    real, _, _ = read_labelled([dev / "real" / "gold.jsonl"], schema)
    seeds, _, _ = read_labelled([dev / "seeds_labelled.jsonl"], schema)
    with open(dev / "real" / "sources.tsv", encoding="utf-8") as f:
        outlets = {row[0]: row[2] for row in csv.reader(f, delimiter="\t") if row}
    stems = real["article_id"].astype(str).str.removesuffix(".txt")
    missing = sorted(set(stems) - set(outlets))
    if missing:
        raise SystemExit(f"{dev / 'real' / 'sources.tsv'}: no outlet for {', '.join(missing)}")
    frames = [sentences.drop(columns=["mentions"]), real, seeds]
    origin = np.repeat(["gold", "real", "seeds"], [len(f) for f in frames])
    outlet = np.array([""] * len(sentences) + [outlets[s] for s in stems] + [""] * len(seeds))
    table = pd.concat(frames, ignore_index=True)[
        ["sentence_id", "article_id", "text", "context", *_questions(schema)]
    ]
    return LoopData(make_dataset(table, schema), origin, outlet)


def _questions(schema) -> list[str]:
    from mauqif.annotate.labels import question_columns

    return question_columns(schema)


def outlet_folds(outlets: np.ndarray, n: int, seed: int = SEED) -> list[set[str]]:
    """The real outlets cut into `n` groups at random (each held out once)."""
    names = np.array(sorted(set(outlets) - {""}))
    np.random.default_rng(seed).shuffle(names)
    return [set(group) for group in np.array_split(names, n)]


def fit(loop: LoopData, rows: np.ndarray, lab_weight: float, pipelines: dict) -> Model:
    """The model a lab gets by training on the gold set and its labelled `rows`."""
    data = loop.data
    train = np.concatenate([loop.rows("gold"), rows])
    weights = source_weights(loop.origin != "gold", lab_weight)
    fitted = fit_pipelines(pipelines, data, train, weights)
    return Model(fitted, data.schema, ModelConfig(), version="bench")


def figures(model: Model, data: Dataset, rows: np.ndarray) -> dict:
    pairs = data.pair_rows(rows)
    stance = model.pipelines["stance"].predict(data.pairs.iloc[pairs])
    sentiment = model.pipelines["sentiment"].predict(data.inputs.iloc[rows])
    return {"pairs": pairs, "rows": rows, "stance": stance, "sentiment": sentiment}


def summary(data: Dataset, predicted: list[dict]) -> dict:
    """Stance macro-F1, favour F1 and sentiment macro-F1 of predictions (pooled over `predicted`)."""
    pairs = np.concatenate([p["pairs"] for p in predicted])
    rows = np.concatenate([p["rows"] for p in predicted])
    fig = score(
        data.stance[pairs],
        np.concatenate([p["stance"] for p in predicted]),
        data.pairs["party"].to_numpy()[pairs],
        data.sentiment[rows],
        np.concatenate([p["sentiment"] for p in predicted]),
        data.schema,
    )
    favour = data.schema.polar[0]
    return {
        "macro_f1": fig["stance"]["all"]["macro_f1"],
        "favour_f1": fig["stance"]["all"]["classes"][favour]["f1"],
        "sentiment_f1": fig["sentiment"]["macro_f1"],
    }


def uncertainty(model: Model, data: Dataset, rows: np.ndarray) -> np.ndarray:
    """push's prediction `score` of each unit (low = least sure), from the model's answers."""
    frame = data.sentences.iloc[rows][["text", "context", "mentions"]]
    answers = model.answers(frame)
    return np.array([uncertainty_score(a["stance_proba"], a["sentiment_proba"]) for a in answers])


def learning_loop(
    loop: LoopData,
    folds: list[set[str]],
    ks=KS,
    strategies=STRATEGIES,
    lab_weight: float = DEFAULT_LAB_WEIGHT,
    log=print,
    config: ModelConfig | None = None,
) -> dict:
    """{(strategy, k): [per-fold prediction dicts]}, k = 0 being the gold model."""
    data = loop.data
    pipelines = make_pipelines(config or ModelConfig(), data.schema.not_source)
    gold_model = fit(loop, np.array([], dtype=int), lab_weight, pipelines)
    out: dict = {}
    pool_all = np.concatenate([loop.rows("real"), loop.rows("seeds")])
    for f, held_out in enumerate(folds):
        test = np.flatnonzero(np.isin(loop.outlet, list(held_out)))
        pool = pool_all[~np.isin(loop.outlet[pool_all], list(held_out))]
        out.setdefault(("gold", 0), []).append(figures(gold_model, data, test))
        for strategy in strategies:
            order = np.random.default_rng(SEED + f).permutation(pool)
            chosen = np.array([], dtype=int)
            model = gold_model
            for k in ks:
                k = min(k, len(pool))
                if strategy == "random":
                    chosen = order[:k]
                else:
                    rest = np.setdiff1d(pool, chosen)
                    need = k - len(chosen)
                    least_sure = rest[np.argsort(uncertainty(model, data, rest), kind="stable")]
                    chosen = np.concatenate([chosen, least_sure[:need]])
                started = time.perf_counter()
                model = fit(loop, chosen, lab_weight, pipelines)
                out.setdefault((strategy, k), []).append(figures(model, data, test))
                log(
                    f"  fold {f + 1}/{len(folds)} {strategy:11} k={k:3}: "
                    f"{summary(data, [out[(strategy, k)][-1]])['macro_f1']:.3f} "
                    f"({time.perf_counter() - started:.0f} s)"
                )
    return out


def table(loop: LoopData, results: dict) -> list[str]:
    data = loop.data
    lines = [
        f"{'strategy':12} {'k':>4}   {'stance macro-F1':>17}   {'favour F1':>15}   "
        f"{'sentiment':>15}   pooled macro / favour / sentiment"
    ]
    for (strategy, k), predicted in results.items():
        per_fold = [summary(data, [p]) for p in predicted]
        pooled = summary(data, predicted)
        cells = []
        for key in ("macro_f1", "favour_f1", "sentiment_f1"):
            values = np.array([s[key] for s in per_fold])
            cells.append(f"{np.nanmean(values):.3f} ± {np.nanstd(values):.3f}")
        lines.append(
            f"{strategy:12} {k:>4}   {cells[0]:>17}   {cells[1]:>15}   {cells[2]:>15}   "
            f"{pooled['macro_f1']:.3f} / {pooled['favour_f1']:.3f} / {pooled['sentiment_f1']:.3f}"
        )
    return lines


def main() -> None:
    if not (DEV / "real" / "gold.jsonl").exists():
        print(f"skipped: no dev set at {DEV} (set MAUQIF_DEV)")
        return
    started = time.perf_counter()
    loop = load()
    folds = outlet_folds(loop.outlet, FOLDS)
    print(
        "TRAINS ON THE DEV SET's held-in outlets (as a lab's own labels); scored on held-out "
        f"outlets. {len(loop.rows('gold'))} gold units; {len(loop.rows('real'))} real units of "
        f"{len(set(loop.outlet) - {''})} outlets in {FOLDS} outlet folds; pool = the other "
        f"folds' real units + {len(loop.rows('seeds'))} seed units; uncertainty = push's "
        "prediction score",
        flush=True,
    )
    for weight in WEIGHTS:
        results = learning_loop(loop, folds, lab_weight=weight, log=lambda *a: None)
        print(f"lab weight {weight:g} (mauqif train's default: {DEFAULT_LAB_WEIGHT:g})")
        print("\n".join(table(loop, results)))
        base = results[("gold", 0)]
        gold = np.mean([summary(loop.data, [p])["macro_f1"] for p in base])
        for strategy in STRATEGIES:
            lifts = []
            for k in KS:
                got = np.mean([summary(loop.data, [p])["macro_f1"] for p in results[(strategy, k)]])
                lifts.append(f"k={k} {got - gold:+.3f} (x{got / gold:.2f})")
            print(f"  {strategy:11} stance macro-F1 over the gold model: {', '.join(lifts)}")
        print(flush=True)
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()

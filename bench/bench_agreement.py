"""Agreement of a team (`mauqif agreement`): how long the figures take on a big overlap.

A synthetic labels table (the shape `read_exports` gives): SENTENCES sentences, each answered by
three of ANNOTATORS annotators, every question of the schema answered, one answer in six
differing from the sentence's truth. Measured in the same run:

- mauqif: `mauqif.model.agreement.agreement` with BOOT bootstrap resamples (alpha per question
  with its interval, kappa per pair, majority, confusions: everything the command prints);
- the raw library call: `krippendorff.alpha` on the annotators × sentences reliability matrix,
  per question, with the same number of bootstrap resamples of its columns (alpha and its
  interval only), the way one would write it by hand.
"""

from __future__ import annotations

import os
import time

import numpy as np
import pandas as pd

from mauqif.annotate.labels import label_columns, question_columns
from mauqif.annotate.schema import SENTIMENT_TAG, load_schema

SENTENCES = int(os.environ.get("MAUQIF_BENCH_AGREEMENT_SENTENCES", "5000"))
ANNOTATORS = 6
BOOT = 200


def synthetic_table(schema, rng: np.random.Generator) -> pd.DataFrame:
    questions = question_columns(schema)
    rows = []
    for s in range(SENTENCES):
        truth = {
            q: rng.choice(schema.sentiment_values if q == SENTIMENT_TAG else schema.stance_values)
            for q in questions
        }
        for a in rng.choice(ANNOTATORS, 3, replace=False):
            row = dict.fromkeys(label_columns(schema))
            row.update(
                sentence_id=f"s{s}",
                article_id=f"a{s // 20}",
                annotator=f"annotator{a}",
                annotation_id=len(rows) + 1,
                created_at=f"2026-01-01T00:00:{len(rows) % 60:02d}Z",
                updated_at=None,
                cancelled=False,
                ground_truth=False,
                unknown=[],
                project="bench",
            )
            for q in questions:
                values = schema.sentiment_values if q == SENTIMENT_TAG else schema.stance_values
                row[q] = truth[q] if rng.random() > 1 / 6 else rng.choice(values)
            rows.append(row)
    return pd.DataFrame(rows, columns=label_columns(schema))


def raw_krippendorff(table: pd.DataFrame, schema, rng: np.random.Generator) -> None:
    import krippendorff

    for q in question_columns(schema):
        values = schema.sentiment_values if q == SENTIMENT_TAG else schema.stance_values
        codes = table[q].map({v: i for i, v in enumerate(values)})
        matrix = (
            table.assign(code=codes)
            .pivot(index="annotator", columns="sentence_id", values="code")
            .to_numpy(dtype=float)
        )
        krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal")
        draws = []
        for _ in range(BOOT):
            columns = rng.integers(0, matrix.shape[1], matrix.shape[1])
            draws.append(
                krippendorff.alpha(
                    reliability_data=matrix[:, columns], level_of_measurement="nominal"
                )
            )
        np.percentile(draws, [2.5, 97.5])


def main() -> None:
    from mauqif.model.agreement import agreement

    schema = load_schema()
    rng = np.random.default_rng(0)
    table = synthetic_table(schema, rng)
    print(
        f"{SENTENCES:,} sentences × 3 of {ANNOTATORS} annotators = {len(table):,} annotations, "
        f"{len(question_columns(schema))} questions, {BOOT} bootstrap resamples"
    )
    start = time.perf_counter()
    result = agreement(table, schema, n_boot=BOOT)
    ours = time.perf_counter() - start
    start = time.perf_counter()
    raw_krippendorff(table, schema, np.random.default_rng(0))
    raw = time.perf_counter() - start
    sentiment = result.alpha.set_index("question").loc[SENTIMENT_TAG]
    print(
        f"sentiment alpha {sentiment.alpha:.3f} [{sentiment.ci_low:.3f}, {sentiment.ci_high:.3f}]"
    )
    print(f"mauqif agreement (all figures):          {ours:6.2f} s")
    print(f"raw krippendorff.alpha + bootstrap only: {raw:6.2f} s")
    print(f"ratio mauqif / raw: {ours / raw:.2f}")


if __name__ == "__main__":
    main()

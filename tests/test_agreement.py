"""Agreement between any number of annotators (`mauqif.model.agreement`) and `mauqif agreement`.

Figures are checked against the textbook formulas written out here (Krippendorff's nominal alpha
from the coincidence matrix, Cohen's kappa from observed and chance agreement) on small tables
made for each test, and the command against the gold set's second pass.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from mauqif.annotate.labels import aggregate, label_sources_line, labels_table, read_exports
from mauqif.annotate.schema import SENTIMENT_TAG, stance_tag
from mauqif.cli import cli
from mauqif.model.agreement import agreement

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "exports" / "gold" / "gold.json"


def annotation(aid, user, answers, *, created, cancelled=False, ground_truth=False):
    result = [
        {"from_name": q, "to_name": "text", "type": "choices", "value": {"choices": [v]}}
        for q, v in answers.items()
    ]
    return {
        "id": aid,
        "completed_by": user,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": ground_truth,
        "created_at": f"2026-01-01T00:00:{created:02d}Z",
        "updated_at": f"2026-01-01T00:00:{created:02d}Z",
    }


def table_of(schema, answers_by_sentence: list[dict[int, dict | None]], extra=None):
    """Tasks where `answers_by_sentence[i]` is {user: answers, or None for a skip}."""
    tasks = []
    aid = 0
    for i, given in enumerate(answers_by_sentence):
        annotations = []
        for second, (user, answers) in enumerate(given.items()):
            aid += 1
            if answers is None:
                annotations.append(annotation(aid, user, {}, created=second, cancelled=True))
            else:
                annotations.append(annotation(aid, user, answers, created=second))
        annotations += (extra or {}).get(i, [])
        tasks.append(
            {
                "id": i + 1,
                "data": {"text": f"جملہ {i}", "sentence_id": f"s{i}"},
                "annotations": annotations,
            }
        )
    users = {1: "ali", 2: "bano", 3: "chand", 9: "lead"}
    return labels_table(tasks, schema, users=users)


def textbook_alpha(units: list[list[str]]) -> float:
    o = Counter()
    for values in units:
        m = len(values)
        for i, c in enumerate(values):
            for j, k in enumerate(values):
                if i != j and m > 1:
                    o[c, k] += 1 / (m - 1)
    n_c = Counter()
    for (c, _), v in o.items():
        n_c[c] += v
    n = sum(n_c.values())
    disagree = sum(v for (c, k), v in o.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
    return 1 - (n - 1) * disagree / expected


def textbook_kappa(a, b) -> float:
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    expected = sum(a.count(c) * b.count(c) for c in set(a) | set(b)) / (n * n)
    return (observed - expected) / (1 - expected)


# Three annotators on eight sentences; bano skips one, chand leaves two out.
JAPAN = stance_tag("japan")
PLAN = [
    {1: "against", 2: "against", 3: "against"},
    {1: "neutral", 2: "against", 3: "neutral"},
    {1: "none", 2: "none", 3: "none"},
    {1: "favor", 2: None, 3: "favor"},
    {1: "neutral", 2: "neutral"},
    {1: "against", 2: "neutral", 3: "none"},
    {1: "none", 2: "none"},
    {1: "against", 2: "against", 3: "neutral"},
]
SENTIMENT = [
    "negative",
    "neutral",
    "neutral",
    "positive",
    "neutral",
    "negative",
    "neutral",
    "negative",
]


@pytest.fixture
def three(schema):
    rows = []
    for i, given in enumerate(PLAN):
        answers = {}
        for user, value in given.items():
            if value is None:
                answers[user] = None
                continue
            sentiment = SENTIMENT[i] if user != 3 or i % 3 else "positive"
            answers[user] = {JAPAN: value, SENTIMENT_TAG: sentiment}
        rows.append(answers)
    return table_of(schema, rows)


def given(table, question):
    live = table[~table["cancelled"]]
    return {
        (r.sentence_id, r.annotator): getattr(r, question)
        for r in live.itertuples()
        if isinstance(getattr(r, question), str)
    }


def test_alpha_per_question_is_krippendorffs_over_every_annotator(three, schema):
    result = agreement(three, schema, n_boot=0).alpha.set_index("question")
    for question in (JAPAN, SENTIMENT_TAG):
        answers = given(three, question)
        units = [[v for (s, _), v in answers.items() if s == f"s{i}"] for i in range(len(PLAN))]
        assert result.loc[question, "alpha"] == pytest.approx(textbook_alpha(units))
        assert result.loc[question, "units"] == len(PLAN)  # every sentence has two answers
        assert result.loc[question, "annotations"] == sum(map(len, units))
    assert math.isnan(result.loc[stance_tag("russia"), "alpha"])  # nobody answered it


def test_kappa_for_each_pair_is_cohens_on_the_sentences_both_answered(three, schema):
    kappa = agreement(three, schema, n_boot=0).kappa
    answers = given(three, JAPAN)
    for a, b in [("ali", "bano"), ("ali", "chand"), ("bano", "chand")]:
        shared = [
            i for i in range(len(PLAN)) if (f"s{i}", a) in answers and (f"s{i}", b) in answers
        ]
        row = kappa[(kappa.annotator_a == a) & (kappa.annotator_b == b) & (kappa.question == JAPAN)]
        assert int(row.n.iloc[0]) == len(shared)
        assert float(row.kappa.iloc[0]) == pytest.approx(
            textbook_kappa(
                [answers[f"s{i}", a] for i in shared], [answers[f"s{i}", b] for i in shared]
            )
        )


def test_each_annotator_is_compared_with_the_majority_of_the_others(three, schema):
    majority = agreement(three, schema, n_boot=0).majority.set_index(["annotator", "question"])
    # chand against ali+bano on japan: s0 against=against ✓, s1 ali/bano tie → left out, s2 ✓,
    # s3 ali alone (bano skipped) favor ✓, s5 tie → out, s7 against vs neutral ✗.
    assert majority.loc[("chand", JAPAN), "n"] == 4
    assert majority.loc[("chand", JAPAN), "agree"] == 3
    # ali: s1, s5 and s7 are ties of bano and chand; s4 and s6 have bano alone.
    assert majority.loc[("ali", JAPAN), "n"] == 5
    assert majority.loc[("ali", JAPAN), "agree"] == 5


def test_confused_pairs_count_disagreeing_answers_most_frequent_first(three, schema):
    confusions = agreement(three, schema, n_boot=0).confusions
    japan = confusions[confusions.question == JAPAN]
    top = japan.iloc[0]
    # Coincidences of against and neutral, n_a · n_n / (m − 1): s1 2·1/2, s5 1·1/2, s7 2·1/2.
    assert {top.label_a, top.label_b} == {"against", "neutral"}
    assert top["count"] == pytest.approx(2.5)
    assert japan["share"].sum() == pytest.approx(1.0)
    assert list(confusions["count"]) == sorted(confusions["count"], reverse=True)


def test_the_bootstrap_interval_holds_alpha_and_repeats_with_its_seed(three, schema):
    a = agreement(three, schema, n_boot=300, seed=7).alpha.set_index("question")
    b = agreement(three, schema, n_boot=300, seed=7).alpha.set_index("question")
    low, high, alpha = a.loc[JAPAN, ["ci_low", "ci_high", "alpha"]]
    assert low <= alpha <= high
    assert high > low
    pd.testing.assert_frame_equal(a, b)


def test_adjudications_and_skips_are_not_passes_but_a_ground_truth_first_pass_is(schema):
    lead = annotation(
        99, 9, {JAPAN: "against", SENTIMENT_TAG: "negative"}, created=30, ground_truth=True
    )
    table = table_of(
        schema,
        [
            {
                1: {JAPAN: "against", SENTIMENT_TAG: "negative"},
                2: {JAPAN: "neutral", SENTIMENT_TAG: "negative"},
            },
            {
                1: {JAPAN: "none", SENTIMENT_TAG: "neutral"},
                2: {JAPAN: "none", SENTIMENT_TAG: "neutral"},
                3: None,
            },
        ],
        extra={1 - 1: [lead]},
    )
    table.loc[table.annotation_id == 3, "ground_truth"] = True  # a first pass marked truth
    result = agreement(table, schema, n_boot=0)
    assert result.annotators == ["ali", "bano"]
    assert set(result.kappa.annotator_a) | set(result.kappa.annotator_b) == {"ali", "bano"}
    japan = result.alpha.set_index("question").loc[JAPAN]
    assert japan["annotations"] == 4
    _, report = aggregate(table, schema)
    assert report["label_sources"] == {
        "agreement": 1,
        "adjudication": 1,
        "majority": 0,
        "single annotator": 0,
    }


def test_nothing_to_compare_says_so(schema):
    table = table_of(schema, [{1: {JAPAN: "none"}}, {2: {JAPAN: "favor"}}])
    result = agreement(table, schema, n_boot=10)
    assert result.units == 0
    assert math.isnan(result.alpha.set_index("question").loc[JAPAN, "alpha"])
    assert result.notes == ["no sentence was answered by two annotators: nothing to compare"]


def test_the_gold_sets_sources_are_its_second_pass_and_adjudications(schema):
    _, report = aggregate(read_exports([GOLD], schema), schema)
    assert report["label_sources"] == {
        "agreement": 262,
        "adjudication": 13,
        "majority": 0,
        "single annotator": 1012,
    }
    assert label_sources_line(report) == (
        "sentences labelled by: 262 agreement, 13 adjudication, 0 majority, 1012 single annotator"
    )


# ---- the command -------------------------------------------------------------------------------


def test_agreement_prints_the_table_and_writes_csv_and_report(tmp_path):
    csv, report = tmp_path / "a.csv", tmp_path / "a.html"
    result = CliRunner().invoke(
        cli,
        ["agreement", str(GOLD), "--bootstrap", "200", "--csv", str(csv), "--report", str(report)],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "4 annotators; 275 sentences answered by two or more" in lines
    sentiment = next(line for line in lines if line.startswith("sentiment "))
    assert sentiment.split()[1:5] == ["275", "550", "95.3%", "0.925"]
    assert ["sentiment", "positive", "↔", "neutral", "10.0", "76.9%"] in [x.split() for x in lines]
    figures = pd.read_csv(csv)
    assert set(figures.measure) == {
        "krippendorff_alpha",
        "cohen_kappa",
        "agreement_with_majority",
        "confused_pair",
    }
    page = report.read_text("utf-8")
    assert page.count("<img") == 3
    assert "Krippendorff" in page


def test_agreement_by_passes_is_the_old_first_against_second_pass(tmp_path):
    result = CliRunner().invoke(cli, ["agreement", str(GOLD), "--by", "passes", "--bootstrap", "0"])
    assert result.exit_code == 0, result.output
    passes = [
        line for line in result.output.splitlines() if line.startswith("first pass / second pass")
    ]
    assert [line.split()[5] for line in passes] == [
        *(stance_tag(p) for p in ("russia", "north_korea", "south_korea", "japan")),
        SENTIMENT_TAG,
    ]
    assert passes[-1].split()[-1] == "0.925"


def test_a_bad_export_is_named_the_rest_is_measured_and_the_exit_code_says_so(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("[{", "utf-8")
    result = CliRunner().invoke(cli, ["agreement", str(broken), str(GOLD), "--bootstrap", "0"])
    assert result.exit_code == 1
    assert f"skipped: {broken}: is not valid JSON" in result.output
    assert "275 sentences answered by two or more" in result.output
    assert "Error: 1 export skipped (see the lines above)" in result.output

"""The export reader, the labels table, aggregation and agreement (mauqif.annotate.labels)."""

import json
import math

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from mauqif.annotate.exceptions import InputError
from mauqif.annotate.labels import (
    aggregate,
    agreement,
    cohen_kappa,
    labels_table,
    majority,
    read_export,
    read_exports,
)

PARTIES = ["russia", "north_korea", "south_korea", "japan"]


def choice(name, value):
    return {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [value]}}


def answers(stance=None, sentiment="neutral", skip=()):
    stance = stance or {}
    result = [choice(f"stance_{p}", stance.get(p, "none")) for p in PARTIES if p not in skip]
    if "sentiment" not in skip:
        result.append(choice("sentiment", sentiment))
    return result


def annotation(
    aid,
    user,
    result,
    ground_truth=False,
    cancelled=False,
    created="2025-01-01T00:00:00Z",
    updated=None,
):
    return {
        "id": aid,
        "completed_by": user,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": ground_truth,
        "created_at": created,
        "updated_at": updated or created,
        "lead_time": 3.0,
    }


def task(tid, sentence_id, annotations, article="a1", text="جاپان نے تشویش ظاہر کی۔", context=""):
    return {
        "id": tid,
        "data": {
            "text": text,
            "context": context,
            "article_id": article,
            "sentence_id": sentence_id,
        },
        "annotations": annotations,
        "predictions": [],
    }


def write(directory, name, tasks, meta=None):
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), "utf-8")
    if meta is not None:
        (directory / f"{name}.meta.json").write_text(json.dumps(meta), "utf-8")
    return path


# ---- the reader and the table ------------------------------------------------------------------


def test_reader_gives_one_row_per_task_and_annotation_with_named_annotators(tmp_path, schema):
    span = {
        "from_name": "mentions",
        "to_name": "text",
        "type": "labels",
        "value": {"start": 0, "end": 5, "text": "جاپان", "labels": ["japan"]},
    }
    tasks = [
        task(
            1,
            "s1",
            [
                annotation(
                    10, 1, answers({"japan": "against"}, "negative") + [span], ground_truth=True
                )
            ],
        ),
        task(
            2,
            "s2",
            [annotation(11, 1, answers()), annotation(12, 2, answers(sentiment="positive"))],
        ),
        task(3, "s3", []),  # not annotated yet: no row
    ]
    path = write(
        tmp_path,
        "snap",
        tasks,
        {"project_id": 7, "users": {"1": "ayesha@example.org", "2": "bilal@example.org"}},
    )

    read_tasks, meta = read_export(path)
    table = labels_table(read_tasks, schema, users=meta["users"])

    assert len(table) == 3
    first = table.iloc[0]
    assert first["sentence_id"] == "s1" and first["article_id"] == "a1"
    assert first["annotator"] == "ayesha@example.org"
    assert first["stance_japan"] == "against" and first["stance_russia"] == "none"
    assert first["sentiment"] == "negative"
    assert first["ground_truth"] and not first["cancelled"]
    assert first["mentions"] == [{"party": "japan", "start": 0, "end": 5, "alias": "جاپان"}]
    assert table.iloc[2]["annotator"] == "bilal@example.org"
    for column in [
        "text",
        "context",
        "annotation_id",
        "created_at",
        "updated_at",
        "lead_time",
        "unknown",
    ]:
        assert column in table


def test_a_missing_stance_choice_is_unlabelled_not_none(schema):
    tasks = [task(1, "s1", [annotation(1, 1, answers(skip=("japan",)))])]
    table = labels_table(tasks, schema)
    assert pd.isna(table.iloc[0]["stance_japan"])
    assert table.iloc[0]["stance_russia"] == "none"


def test_choices_the_schema_does_not_know_are_reported_not_dropped(schema):
    result = answers() + [choice("stance_china", "favor"), choice("sentiment_extra", "x")]
    result[0] = choice("stance_russia", "maybe")
    table = labels_table([task(1, "s1", [annotation(1, 1, result)])], schema)
    unknown = table.iloc[0]["unknown"]
    assert {"from_name": "stance_russia", "value": ["maybe"]} in unknown
    assert {"from_name": "stance_china", "value": ["favor"]} in unknown
    assert pd.isna(table.iloc[0]["stance_russia"])


def test_read_exports_keeps_the_latest_version_of_an_annotation_seen_in_two_snapshots(
    tmp_path, schema
):
    meta = {"project_id": 3, "users": {"1": "ayesha"}}
    old = [
        task(
            1,
            "s1",
            [annotation(5, 1, answers(sentiment="neutral"), updated="2025-01-01T00:00:00Z")],
        )
    ]
    new = [
        task(
            1,
            "s1",
            [annotation(5, 1, answers(sentiment="negative"), updated="2025-02-01T00:00:00Z")],
        )
    ]
    write(tmp_path, "p-20250101T000000Z", old, meta)
    write(tmp_path, "p-20250201T000000Z", new, meta)

    table = read_exports([tmp_path], schema)

    assert len(table) == 1
    assert table.iloc[0]["sentiment"] == "negative"
    assert [s["tasks"] for s in table.attrs["exports"]] == [1, 1]


def test_a_bad_export_file_is_reported_and_the_others_are_read(tmp_path, schema):
    write(tmp_path, "good", [task(1, "s1", [annotation(1, 1, answers())])], {"project_id": 1})
    (tmp_path / "broken.json").write_text("[{not json", "utf-8")
    (tmp_path / "object.json").write_text('{"tasks": []}', "utf-8")
    skipped = []

    table = read_exports([tmp_path], schema, on_skip=skipped.append)

    assert len(table) == 1
    reasons = sorted(str(e) for e in skipped)
    assert len(reasons) == 2
    assert "broken.json: is not valid JSON" in reasons[0]
    assert "object.json: is not a Label Studio JSON export" in reasons[1]


def test_read_export_names_the_file_when_it_is_missing(tmp_path):
    with pytest.raises(InputError, match="nothing.json: no such file"):
        read_export(tmp_path / "nothing.json")


# ---- aggregation -------------------------------------------------------------------------------


def test_the_ground_truth_annotation_wins_over_the_majority(schema):
    tasks = [
        task(
            1,
            "s1",
            [
                annotation(1, 1, answers({"japan": "neutral"}, "neutral")),
                annotation(2, 2, answers({"japan": "neutral"}, "neutral")),
                annotation(3, 3, answers({"japan": "against"}, "negative"), ground_truth=True),
            ],
        )
    ]
    sentences, report = aggregate(labels_table(tasks, schema), schema)
    row = sentences.iloc[0]
    assert row["stance_japan"] == "against" and row["sentiment"] == "negative"
    assert row["source"] == "ground_truth" and row["n_annotations"] == 3
    assert report["ground_truth"] == 1 and report["majority"] == 0


def test_majority_per_question_and_ties_left_out_and_counted(schema):
    tasks = [
        task(
            1,
            "s1",
            [
                annotation(1, 1, answers({"japan": "against"}, "negative")),
                annotation(2, 2, answers({"japan": "against"}, "neutral")),
                annotation(3, 3, answers({"japan": "neutral"}, "positive")),
            ],
        ),
        task(
            2,
            "s2",
            [
                annotation(4, 1, answers({"russia": "favor"}, "positive")),
                annotation(5, 2, answers({"russia": "neutral"}, "positive")),
            ],
        ),
    ]
    sentences, report = aggregate(labels_table(tasks, schema), schema)
    s1 = sentences.set_index("sentence_id").loc["s1"]
    s2 = sentences.set_index("sentence_id").loc["s2"]
    assert s1["stance_japan"] == "against"  # 2 of 3
    assert pd.isna(s1["sentiment"])  # negative / neutral / positive: a three-way tie
    assert pd.isna(s2["stance_russia"])  # favor / neutral
    assert s2["sentiment"] == "positive"
    assert report["ties"]["sentiment"] == 1 and report["ties"]["stance_russia"] == 1
    assert report["tied_sentences"]["stance_russia"] == ["s2"]
    assert report["majority"] == 2


def test_cancelled_annotations_do_not_vote(schema):
    tasks = [
        task(
            1,
            "s1",
            [
                annotation(1, 1, answers(sentiment="negative")),
                annotation(2, 2, answers(sentiment="positive"), cancelled=True),
            ],
        )
    ]
    sentences, report = aggregate(labels_table(tasks, schema), schema)
    assert sentences.iloc[0]["sentiment"] == "negative"
    assert report["cancelled"] == 1 and report["ties"]["sentiment"] == 0


def test_majority_ignores_unanswered_values():
    assert majority(["a", None, float("nan"), "a", "b"]) == ("a", False)
    assert majority(["a", "b"]) == (None, True)
    assert majority([None]) == (None, False)


# ---- agreement ---------------------------------------------------------------------------------


def test_cohen_kappa_is_undefined_when_both_give_one_label_to_everything():
    assert math.isnan(cohen_kappa(["none"] * 4, ["none"] * 4))


def test_agreement_compares_first_and_second_pass_not_the_adjudicator(schema):
    tasks = []
    pairs = [
        ("against", "against"),
        ("none", "none"),
        ("against", "neutral"),
        ("neutral", "neutral"),
    ]
    for i, (first, second) in enumerate(pairs):
        anns = [
            annotation(10 * i + 1, 1, answers({"japan": first}), created="2025-01-01T00:00:01Z"),
            annotation(10 * i + 2, 2, answers({"japan": second}), created="2025-01-01T00:00:02Z"),
        ]
        if first != second:
            anns.append(
                annotation(
                    10 * i + 3,
                    9,
                    answers({"japan": first}),
                    ground_truth=True,
                    created="2025-01-02T00:00:00Z",
                )
            )
        tasks.append(task(i, f"s{i}", anns))
    tasks.append(task(99, "single", [annotation(999, 1, answers(), ground_truth=True)]))

    result = agreement(labels_table(tasks, schema), schema).set_index("question")

    japan = result.loc["stance_japan"]
    assert japan["n"] == 4
    assert japan["observed"] == pytest.approx(0.75)
    assert japan["kappa"] == pytest.approx(
        cohen_kappa_score([p[0] for p in pairs], [p[1] for p in pairs])
    )

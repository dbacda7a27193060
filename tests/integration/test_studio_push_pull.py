"""Push with pre-annotations, annotations by a second user, and pull, against the real server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from label_studio_sdk.label_interface import LabelInterface

from mauqif.annotate.labels import read_export
from mauqif.annotate.schema import MENTIONS_TAG, SENTIMENT_TAG, stance_tag
from mauqif.annotate.studio import connect, mentions_version, pull, push
from mauqif.cli import cli

from .helpers import all_tasks, choices, sentence_counts, spans


def next_task(studio, project_id):
    """The task the labelling page would open next for this user, as Label Studio serves it."""
    return studio.request("GET", f"/api/projects/{project_id}/next").json()


def test_push_without_a_model_sends_every_sentence_once_with_its_mentions(
    admin, annotator, new_project, schema, units
):
    setup = new_project()
    summary = push(admin, setup.project_id, units, schema, batch=7)
    assert (summary.added, summary.skipped, summary.failed) == (len(units), 0, 0)

    tasks = all_tasks(admin, setup.project_id)
    assert Counter(t["data"]["sentence_id"] for t in tasks) == Counter(
        u["sentence_id"] for u in units
    )
    by_id = {u["sentence_id"]: u for u in units}
    interface = LabelInterface(admin.project(project_id=setup.project_id).label_config)
    for t in tasks:
        unit = by_id[t["data"]["sentence_id"]]
        assert {k: t["data"][k] for k in ("text", "context", "article_id", "index", "kind")} == {
            k: unit[k] for k in ("text", "context", "article_id", "index", "kind")
        }
        [prediction] = t["predictions"]
        assert prediction["model_version"] == mentions_version(schema)
        assert spans(prediction["result"]) == sorted(
            (m["start"], m["end"], m["party"]) for m in unit["mentions"]
        )
        for region in prediction["result"]:
            assert (
                region["value"]["text"]
                == unit["text"][region["value"]["start"] : region["value"]["end"]]
            )
        assert interface.validate_prediction(prediction), prediction

    # Visible: the project's model version is this push's, and the next task carries the spans.
    assert admin.project(project_id=setup.project_id).model_version == mentions_version(schema)
    served = next_task(connect(admin.url, annotator.api_key), setup.project_id)
    assert served["predictions"] and served["predictions"][0]["model_version"] == mentions_version(
        schema
    )


def test_pushing_the_same_articles_twice_adds_nothing(
    local_server, admin, new_project, sample_dir, schema
):
    setup = new_project()
    articles = sorted(sample_dir.glob("*.txt"))[3:5]
    args = [
        "push",
        *map(str, articles),
        "--home",
        str(local_server.local.home),
        "--title",
        setup.title,
        "--no-model",
    ]
    first = CliRunner().invoke(cli, args, env={})
    second = CliRunner().invoke(cli, args, env={})
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    counts = sentence_counts(admin, setup.project_id)
    n = sum(counts.values())
    assert n > 0 and set(counts.values()) == {1}
    assert f"{n} added, 0 skipped" in first.output
    assert f"0 added, {n} skipped" in second.output
    assert local_server.api_key not in first.output + second.output


def test_model_predictions_are_what_annotators_are_served(
    admin, annotator, new_project, schema, units, model
):
    setup = new_project()
    labelled, rest = units[:3], units[3:]
    push(admin, setup.project_id, units, schema)  # first without a model: mentions only
    # An annotator labels one task; it must not be touched when predictions are refreshed.
    tasks = {t["data"]["sentence_id"]: t for t in all_tasks(admin, setup.project_id)}
    annotator_studio = connect(admin.url, annotator.api_key)
    done = tasks[labelled[0]["sentence_id"]]
    annotator_studio.sdk.annotations.create(
        id=done["id"],
        result=[
            {
                "from_name": SENTIMENT_TAG,
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["neutral"]},
            }
        ],
    )

    summary = push(admin, setup.project_id, units, schema, model=model)
    assert (summary.added, summary.refreshed, summary.skipped) == (0, len(units) - 1, len(units))
    assert admin.project(project_id=setup.project_id).model_version == model.version

    after = {t["data"]["sentence_id"]: t for t in all_tasks(admin, setup.project_id)}
    assert [p["model_version"] for p in after[done["data"]["sentence_id"]]["predictions"]] == [
        mentions_version(schema)
    ]
    # The whole article is predicted, in order: a pronoun speaker is resolved across it.
    expected = model.predict_frame(
        pd.DataFrame(
            {
                "text": [u["text"] for u in units],
                "context": [u["context"] for u in units],
                "mentions": [u["mentions"] for u in units],
                "article_id": [u.get("article_id") for u in units],
                "index": [u.get("index") for u in units],
            }
        )
    )
    open_choices = 0
    for unit, want in zip(rest, expected.to_dict("records")[len(labelled) :], strict=True):
        [newest] = [
            p
            for p in after[unit["sentence_id"]]["predictions"]
            if p["model_version"] == model.version
        ]
        got = choices(newest["result"])
        # A party's answer is pre-selected only when the model is sure enough; else left open.
        sure = {
            p
            for p in schema.party_ids
            if want["stance_proba"][p][want["stance"][p]]
            >= model.stance_thresholds[want["stance"][p]]
        }
        assert got == {
            **{stance_tag(p): want["stance"][p] for p in sure},
            SENTIMENT_TAG: want["sentiment"],
        }
        open_choices += len(schema.party_ids) - len(sure)
        assert spans(newest["result"]) == sorted(
            (m["start"], m["end"], m["party"]) for m in unit["mentions"]
        )
        closest = min(
            sorted(d.values())[-1] - sorted(d.values())[-2] for d in want["stance_proba"].values()
        )
        assert newest["score"] == pytest.approx(closest)
    # The summary counts the choices of every refreshed task (`rest` is a part of them).
    assert summary.suggested + summary.left_open == summary.refreshed * len(schema.party_ids)
    assert summary.left_open >= open_choices

    # What the labelling page gets. Opened from the data manager, a task comes with all its
    # predictions and the page pre-labels from the one of the project's model version; in the
    # labelling stream (`next`) Label Studio sends only that version's.
    some = after[rest[0]["sentence_id"]]["id"]
    detail = annotator_studio.request("GET", f"/api/tasks/{some}").json()
    assert model.version in [p["model_version"] for p in detail["predictions"]]
    served = next_task(annotator_studio, setup.project_id)
    assert served["id"] != done["id"]
    assert [p["model_version"] for p in served["predictions"]] == [model.version]
    assert set(choices(served["predictions"][0]["result"])) == {
        *(stance_tag(p) for p in schema.party_ids),
        SENTIMENT_TAG,
    }

    again = push(admin, setup.project_id, units, schema, model=model)
    assert (again.added, again.refreshed) == (0, 0)


def test_push_leaves_favor_and_against_open_below_the_models_thresholds(
    admin, new_project, schema, units, model
):
    # A model whose manifest says a pre-selected favor or against is never right often enough
    # (no threshold reached the target): push leaves every such choice to the annotator and
    # still pre-selects the sure `none` and `neutral` answers.
    from dataclasses import replace

    never = {v: (1.01 if v in schema.polar else 0.6) for v in schema.stance_values}
    strict = replace(model, manifest={**model.manifest, "stance_thresholds": never})
    answers = strict.predict_frame(
        pd.DataFrame(
            {
                "text": [u["text"] for u in units],
                "context": [u["context"] for u in units],
                "mentions": [u["mentions"] for u in units],
            }
        )
    )
    polar = sum(a[p] in schema.polar for a in answers["stance"] for p in schema.party_ids)
    assert polar, "the sample articles should give some favor or against answers"
    setup = new_project()
    summary = push(admin, setup.project_id, units, schema, model=strict)
    assert summary.added == len(units) and summary.left_open >= polar
    assert "favor never pre-selected" in summary.line()
    stance_choices = [
        value
        for t in all_tasks(admin, setup.project_id)
        for key, value in choices(t["predictions"][0]["result"]).items()
        if key != SENTIMENT_TAG
    ]
    assert stance_choices and not set(stance_choices) & set(schema.polar)


def test_an_interrupted_push_run_again_ends_with_every_sentence_once(
    admin, new_project, schema, units
):
    setup = new_project()

    def dies_midway():
        for i, unit in enumerate(units):
            if i == 25:
                raise KeyboardInterrupt  # the user pressed ctrl-c, or the machine went down
            yield unit

    with pytest.raises(KeyboardInterrupt):
        push(admin, setup.project_id, dies_midway(), schema, batch=10)
    # Whole batches arrived, none beyond the interruption (push predicts one batch ahead, so
    # the last whole batch read may not have been sent).
    arrived = sum(sentence_counts(admin, setup.project_id).values())
    assert arrived in (10, 20)

    summary = push(admin, setup.project_id, units, schema, batch=10)
    assert (summary.added, summary.skipped) == (len(units) - arrived, arrived)
    counts = sentence_counts(admin, setup.project_id)
    assert set(counts) == {u["sentence_id"] for u in units} and set(counts.values()) == {1}


def test_pull_writes_a_snapshot_and_a_labels_table_matching_the_annotations(
    local_server, admin, annotator, new_project, schema, units, tmp_path
):
    setup = new_project()
    push(admin, setup.project_id, units[:6], schema)
    tasks = sorted(all_tasks(admin, setup.project_id), key=lambda t: t["id"])
    by_sid = {u["sentence_id"]: u for u in units}
    annotator_studio = connect(admin.url, annotator.api_key)
    stances = ["favor", "against", "neutral", "none"]
    made = {}
    for i, t in enumerate(tasks[:4]):
        unit = by_sid[t["data"]["sentence_id"]]
        answer = {stance_tag(p): stances[(i + j) % 4] for j, p in enumerate(schema.party_ids)}
        answer[SENTIMENT_TAG] = schema.sentiment_values[i % 3]
        result = [
            {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [value]}}
            for name, value in answer.items()
        ] + [
            {
                "from_name": MENTIONS_TAG,
                "to_name": "text",
                "type": "labels",
                "value": {
                    "start": m["start"],
                    "end": m["end"],
                    "text": unit["text"][m["start"] : m["end"]],
                    "labels": [m["party"]],
                },
            }
            for m in unit["mentions"]
        ]
        created = annotator_studio.sdk.annotations.create(
            id=t["id"], result=result, lead_time=2.0 + i
        )
        made[created.id] = (t, unit, answer)
    # One cancelled (skipped) annotation, reported as such.
    skipped = annotator_studio.sdk.annotations.create(
        id=tasks[4]["id"], result=[], was_cancelled=True
    )
    # One answer the schema does not know (a label config edited by hand in Label Studio, say).
    odd = annotator_studio.sdk.annotations.create(
        id=tasks[5]["id"],
        result=[
            {
                "from_name": SENTIMENT_TAG,
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["mixed"]},
            }
        ],
    )

    result = pull(admin, admin.project(project_id=setup.project_id), schema, tmp_path)
    exported, meta = read_export(result.snapshot)
    assert result.tasks == len(exported) == 6
    assert meta["project_id"] == setup.project_id and meta["project_title"] == setup.title
    assert meta["schema_hash"] == schema.digest() and meta["label_studio_version"] == "1.23.2"
    assert meta["users"][str(annotator.id)] == annotator.email

    table = pd.read_parquet(result.parquet)
    assert len(table) == result.rows == 6
    assert result.unknown == 1
    [unknown] = table[table["annotation_id"] == odd.id].to_dict("records")
    assert json.loads(unknown["unknown"]) == [{"from_name": SENTIMENT_TAG, "value": ["mixed"]}]
    assert pd.isna(unknown[SENTIMENT_TAG])
    for annotation_id, (_task, unit, answer) in made.items():
        [row] = table[table["annotation_id"] == annotation_id].to_dict("records")
        assert row["sentence_id"] == unit["sentence_id"] and row["article_id"] == unit["article_id"]
        assert row["text"] == unit["text"] and row["annotator"] == annotator.email
        assert {name: row[name] for name in answer} == answer
        assert row["cancelled"] is False or row["cancelled"] == 0
        assert row["lead_time"] == pytest.approx(2.0 + list(made).index(annotation_id))
        got_mentions = json.loads(row["mentions"])
        assert [(m["party"], m["start"], m["end"]) for m in got_mentions] == [
            (m["party"], m["start"], m["end"])
            for m in sorted(unit["mentions"], key=lambda m: (m["start"], m["party"]))
        ]
        assert json.loads(row["unknown"]) == []
    [cancelled] = table[table["annotation_id"] == skipped.id].to_dict("records")
    assert bool(cancelled["cancelled"]) and all(
        pd.isna(cancelled[stance_tag(p)]) for p in schema.party_ids
    )

    csv = pd.read_csv(result.csv)
    assert sorted(csv["annotation_id"]) == sorted(table["annotation_id"])

    # A second pull is a new snapshot; the first is left as it was.
    before = result.snapshot.read_bytes()
    second = pull(admin, admin.project(project_id=setup.project_id), schema, tmp_path)
    assert second.snapshot != result.snapshot and result.snapshot.read_bytes() == before
    assert len(list((tmp_path / "snapshots").glob("*.meta.json"))) == 2


def test_two_pushes_at_once_into_one_project_add_each_sentence_once(
    local_server, admin, new_project, sample_dir
):
    """The second push waits for the first (the project's lock), then finds everything there."""
    setup = new_project()
    articles = sorted(sample_dir.glob("*.txt"))[5:9]
    command = [
        str(Path(sys.executable).parent / "mauqif"),
        "push",
        *map(str, articles),
        "--home",
        str(local_server.local.home),
        "--project",
        str(setup.project_id),
        "--no-model",
        "--batch",
        "5",
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("LABEL_STUDIO_")}
    runs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    outputs = [r.communicate(timeout=300)[0] for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outputs
    counts = sentence_counts(admin, setup.project_id)
    n = sum(counts.values())
    assert n > 0 and set(counts.values()) == {1}
    added = sorted(int(re.search(r"(\d+) added", o).group(1)) for o in outputs)
    assert added == [0, n], outputs
    assert local_server.api_key not in "".join(outputs)

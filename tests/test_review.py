"""The pure parts of the team and the review queue: counts, disagreements, the reviewer's task.

The real server is exercised in tests/integration/test_team.py; these pin the rules on tasks
written by hand, in the shape Label Studio's task list gives them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from mauqif.annotate.schema import MENTIONS_TAG, SENTIMENT_TAG, stance_tag
from mauqif.annotate.studio.review import (
    COMPETING_TAG,
    REVIEW_VERSION,
    competing_html,
    disagreements,
    passes_of,
    review_config,
    review_task,
    settled,
)
from mauqif.annotate.studio.team import NewAccount, count_work

JAPAN, RUSSIA = stance_tag("japan"), stance_tag("russia")
TEXT = "ٹوکیو نے ماسکو کے بیان پر تشویش ظاہر کی۔"


def annotation(aid, user, answers, second, *, cancelled=False, ground_truth=False, spans=()):
    result = [
        {
            "from_name": MENTIONS_TAG,
            "to_name": "text",
            "type": "labels",
            "value": {"start": s, "end": e, "text": TEXT[s:e], "labels": [party]},
        }
        for s, e, party in spans
    ]
    result += [
        {"from_name": q, "to_name": "text", "type": "choices", "value": {"choices": [v]}}
        for q, v in answers.items()
    ]
    return {
        "id": aid,
        "completed_by": user,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": ground_truth,
        "created_at": f"2026-02-01T10:00:{second:02d}Z",
        "updated_at": f"2026-02-01T10:00:{second:02d}Z",
    }


def task(annotations, tid=7):
    return {
        "id": tid,
        "data": {"text": TEXT, "context": "", "sentence_id": f"s{tid}", "article_id": "a1"},
        "annotations": annotations,
        "is_labeled": False,
    }


def test_disagreement_is_any_question_two_answers_differ_on(schema):
    t = task(
        [
            annotation(
                1, 1, {JAPAN: "against", SENTIMENT_TAG: "negative"}, 1, spans=[(0, 5, "japan")]
            ),
            annotation(2, 2, {JAPAN: "against", SENTIMENT_TAG: "neutral"}, 2),
            annotation(3, 3, {}, 3, cancelled=True),
        ]
    )
    passes = passes_of(t, schema)
    assert [p["annotator"] for p in passes] == ["1", "2"]  # the skip is no pass
    assert disagreements(passes, schema) == [SENTIMENT_TAG]
    assert not settled(t, schema)

    verdict = annotation(9, 5, {JAPAN: "against", SENTIMENT_TAG: "negative"}, 30, ground_truth=True)
    assert settled(task([*t["annotations"], verdict]), schema)
    # A ground-truth first pass is not a verdict: nothing is settled by it.
    first_is_truth = task(
        [
            annotation(1, 1, {JAPAN: "none"}, 1, ground_truth=True),
            annotation(2, 2, {JAPAN: "favor"}, 2),
        ]
    )
    assert not settled(first_is_truth, schema)
    assert disagreements(passes_of(first_is_truth, schema), schema) == [JAPAN]


def test_the_reviewer_sees_the_answers_without_names_and_the_agreed_ones_chosen(schema):
    t = task(
        [
            annotation(
                1,
                11,
                {JAPAN: "against", RUSSIA: "none", SENTIMENT_TAG: "negative"},
                1,
                spans=[(0, 5, "japan")],
            ),
            annotation(2, 4712, {JAPAN: "neutral", RUSSIA: "none", SENTIMENT_TAG: "negative"}, 2),
        ]
    )
    passes = passes_of(t, schema)
    made = review_task(t, passes, schema, project_id=3)
    data = made["data"]
    assert data["main_task_id"] == 7 and data["main_project_id"] == 3
    assert data["text"] == TEXT and data["disagreements"] == JAPAN
    table = data[COMPETING_TAG]
    assert "4711" not in table and "4712" not in table  # annotators are A and B, not their ids
    assert "<th" in table and "Against" in table and "Neutral" in table
    row = next(r for r in table.split("<tr") if "Japan" in r)
    assert "≠" in row
    [prediction] = made["predictions"]
    assert prediction["model_version"] == REVIEW_VERSION
    chosen = {r["from_name"]: r["value"].get("choices") for r in prediction["result"]}
    assert chosen[RUSSIA] == ["none"] and chosen[SENTIMENT_TAG] == ["negative"]
    assert JAPAN not in chosen  # the disputed question is left to the reviewer
    [span] = [r for r in prediction["result"] if r["from_name"] == MENTIONS_TAG]
    assert span["value"]["labels"] == ["japan"] and span["value"]["text"] == TEXT[0:5]


def test_the_competing_answers_are_escaped_html():
    from mauqif.annotate.schema import load_schema

    schema = load_schema()
    passes = [{q: None for q in [stance_tag(p) for p in schema.party_ids] + [SENTIMENT_TAG]}] * 2
    html = competing_html(passes, schema)
    ET.fromstring(html)  # well-formed: nothing unescaped got in


def test_the_review_config_is_the_label_config_with_the_answers_under_the_sentence(schema):
    root = ET.fromstring(review_config(schema))
    classes = [child.get("className") for child in root]
    assert classes.index("mauqif-review") == classes.index("mauqif-sentence") + 1
    [hyper] = root.iter("HyperText")
    assert hyper.get("value") == f"${COMPETING_TAG}"
    assert {c.get("name") for c in root.iter("Choices")} == {
        *(stance_tag(p) for p in schema.party_ids),
        SENTIMENT_TAG,
    }


def test_team_counts_submitted_skipped_and_what_is_still_open_for_each():
    tasks = [
        {"id": 1, "is_labeled": True, "annotations": [{"completed_by": 1}, {"completed_by": 2}]},
        {"id": 2, "is_labeled": False, "annotations": [{"completed_by": 1, "was_cancelled": True}]},
        {"id": 3, "is_labeled": False, "annotations": [{"completed_by": {"id": 2}}]},
        {"id": 4, "is_labeled": False, "annotations": []},
    ]
    rows = count_work(tasks, {1: "bano@example.org", 2: "ali@example.org", 3: "chand@example.org"})
    got = {r.email: (r.submitted, r.skipped, r.pending) for r in rows}
    assert got == {
        "ali@example.org": (2, 0, 2),  # tasks 2 and 4 are open and untouched by ali
        "bano@example.org": (1, 1, 2),  # 3 and 4
        "chand@example.org": (0, 0, 3),
    }
    assert [r.email for r in rows] == sorted(got)


def test_a_new_accounts_password_stays_out_of_its_repr():
    account = NewAccount("ali@example.org", "created", user_id=4, password="s3cret-Value")
    assert "s3cret-Value" not in repr(account)

"""Finding answers changed by someone other than their author (pure: tasks and record lines in).

The payloads are shaped as Label Studio 1.23.2 sends them (checked against a running server in
tests/integration/test_tampering.py): `completed_by` and `updated_by` as user ids.
"""

from __future__ import annotations

import pandas as pd

from mauqif.annotate.labels import aggregate, held_line, labels_table, trusted
from mauqif.annotate.schema import load_schema
from mauqif.annotate.studio.tampering import (
    Record,
    check,
    find_changes,
    held,
    originals,
    per_member,
    record_directory,
    versions,
)
from mauqif.model.agreement import agreement

USERS = {1: "lead@x.org", 2: "a1@x.org", 3: "a2@x.org", 4: "a3@x.org"}
T0 = "2026-12-07T10:00:00.000000Z"
T0b = "2026-12-07T10:00:00.000040Z"  # the same save
T1 = "2026-12-07T11:00:00.000000Z"


def choice(name: str, value: str) -> dict:
    return {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [value]}}


def annotation(aid, author, changer, russia, created=T0, updated=T0b, sentiment="neutral"):
    return {
        "id": aid,
        "unique_id": f"u{aid}",
        "completed_by": author,
        "updated_by": changer,
        "created_at": created,
        "updated_at": updated,
        "was_cancelled": False,
        "ground_truth": False,
        "result": [choice("stance_russia", russia), choice("sentiment", sentiment)],
    }


def task(tid, *annotations):
    return {
        "id": tid,
        "data": {"sentence_id": f"s{tid}", "text": "t"},
        "annotations": list(annotations),
    }


def test_own_answers_and_a_leads_changes_are_trusted():
    tasks = [task(1, annotation(10, 2, 2, "favor"), annotation(11, 3, 1, "against", updated=T1))]
    assert find_changes(tasks, USERS, leads=[1]) == []


def test_a_change_by_another_member_names_them_and_what_changed_from_the_record():
    before = [task(1, annotation(10, 2, 2, "favor"))]
    recorded = versions(before, seen_at=T0, source="pull")
    after = [task(1, annotation(10, 2, 3, "against", updated=T1))]
    [change] = find_changes(after, USERS, leads=[1], recorded=recorded)
    assert (change.kind, change.author, change.changed_by, change.when) == (
        "changed",
        "a1@x.org",
        "a2@x.org",
        T1,
    )
    assert change.what == "stance_russia: favor → against"
    assert change.original == before[0]["annotations"][0]["result"]
    assert "a2@x.org changed it" in change.line()
    assert per_member([change]) == {"a2@x.org": 1}


def test_an_annotation_made_in_another_members_name_is_found_without_a_record():
    [change] = find_changes([task(1, annotation(12, 2, 3, "favor"))], USERS, leads=[1])
    assert change.what == "made by a2@x.org in a1@x.org's name"
    assert change.original is None


def test_unknown_leads_trust_nobody_but_the_author():
    tasks = [task(1, annotation(11, 3, 1, "against", updated=T1))]
    assert [c.changed_by for c in find_changes(tasks, USERS, leads=None)] == ["lead@x.org"]


def test_taking_over_and_deleting_need_the_record():
    recorded = versions([task(1, annotation(10, 2, 2, "favor"), annotation(11, 4, 4, "none"))], T0)
    taken = annotation(10, 3, 3, "favor", updated=T1)  # a2 set completed_by to herself
    changes = find_changes([task(1, taken)], USERS, leads=[1], recorded=recorded)
    assert [(c.kind, c.changed_by, c.author) for c in changes] == [
        ("deleted", "unknown", "a3@x.org"),
        ("taken", "a2@x.org", "a1@x.org"),
    ]
    assert changes[1].what == "author a1@x.org → a2@x.org"
    assert "stance_russia: none" in changes[0].what


def test_a_record_of_another_server_with_the_same_ids_is_not_taken_for_this_one():
    recorded = versions([task(1, annotation(10, 4, 4, "none"))], T0)
    recorded[0]["unique_id"] = "elsewhere"
    assert find_changes([task(1, annotation(10, 2, 2, "favor"))], USERS, [1], recorded) == []


def test_the_record_is_appended_to_once_per_version(tmp_path):
    record = Record(tmp_path / "record", 7)
    tasks = [task(1, annotation(10, 2, 2, "favor"))]
    assert check(tasks, USERS, [1], record, T0, "pull") == []
    assert check(tasks, USERS, [1], record, T1, "team list") == []
    assert len(record.lines()) == 1
    changed = [task(1, annotation(10, 2, 3, "against", updated=T1))]
    assert [c.what for c in check(changed, USERS, [1], record, T1, "pull")] == [
        "stance_russia: favor → against"
    ]
    with open(record.path, "ab") as f:
        f.write(b'{"torn')  # a crash in the middle of a line
    assert len(record.lines()) == 2
    assert oct(record.path.stat().st_mode & 0o777) == "0o600"


def test_record_directory_is_per_server(tmp_path):
    assert record_directory(tmp_path, None) == tmp_path / "record" / "local"
    assert (
        record_directory(tmp_path, "http://10.0.0.5:8080/") == tmp_path / "record" / "10.0.0.5-8080"
    )


# ---- what agreement and the majority count ------------------------------------------------------


def shared_tasks():
    """Three annotators on three sentences; a2 rewrites a1's answer on the first."""
    return [
        task(
            1,
            annotation(10, 2, 2, "favor"),
            annotation(11, 3, 3, "against"),
            annotation(12, 4, 4, "favor"),
        ),
        task(
            2,
            annotation(20, 2, 2, "none"),
            annotation(21, 3, 3, "none"),
            annotation(22, 4, 4, "neutral"),
        ),
        task(
            3,
            annotation(30, 2, 2, "against"),
            annotation(31, 3, 3, "against"),
            annotation(32, 4, 4, "against"),
        ),
    ]


def tampered(tasks):
    out = [dict(t, annotations=[dict(a) for a in t["annotations"]]) for t in tasks]
    victim = out[0]["annotations"][0]
    victim.update(
        updated_by=3,
        updated_at=T1,
        result=[choice("stance_russia", "against"), choice("sentiment", "neutral")],
    )
    return out


def test_a_changed_answer_moves_no_figure_when_the_record_has_the_authors_answer():
    schema = load_schema()
    honest = labels_table(shared_tasks(), schema, users=USERS, leads=[1])
    before = agreement(honest, schema, n_boot=0)
    recorded = versions(shared_tasks(), T0)
    changes = find_changes(tampered(shared_tasks()), USERS, [1], recorded)
    table = labels_table(
        tampered(shared_tasks()),
        schema,
        USERS,
        leads=[1],
        held=held(changes),
        originals=originals(changes),
    )
    after = agreement(table, schema, n_boot=0)
    pd.testing.assert_frame_equal(before.alpha, after.alpha)
    pd.testing.assert_frame_equal(before.kappa, after.kappa)
    assert aggregate(table, schema)[0]["stance_russia"].tolist() == ["favor", "none", "against"]
    assert "a2@x.org changed 1 (10); 1 counted as their author answered them" in held_line(table)


def test_without_the_record_a_changed_answer_is_left_out_of_agreement_and_the_majority():
    schema = load_schema()
    table = labels_table(tampered(shared_tasks()), schema, USERS, leads=[1])
    assert table.set_index("annotation_id").loc[10, "changed_by"] == "a2@x.org"
    assert 10 not in trusted(table)["annotation_id"].tolist()
    result = agreement(table, schema, n_boot=0)
    assert any("a2@x.org changed 1 (10)" in n and "1 left out" in n for n in result.notes)
    sentences, report = aggregate(table, schema)
    assert report["held"] == 1
    # a2's forged "against" would have made it against by 2 to 1; left out, it is a tie
    assert pd.isna(sentences.set_index("sentence_id").loc["s1", "stance_russia"])

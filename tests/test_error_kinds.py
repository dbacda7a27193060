"""The error table of `mauqif evaluate`: each wrongly predicted (unit, party) pair sorted into
one kind of error from the gold label, the prediction and what was found in the unit.

The frames are invented and small: one unit per case, the facts spelled out, so that each test
reads as the definition it checks."""

import pandas as pd
import pytest

from mauqif.model.exceptions import ModelError
from mauqif.model.scoring import ERROR_KINDS, classify_errors, error_table

PARTIES = ["russia", "north_korea", "south_korea", "japan"]


def frames(units: list[dict]):
    """(labelled, predicted, facts) of units given as {gold: {party: v}, said: {party: v},
    facts: {party: {mentioned, resolved, doer}}, on_topic}; parties left out are `none` and
    found nowhere."""
    labelled = pd.DataFrame(
        [
            {
                "sentence_id": f"u{i}",
                **{f"stance_{p}": u["gold"].get(p, "none") for p in PARTIES},
            }
            for i, u in enumerate(units)
        ]
    )
    predicted = pd.DataFrame(
        {"stance": [{p: u["said"].get(p, "none") for p in PARTIES} for u in units]}
    )
    facts = pd.DataFrame(
        [
            {
                "position": i,
                "party": p,
                "mentioned": u.get("facts", {}).get(p, {}).get("mentioned", False),
                "resolved": u.get("facts", {}).get(p, {}).get("resolved", False),
                "doer": u.get("facts", {}).get(p, {}).get("doer", False),
                "on_topic": u.get("on_topic", True),
            }
            for i, u in enumerate(units)
            for p in PARTIES
        ]
    )
    return labelled, predicted, facts


def kinds(schema, units, furniture=None) -> list[tuple[str, str, str]]:
    out = classify_errors(*frames(units), schema, furniture)
    return list(zip(out["id"], out["party"], out["kind"], strict=True))


MENTIONED = {"mentioned": True}


def test_a_source_with_no_mention_found_is_a_speaker_not_found(schema):
    units = [
        {"gold": {"north_korea": "favor"}, "said": {}},
        {"gold": {"russia": "neutral"}, "said": {"russia": "favor"}},
    ]
    assert kinds(schema, units) == [
        ("u0", "north_korea", "speaker_not_found"),
        ("u1", "russia", "speaker_not_found"),
    ]


def test_a_source_found_but_predicted_no_source_is_missed_not_unfound(schema):
    units = [
        {"gold": {"north_korea": "favor"}, "said": {}, "facts": {"north_korea": MENTIONED}},
        {"gold": {"japan": "against"}, "said": {}, "facts": {"japan": {"resolved": True}}},
    ]
    assert kinds(schema, units) == [
        ("u0", "north_korea", "source_missed"),
        ("u1", "japan", "source_missed"),
    ]


def test_a_doer_given_a_stance_is_an_act_taken_for_a_statement(schema):
    doer = {"mentioned": True, "doer": True}
    units = [
        {"gold": {}, "said": {"russia": "favor"}, "facts": {"russia": doer}},
        # the doer of the act, while Japan speaks: the act decides
        {
            "gold": {"japan": "against"},
            "said": {"russia": "neutral", "japan": "against"},
            "facts": {"russia": doer, "japan": MENTIONED},
        },
    ]
    assert kinds(schema, units) == [
        ("u0", "russia", "act_for_statement"),
        ("u1", "russia", "act_for_statement"),
    ]


def test_a_stance_given_to_a_party_beside_the_real_source_is_a_wrong_speaker(schema):
    units = [
        {
            "gold": {"south_korea": "neutral"},
            "said": {"north_korea": "neutral", "south_korea": "neutral"},
            "facts": {"north_korea": MENTIONED, "south_korea": MENTIONED},
        }
    ]
    assert kinds(schema, units) == [("u0", "north_korea", "wrong_speaker")]


def test_a_stance_where_nobody_speaks_and_the_party_does_nothing_is_other(schema):
    units = [{"gold": {}, "said": {"japan": "against"}, "facts": {"japan": MENTIONED}}]
    assert kinds(schema, units) == [("u0", "japan", "other")]


def test_a_neutral_source_given_a_side_is_off_the_topic_only_off_the_topic(schema):
    units = [
        {
            "gold": {"south_korea": "neutral"},
            "said": {"south_korea": "against"},
            "facts": {"south_korea": MENTIONED},
            "on_topic": False,
        },
        {
            "gold": {"south_korea": "neutral"},
            "said": {"south_korea": "against"},
            "facts": {"south_korea": MENTIONED},
            "on_topic": True,
        },
    ]
    assert kinds(schema, units) == [
        ("u0", "south_korea", "off_topic"),
        ("u1", "south_korea", "wrong_polarity"),
    ]


def test_a_side_taken_for_the_other_or_for_neutral_is_wrong_polarity(schema):
    found = {"russia": MENTIONED}
    units = [
        {"gold": {"russia": "favor"}, "said": {"russia": "against"}, "facts": found},
        {"gold": {"russia": "favor"}, "said": {"russia": "neutral"}, "facts": found},
        # off the topic changes nothing when the gold takes a side
        {
            "gold": {"russia": "favor"},
            "said": {"russia": "neutral"},
            "facts": found,
            "on_topic": False,
        },
    ]
    assert [k for *_, k in kinds(schema, units)] == ["wrong_polarity"] * 3


def test_every_error_of_a_furniture_unit_is_furniture(schema):
    units = [
        {"gold": {}, "said": {"russia": "neutral", "japan": "neutral"}},
        {"gold": {}, "said": {"russia": "neutral"}},
    ]
    assert kinds(schema, units, furniture=[True, False]) == [
        ("u0", "russia", "furniture"),
        ("u0", "japan", "furniture"),
        ("u1", "russia", "other"),
    ]


def test_right_answers_and_unlabelled_parties_are_no_errors(schema):
    labelled, predicted, facts = frames(
        [{"gold": {"russia": "favor"}, "said": {"russia": "favor", "japan": "neutral"}}]
    )
    labelled["stance_japan"] = None  # not labelled: not scored
    assert classify_errors(labelled, predicted, facts, schema).empty


def test_the_table_counts_pairs_per_kind_and_party_in_a_fixed_order(schema):
    units = [
        {"gold": {"north_korea": "favor"}, "said": {}},
        {"gold": {"russia": "favor"}, "said": {}},
        {
            "gold": {"russia": "favor"},
            "said": {"russia": "against"},
            "facts": {"russia": MENTIONED},
        },
    ]
    table = error_table(classify_errors(*frames(units), schema), schema)
    assert list(table) == list(ERROR_KINDS)
    assert table["speaker_not_found"]["pairs"] == 2
    assert table["speaker_not_found"]["by_party"] == {
        "russia": 1,
        "north_korea": 1,
        "south_korea": 0,
        "japan": 0,
    }
    assert table["speaker_not_found"]["units"] == ["u0", "u1"]
    assert table["wrong_polarity"]["pairs"] == 1
    assert sum(row["pairs"] for row in table.values()) == 3


def test_flags_or_predictions_that_do_not_match_the_units_are_refused(schema):
    labelled, predicted, facts = frames([{"gold": {}, "said": {}}] * 2)
    with pytest.raises(ModelError, match="1 furniture flags for 2 labelled units"):
        classify_errors(labelled, predicted, facts, schema, furniture=[True])
    with pytest.raises(ModelError, match="1 predictions for 2 labelled units"):
        classify_errors(labelled, predicted.iloc[:1], facts, schema)

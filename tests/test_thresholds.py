"""Per-value pre-selection thresholds: chosen on out-of-fold answers, kept in the manifest,
applied by push and the ML backend (pure part; push against Label Studio is in
tests/integration/test_studio_push_pull.py)."""

from dataclasses import replace

import numpy as np
import pytest
from modeldata import small_model

from mauqif.annotate.schema import SENTIMENT_TAG, load_schema, stance_tag
from mauqif.annotate.studio.push import PushSummary, confident_stance, prediction
from mauqif.model.thresholds import (
    NEVER,
    choose_threshold,
    choose_thresholds,
    preselection_figures,
    wilson_lower,
)

SCHEMA = load_schema()


def answer(russia: tuple[str, float], japan: tuple[str, float]) -> dict:
    """Russia and Japan answered as given, the other parties `none` at 0.95."""
    stance = {p: "none" for p in SCHEMA.party_ids}
    proba = {p: {"none": 0.95, "favor": 0.05} for p in SCHEMA.party_ids}
    for party, (value, p) in (("russia", russia), ("japan", japan)):
        stance[party] = value
        other = "favor" if value == "none" else "none"
        proba[party] = {value: p, other: 1 - p}
    return {
        "stance": stance,
        "stance_proba": proba,
        "sentiment": "neutral",
        "sentiment_proba": {"neutral": 0.8, "positive": 0.1, "negative": 0.1},
    }


@pytest.fixture(scope="module")
def model():
    return small_model(SCHEMA)


THRESHOLDS = {"favor": 0.9, "against": NEVER, "neutral": 0.6, "none": 0.6}


def test_a_polar_answer_below_its_threshold_is_left_open_and_a_plain_one_is_not():
    a = answer(russia=("favor", 0.85), japan=("neutral", 0.7))
    chosen = confident_stance(a, SCHEMA.party_ids, THRESHOLDS)
    assert "russia" not in chosen  # favor at 0.85 < 0.9: the annotator decides
    assert chosen["japan"] == "neutral"  # 0.7 ≥ 0.6
    assert chosen["north_korea"] == "none"


def test_a_sure_favor_is_preselected_and_a_value_never_preselected_stays_open():
    a = answer(russia=("favor", 0.95), japan=("against", 0.999))
    chosen = confident_stance(a, SCHEMA.party_ids, THRESHOLDS)
    assert chosen["russia"] == "favor"
    assert "japan" not in chosen  # against has no threshold that reached the target


def test_the_prediction_push_imports_has_no_choice_for_an_open_party():
    unit = {"text": "روس نے کہا۔", "mentions": []}
    a = answer(russia=("favor", 0.85), japan=("none", 0.97))
    result = prediction(unit, SCHEMA, "v1", a, THRESHOLDS)["result"]
    got = {r["from_name"]: r["value"]["choices"][0] for r in result if r["type"] == "choices"}
    assert stance_tag("russia") not in got
    assert got[stance_tag("japan")] == "none"
    assert got[SENTIMENT_TAG] == "neutral"


def test_one_number_still_applies_to_every_value():
    a = answer(russia=("favor", 0.65), japan=("none", 0.55))
    assert set(confident_stance(a, SCHEMA.party_ids, 0.6)) == {
        "russia",
        "north_korea",
        "south_korea",
    }


def test_the_push_summary_names_each_values_threshold():
    summary = PushSummary(1, "v1", suggested=3, left_open=1, min_confidence=0.6)
    summary.thresholds = THRESHOLDS
    assert summary.line().endswith(
        "; 1 of 4 party choices left open (model less than favor 0.90, "
        "against never pre-selected, neutral 0.60, none 0.60 sure)"
    )


def test_wilson_lower_bound_is_below_the_share_and_tightens_with_more_answers():
    assert wilson_lower(9, 10) < 0.9
    assert wilson_lower(9, 10) < wilson_lower(90, 100) < 0.9
    assert wilson_lower(0, 0) == 0.0


def test_the_threshold_is_where_the_confident_answers_stop_being_right_often_enough():
    # 60 answers at 0.95-0.99, all right; 40 at 0.5-0.7, one in four right.
    p = np.concatenate([np.linspace(0.95, 0.99, 60), np.linspace(0.5, 0.7, 40)])
    right = np.concatenate([np.ones(60, bool), np.arange(40) % 4 == 0])
    t = choose_threshold(p, right, target=0.85, level=0.8)
    assert 0.6 < t <= 0.95
    chosen = p >= t
    assert right[chosen].mean() >= 0.85 and chosen.sum() >= 60


def test_too_few_answers_never_reach_the_target():
    # Three right answers are not evidence of 85% precision.
    assert choose_threshold(np.array([0.99, 0.98, 0.97]), np.ones(3, bool)) == NEVER
    assert choose_threshold(np.array([]), np.array([], bool)) == NEVER


def test_plain_values_keep_the_floor_and_polar_ones_are_never_below_it():
    values = ["favor", "against", "neutral", "none"]
    rng = np.random.default_rng(0)
    proba = rng.dirichlet(np.ones(4), size=300)
    labels = np.array([values[j] for j in proba.argmax(axis=1)], dtype=object)  # all right
    thresholds = choose_thresholds(proba, labels, values, ["favor", "against"], floor=0.6)
    assert thresholds["neutral"] == thresholds["none"] == 0.6
    assert 0.6 <= thresholds["favor"] < 1 and 0.6 <= thresholds["against"] < 1


def test_preselection_figures_count_the_polar_answers_preselected_and_the_gold_ones_found():
    gold = ["favor", "favor", "neutral", "against", "none", None]
    said = ["favor", "favor", "favor", "against", "none", "favor"]
    sure = [0.95, 0.7, 0.92, 0.99, 0.9, 0.99]
    fig = preselection_figures(gold, said, sure, THRESHOLDS, ["favor", "against"])
    # Pre-selected polar: #0 (right) and #2 (wrong); #1 is below 0.9, #3 `against` never, #5
    # is unlabelled.
    assert fig["polar_preselected"] == 2 and fig["polar_preselected_right"] == 1
    assert fig["precision"] == 0.5
    assert fig["gold_polar"] == 3 and fig["gold_polar_recall"] == pytest.approx(1 / 3)


def test_a_models_thresholds_come_from_its_manifest_and_fall_back_to_min_confidence(model):
    assert model.stance_thresholds == {v: model.min_confidence for v in SCHEMA.stance_values}
    chosen = replace(model, manifest={"stance_thresholds": {"favor": 0.93}, "min_confidence": 0.5})
    assert chosen.stance_thresholds == {"favor": 0.93, "against": 0.5, "neutral": 0.5, "none": 0.5}


def test_thresholds_survive_the_manifest_round_trip(model, tmp_path):
    from mauqif.model import load_model, save_model

    saved = save_model(model, tmp_path, extra={"stance_thresholds": THRESHOLDS})
    loaded = load_model(saved, SCHEMA)
    assert loaded.stance_thresholds == THRESHOLDS

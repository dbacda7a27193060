"""What push pre-selects: a party's stance only when the model is sure enough (pure part)."""

from mauqif.annotate.schema import SENTIMENT_TAG, load_schema, stance_tag
from mauqif.annotate.studio.push import confident_stance, prediction

SCHEMA = load_schema()


def answer(russia: float, japan: float) -> dict:
    stance = {p: "none" for p in SCHEMA.party_ids} | {"russia": "favor"}
    proba = {p: {"none": 0.9, "favor": 0.1} for p in SCHEMA.party_ids}
    proba["russia"] = {"favor": russia, "none": 1 - russia}
    proba["japan"] = {"none": japan, "against": 1 - japan}
    return {
        "stance": stance,
        "stance_proba": proba,
        "sentiment": "positive",
        "sentiment_proba": {"positive": 0.7, "negative": 0.2, "neutral": 0.1},
    }


def chosen(pred: dict) -> dict:
    return {
        r["from_name"]: r["value"]["choices"][0] for r in pred["result"] if r["type"] == "choices"
    }


def test_an_unsure_party_is_left_open_and_the_others_are_preselected():
    unit = {"text": "روس نے کہا۔", "mentions": []}
    got = chosen(prediction(unit, SCHEMA, "v1", answer(russia=0.55, japan=0.95), 0.6))
    assert stance_tag("russia") not in got  # 0.55 < 0.6: the annotator decides
    assert got[stance_tag("japan")] == "none"
    assert got[SENTIMENT_TAG] == "positive"  # sentiment is always pre-selected
    assert len(got) == len(SCHEMA.party_ids)  # three parties + sentiment


def test_threshold_zero_preselects_every_answer_and_the_boundary_counts_as_sure():
    a = answer(russia=0.6, japan=0.3)
    assert confident_stance(a, SCHEMA.party_ids, 0.0) == a["stance"]
    assert "russia" in confident_stance(a, SCHEMA.party_ids, 0.6)
    assert "japan" not in confident_stance(a, SCHEMA.party_ids, 0.6)

"""The pure parts of the Label Studio half: label config, instructions, tasks, snapshots, credentials.

The parts that talk to a server are tested against a real one in tests/integration/.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
import xml.etree.ElementTree as ET

import pytest
from label_studio_sdk.label_interface import LabelInterface

from conftest import SHARED
from mauqif.annotate.schema import (
    CONTEXT_TAG,
    MENTIONS_TAG,
    SENTIMENT_TAG,
    TEXT_TAG,
    Party,
    stance_tag,
)
from mauqif.annotate.studio.client import json_body
from mauqif.annotate.studio.config import (
    RESERVED_KEYS,
    default_guidelines,
    instructions,
    label_config,
)
from mauqif.annotate.studio.pull import _claim, slug
from mauqif.annotate.studio.push import lowest_confidence, mentions_version, prediction, task
from mauqif.annotate.studio.results import uncertainty_score
from mauqif.annotate.studio.server import (
    OFFLINE_ENV,
    Credentials,
    read_credentials,
    server_environment,
    write_credentials,
)

TEXT = "پوتن نے کم جونگ اُن کا شکریہ ادا کیا۔"
UNIT = {
    "article_id": "a1",
    "index": 3,
    "sentence_id": "s1",
    "kind": "sentence",
    "text": TEXT,
    "context": None,
    "start": 10,
    "end": 47,
    "mentions": [
        {"party": "russia", "start": 0, "end": 4, "alias": "پوتن"},
        {"party": "north_korea", "start": 8, "end": 19, "alias": "کم جونگ اُن"},
    ],
    "title": "t",
    "url": None,
}


def with_parties(schema, n):
    base = schema.parties[0]
    extra = [
        dataclasses.replace(base, id=f"party{i}", en=f"Party {i}", ur=f"فریق {i}")
        for i in range(n - len(schema.parties))
    ]
    return dataclasses.replace(schema, parties=schema.parties + tuple(extra))


def hotkeys(config: str) -> list[str]:
    return [el.get("hotkey") for el in ET.fromstring(config).iter() if el.get("hotkey")]


@pytest.mark.parametrize("parties", [4, 7])
def test_keyboard_shortcuts_never_clash_with_each_other_or_label_studio(schema, parties):
    keys = hotkeys(label_config(with_parties(schema, parties)))
    assert len(keys) == len(set(keys)) and not set(keys) & RESERVED_KEYS
    assert len(keys) >= 4 * 4 + 3 + 4  # every stance, sentiment and mention answer of 4 parties


def test_the_label_config_asks_every_question_of_the_schema(schema):
    config = label_config(schema)
    interface = LabelInterface(config)
    assert interface.get_control(MENTIONS_TAG).labels == schema.party_ids
    for party in schema.parties:
        control = interface.get_control(stance_tag(party.id))
        assert control.labels == schema.stance_values
        assert control.attr["required"] == "true" and control.attr["choice"] == "single-radio"
    assert interface.get_control(SENTIMENT_TAG).labels == schema.sentiment_values
    # Urdu captions are shown, the value ids are exported.
    root = ET.fromstring(config)
    favor = root.find(f".//Choices[@name='{stance_tag('russia')}']/Choice[@value='favor']")
    assert "حمایت" in favor.get("html") and "Favor" in favor.get("html")


def test_the_sentence_is_right_to_left_under_its_greyed_context(schema):
    root = ET.fromstring(label_config(schema))
    views = {v.get("className"): v for v in root.iter("View")}
    assert views["mauqif-sentence"].find("Text").get("name") == TEXT_TAG
    assert views["mauqif-context"].find("Text").get("name") == CONTEXT_TAG
    assert "direction: rtl" in views["mauqif-sentence"].get("style")
    order = [el.get("name") for el in root.iter("Text")]
    assert order == [CONTEXT_TAG, TEXT_TAG]  # context first, above the sentence
    css = root.find("Style").text
    assert "Nastaliq" in css and "direction: rtl" in css and "#8a8a8a" in css


def test_a_new_party_is_an_edit_of_the_schema_only(schema):
    china = Party("china", "China", "چین", "#aa0000", ("چین",))
    config = label_config(dataclasses.replace(schema, parties=schema.parties + (china,)))
    interface = LabelInterface(config)
    assert interface.get_control(stance_tag("china")).labels == schema.stance_values
    assert "china" in interface.get_control(MENTIONS_TAG).labels


def test_instructions_show_the_schema_and_the_guidelines_in_english_and_urdu(schema):
    html = instructions(schema)
    for party in schema.parties:
        assert party.en in html and party.ur in html and party.color in html
    assert schema.topic.ur in html and "<table>" in html
    assert 'dir="rtl"' in html and "ہدایات" in html and "Annotation guidelines" in html


def test_the_packaged_english_guidelines_are_the_shared_ones():
    shared = SHARED / "GUIDELINES.md"
    if not shared.exists():
        pytest.skip("../shared/GUIDELINES.md is not here")
    assert default_guidelines()["en"] == shared.read_text("utf-8")


# The words each hard-case rule opens with, as the annotator reads them in each language.
HARD_CASE_RULES = {
    5: ("Headings and captions follow the same", "سرخیوں اور تصویروں کی عبارتوں"),
    6: ("Off the topic", "موضوع سے ہٹ کر"),
    7: ("Acts are not statements", "عمل بیان نہیں"),
    8: ("Invitations and their acceptance", "دعوت دینا اور اسے قبول کرنا"),
    9: ("Attribution after the words", "بات کے بعد حوالہ"),
    10: ("Reporting is not condemning", "خبر دینا مذمت کرنا نہیں"),
    11: ("Accusations", "الزامات"),
    12: ("Announced and expected positions", "اعلان شدہ اور متوقع موقف"),
    13: ("only the object of another's rejection", "صرف کسی اور کے رد کرنے کا مفعول"),
    14: ("Deflecting a question", "ٹال دینا"),
}


def _hard_case_rules(html_part: str) -> list[str]:
    [rules] = re.findall(r"<ol>(.*?)</ol>", html_part, re.DOTALL)
    return re.findall(r"<li>(.*?)</li>", rules, re.DOTALL)


@pytest.mark.parametrize("rule", sorted(HARD_CASE_RULES))
def test_the_instructions_show_each_hard_case_rule_in_english_and_urdu(schema, rule):
    english, urdu = instructions(schema).split('<div lang="ur"')
    for language, part, words in zip(
        ("en", "ur"), (english, urdu), HARD_CASE_RULES[rule], strict=True
    ):
        rules = _hard_case_rules(part)
        assert len(rules) == 14, (language, len(rules))
        assert words in rules[rule - 1], (language, rule)


def test_the_instructions_show_the_sentiment_rule_for_transfers_in_english_and_urdu(schema):
    english, urdu = instructions(schema).split('<div lang="ur"')
    assert "Troops or arms sent, deployed or counted are <code>neutral</code>" in english
    assert "فوجی یا اسلحہ بھیجنا، تعینات کرنا یا ان کی گنتی <code>neutral</code>" in urdu


def test_a_task_carries_the_unit_and_its_mention_spans(schema):
    made = task(UNIT, schema, mentions_version(schema))
    assert made["data"] == {
        "text": TEXT, "context": "", "article_id": "a1", "sentence_id": "s1", "index": 3,
        "kind": "sentence", "title": "t", "url": None, "published": None, "author": None,
    }  # fmt: skip
    [pred] = made["predictions"]
    assert pred["model_version"] == mentions_version(schema) and "score" not in pred
    assert [(r["value"]["text"], r["value"]["labels"]) for r in pred["result"]] == [
        ("پوتن", ["russia"]),
        ("کم جونگ اُن", ["north_korea"]),
    ]
    assert LabelInterface(label_config(schema)).validate_prediction(pred)


def test_a_request_body_is_the_tasks_as_utf8_json_whatever_types_the_units_carry(schema):
    import datetime as dt
    import json

    import numpy as np

    unit = {**UNIT, "index": np.int64(3), "published": dt.date(2026, 11, 30)}
    body = json_body([task(unit, schema, mentions_version(schema))])
    assert TEXT.encode("utf-8") in body  # Urdu as UTF-8, not \u escapes (a third the size)
    expected = task(UNIT, schema, mentions_version(schema))
    expected["data"]["published"] = "2026-11-30"  # as the SDK's encoder writes a date
    assert json.loads(body) == [expected]
    with pytest.raises(TypeError, match="object is not JSON serialisable"):
        json_body([{"data": {"text": object()}}])


def test_a_model_prediction_scores_its_least_sure_answer(schema):
    predicted = {
        "stance": {
            "russia": "favor",
            "north_korea": "none",
            "south_korea": "none",
            "japan": "none",
        },
        "stance_proba": {
            "russia": {"favor": 0.9, "against": 0.05, "neutral": 0.03, "none": 0.02},
            "north_korea": {"favor": 0.3, "against": 0.1, "neutral": 0.2, "none": 0.4},
            "south_korea": {"none": 0.99, "favor": 0.01},
            "japan": {"none": 0.97, "favor": 0.03},
        },
        "sentiment": "positive",
        "sentiment_proba": {"positive": 0.6, "negative": 0.1, "neutral": 0.3},
    }
    pred = prediction(UNIT, schema, "v1", predicted)
    # north_korea's two best answers are closest (0.4 / 0.3): the least sure question
    assert pred["score"] == pytest.approx(0.1)
    answers = {
        r["from_name"]: r["value"]["choices"][0] for r in pred["result"] if r["type"] == "choices"
    }
    assert answers == {
        **{stance_tag(p): v for p, v in predicted["stance"].items()},
        SENTIMENT_TAG: "positive",
    }
    assert LabelInterface(label_config(schema)).validate_prediction(pred)
    assert lowest_confidence({}, {}) == 0.0
    assert uncertainty_score({}, {}) == 0.0


def test_snapshot_names_are_never_reused(tmp_path):
    first = _claim(tmp_path / "snapshots" / "mauqif-20250101T000000Z.json")
    first.write_text("[1]")
    second = _claim(tmp_path / "snapshots" / "mauqif-20250101T000000Z.json")
    assert second.name == "mauqif-20250101T000000Z-2.json" and first.read_text() == "[1]"
    assert slug("mauqif — Russia/NK 2025") == "mauqif-russia-nk-2025" and slug("موقف") == "project"


def test_credentials_are_private_and_never_in_a_repr(tmp_path):
    credentials = Credentials(
        "http://127.0.0.1:1", "admin@mauqif.local", "s3cret-pass", "k3y-token"
    )
    path = tmp_path / ".mauqif" / "credentials.json"
    write_credentials(path, credentials)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert read_credentials(path) == credentials
    assert "s3cret" not in repr(credentials) and "k3y" not in repr(credentials)


def test_the_server_environment_is_offline_and_carries_the_account(tmp_path):
    credentials = Credentials("http://127.0.0.1:1", "admin@mauqif.local", "pw", "key")
    env = server_environment(
        tmp_path, "http://127.0.0.1:1", credentials, {"PATH": "/bin", "SENTRY_DSN": "https://x"}
    )
    assert {k: env[k] for k in OFFLINE_ENV} == OFFLINE_ENV
    assert (
        env["LATEST_VERSION_CHECK"] == "false"
        and env["COLLECT_ANALYTICS"] == "false"
        and env["SENTRY_DSN"] == ""
    )
    assert env["LABEL_STUDIO_PASSWORD"] == "pw" and env["LABEL_STUDIO_USER_TOKEN"] == "key"
    assert env["LABEL_STUDIO_BASE_DATA_DIR"] == str(tmp_path.resolve()) and env["PATH"] == "/bin"

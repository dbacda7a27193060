"""The schema's roles: label values are the schema's to name, never the code's."""

from __future__ import annotations

import json
import re
import tomllib
from importlib import resources

import pytest
from click.testing import CliRunner

from conftest import ROOT
from mauqif.annotate.exceptions import SchemaError
from mauqif.annotate.schema import load_schema, parse_schema
from mauqif.cli import cli

GOLD = ROOT / "exports" / "gold" / "gold.json"

STANCE_NAMES = {"favor": "pro", "against": "contra", "neutral": "even", "none": "absent"}
SENTIMENT_NAMES = {"positive": "good", "negative": "bad", "neutral": "flat"}


def _packaged() -> str:
    return resources.files("mauqif.annotate").joinpath("schema.toml").read_text("utf-8")


def _renamed_schema_text() -> str:
    text = _packaged()
    for kind, names in (("stance", STANCE_NAMES), ("sentiment", SENTIMENT_NAMES)):
        for old, new in names.items():
            text = re.sub(rf'(\[\[{kind}\]\]\nvalue = )"{old}"', rf'\1"{new}"', text, count=1)
    return text


def test_the_packaged_schema_declares_every_role():
    schema = load_schema()
    assert schema.polar == ["favor", "against"]
    assert schema.not_source == "none"
    assert [v.role for v in schema.sentiment] == ["positive", "negative", "neutral"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda r: r["stance"][0].update(role="sideways"),
            r"key `stance\[0\]\.role` is 'sideways'",
        ),
        (
            lambda r: r["stance"][3].update(role="polar"),
            r"exactly one value with role `not_source`",
        ),
        (
            lambda r: r["sentiment"][1].update(role="positive"),
            r"exactly one value with role `positive`",
        ),
        (lambda r: r["party"][1].pop("aliases"), r"key `party\[1\]\.aliases`: missing"),
        (
            lambda r: r["party"][0].update(colour="#fff"),
            r"key `party\[0\]\.colour`: not a schema key",
        ),
        (lambda r: r["stance"][2].update(value=" "), r"key `stance\[2\]\.value`"),
        (lambda r: r["topic"].update(parties=["mars"]), r"`topic\.parties` names unknown parties"),
    ],
)
def test_a_bad_schema_is_refused_naming_the_key(change, message):
    raw = tomllib.loads(_packaged())
    change(raw)
    with pytest.raises(SchemaError, match=message):
        parse_schema(raw, "my.toml")


def test_a_renamed_value_without_a_role_must_say_what_it_means():
    raw = tomllib.loads(_packaged())
    raw["stance"][0] = {"value": "pro", "en": "Pro", "ur": "حق میں"}
    with pytest.raises(SchemaError, match=r"key `stance\[0\]\.role` is missing"):
        parse_schema(raw, "my.toml")


@pytest.mark.slow
def test_every_value_renamed_trains_evaluates_and_predicts_end_to_end(tmp_path):
    schema_path = tmp_path / "schema.toml"
    schema_path.write_text(_renamed_schema_text(), "utf-8")
    schema = load_schema(schema_path)
    assert set(schema.stance_values) == set(STANCE_NAMES.values())
    assert set(schema.sentiment_values) == set(SENTIMENT_NAMES.values())

    # The gold set's first 30 articles, their choices renamed as the schema renames them.
    tasks = json.loads(GOLD.read_text("utf-8"))
    articles = sorted({t["data"]["article_id"] for t in tasks})[:30]
    kept = [t for t in tasks if t["data"]["article_id"] in articles]
    for task in kept:
        for annotation in task["annotations"]:
            for result in annotation["result"]:
                if result["type"] == "choices":
                    names = SENTIMENT_NAMES if result["from_name"] == "sentiment" else STANCE_NAMES
                    result["value"]["choices"] = [names[c] for c in result["value"]["choices"]]
    export = tmp_path / "exports" / "renamed.json"
    export.parent.mkdir()
    export.write_text(json.dumps(kept, ensure_ascii=False), "utf-8")

    runner = CliRunner()
    models = tmp_path / "models"
    common = ["--schema", str(schema_path)]
    trained = runner.invoke(
        cli,
        [
            "train",
            "--data",
            str(export),
            "--models",
            str(models),
            "--folds",
            "3",
            "--no-learning-curve",
            *common,
        ],
    )
    assert trained.exit_code == 0, trained.output
    assert "promoted" in trained.output.lower()

    scored = runner.invoke(
        cli, ["evaluate", str(export), "--model", str(models), "--json", "-", *common]
    )
    assert scored.exit_code == 0, scored.output
    figures = json.loads(scored.stdout)["figures"]
    # F_avg is the mean F1 over the values the schema calls polar: a number, not NaN.
    assert 0 < figures["stance"]["all"]["f_avg"] <= 1
    assert figures["sentiment"]["macro_f1"] > 0

    articles_dir = resources.files("mauqif.annotate").joinpath("samples", "articles")
    predicted = runner.invoke(
        cli, ["predict", str(articles_dir), "--model", str(models), "--no-progress", *common]
    )
    assert predicted.exit_code == 0, predicted.output
    rows = [json.loads(line) for line in predicted.stdout.splitlines() if line.startswith("{")]
    assert rows
    stance_seen = {v for row in rows for v in row["stance"].values()}
    assert stance_seen <= set(STANCE_NAMES.values()) and "absent" in stance_seen
    assert {row["sentiment"] for row in rows} <= set(SENTIMENT_NAMES.values())

"""Aliases learned from annotators' spans: a minister an annotator marked once is found by
`train`'s model in `predict` and the ML backend (push: tests/integration/test_learned_push.py)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from learneddata import NAME, NEW_SENTENCE, train_with_a_new_minister

from mauqif.annotate.studio.backend import Backend
from mauqif.cli import cli
from mauqif.model import current_model_dir, load_model

pytestmark = pytest.mark.slow  # one training (about 20 s of CPU)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    return train_with_a_new_minister(tmp_path_factory.mktemp("learned"))


def test_train_lists_the_aliases_it_learned_and_keeps_them_in_the_model(trained, schema):
    models, output = trained
    assert f"learned aliases: russia: {NAME}" in output
    directory = current_model_dir(models)
    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    assert manifest["learned_aliases"] == {"russia": [NAME]}
    assert load_model(directory, schema).learned_aliases == {"russia": (NAME,)}


def test_predict_finds_the_learned_name(trained, tmp_path):
    models, _ = trained
    sentences = tmp_path / "new.jsonl"
    sentences.write_text(json.dumps({"id": "s1", "text": NEW_SENTENCE}) + "\n", "utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(
        cli,
        ["predict", "--sentences", str(sentences), "--model", str(models), "-o", str(out)]
        + ["--no-progress"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    [row] = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    assert [(m["party"], m["alias"]) for m in row["mentions"]] == [("russia", NAME)]


def test_the_ml_backend_marks_the_learned_name(trained, schema):
    models, _ = trained
    backend = Backend(load_model(current_model_dir(models), schema), schema)
    [prediction] = backend.predict([{"id": 7, "data": {"text": NEW_SENTENCE}}])
    spans = [r["value"] for r in prediction["result"] if r["type"] == "labels"]
    assert [(s["text"], s["labels"]) for s in spans] == [(NAME, ["russia"])]


def test_a_model_without_learned_aliases_does_not_find_the_name(schema):
    from mauqif.annotate.mentions import MentionFinder

    assert MentionFinder(schema).find(NEW_SENTENCE) == []

"""A lab's own labels count: they outweigh our sample gold where the two disagree, `mauqif train`
weighs them by `--lab-weight` and records it, and push's `score` puts the sentences the model is
torn on first (the order Label Studio's uncertainty sampling serves)."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from modeldata import labelled_tasks, write_export

from mauqif.annotate.labels import aggregate, labels_table
from mauqif.annotate.studio.results import prediction, uncertainty_score
from mauqif.cli import cli
from mauqif.model import current_model_dir, train_model
from mauqif.model.exceptions import ModelError
from mauqif.model.model import fit_pipelines, make_dataset
from mauqif.model.pipeline import ModelConfig, make_pipelines
from mauqif.model.train import DEFAULT_LAB_WEIGHT, source_weights

SENTENCE = "وزیر نے بجٹ پر بات کی"


def _with_disputed_sentence(schema, lab_sentiment: str, lab_copies: int = 1):
    """The synthetic gold, plus a sentence the gold labels positive three times and the lab
    labels `lab_sentiment` `lab_copies` times."""
    sentences, _ = aggregate(labels_table(labelled_tasks(seed=3), schema), schema)
    template = sentences.iloc[0].to_dict()
    rows = []
    for i, (origin, sentiment) in enumerate(
        [("gold", "positive")] * 3 + [("lab", lab_sentiment)] * lab_copies
    ):
        rows.append(
            {
                **template,
                "sentence_id": f"disputed-{i}",
                "article_id": f"disputed-{origin}-{i}",
                "text": SENTENCE,
                "context": "",
                "mentions": [],
                "sentiment": sentiment,
                "origin": origin,
            }
        )
    table = pd.concat([sentences.assign(origin="gold"), pd.DataFrame(rows)], ignore_index=True)
    return table


def _sentiment_of_disputed(model) -> str:
    frame = pd.DataFrame({"text": [SENTENCE], "context": [""], "mentions": [[]]})
    return model.predict_frame(frame)["sentiment"].iloc[0]


@pytest.mark.slow
def test_a_lab_label_outweighs_the_gold_only_when_weighted(schema):
    table = _with_disputed_sentence(schema, "negative")
    unweighted = train_model(table.drop(columns=["origin"]), schema)
    weighted = train_model(
        table.assign(weight=source_weights(table["origin"] == "lab", DEFAULT_LAB_WEIGHT)), schema
    )

    assert _sentiment_of_disputed(unweighted) == "positive"  # three gold labels against one
    assert _sentiment_of_disputed(weighted) == "negative"  # one lab label weighing five
    assert weighted.version.split("-")[1] != unweighted.version.split("-")[1]


def test_weights_of_one_are_the_unweighted_model_and_bad_weights_are_refused(schema):
    sentences, _ = aggregate(labels_table(labelled_tasks(seed=4, articles=8), schema), schema)
    data = make_dataset(sentences, schema)
    ones = make_dataset(sentences.assign(weight=1.0), schema)
    assert ones.digest() == data.digest()  # same data, same model version

    pipelines = make_pipelines(ModelConfig(), schema.not_source)
    with pytest.raises(ModelError, match="finite values >= 0"):
        fit_pipelines(pipelines, data, weights=[1.0] * (len(sentences) - 1))
    with pytest.raises(ModelError, match="positive number"):
        source_weights([True], 0.0)


def _train(*args):
    return CliRunner().invoke(cli, ["train", *args], catch_exceptions=False)


@pytest.mark.slow
def test_train_weighs_the_lab_exports_and_records_it_in_the_manifest(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # exports/gold is the sample gold, relative to the project
    write_export(tmp_path / "exports" / "gold", labelled_tasks(seed=1, articles=20))
    lab_tasks = labelled_tasks(seed=2, articles=6)
    for task in lab_tasks:  # the lab's own articles
        task["data"]["article_id"] = "lab-" + task["data"]["article_id"]
        task["data"]["sentence_id"] = "lab-" + task["data"]["sentence_id"]
    write_export(tmp_path / "exports" / "snapshots", lab_tasks, name="project-1-20260101")
    fast = ["--folds", "2", "--no-learning-curve", "--promote", "always"]

    default = _train("--models", "models", *fast)
    assert default.exit_code == 0, default.output
    lab_sentences = len({t["data"]["sentence_id"] for t in lab_tasks})
    assert f"{lab_sentences} lab sentences weigh {DEFAULT_LAB_WEIGHT:g} each" in default.output
    manifest = json.loads((current_model_dir("models") / "manifest.json").read_text("utf-8"))
    weights = manifest["training_data"]["weights"]
    assert weights["lab_weight"] == DEFAULT_LAB_WEIGHT
    assert weights["lab_sentences"] == lab_sentences
    assert weights["gold_sentences"] == manifest["training_data"]["sentences"] - lab_sentences

    chosen = _train("--models", "models2", "--lab-weight", "2", *fast)
    assert chosen.exit_code == 0, chosen.output
    manifest = json.loads((current_model_dir("models2") / "manifest.json").read_text("utf-8"))
    assert manifest["training_data"]["weights"]["lab_weight"] == 2.0

    refused = _train("--models", "models3", "--lab-weight", "0", *fast)
    assert refused.exit_code == 2 and "--lab-weight" in refused.output


def test_the_score_puts_a_torn_party_first_and_ignores_parties_named_nowhere(schema):
    sure_none = {"favor": 0.01, "against": 0.01, "neutral": 0.01, "none": 0.97}
    torn = {"favor": 0.45, "against": 0.02, "neutral": 0.44, "none": 0.09}
    leaning = {"favor": 0.45, "against": 0.15, "neutral": 0.20, "none": 0.20}
    parties = schema.party_ids

    def stance(first):
        return {parties[0]: first, **{p: sure_none for p in parties[1:]}}

    # A 0.45 / 0.44 split is closer than 0.45 / 0.20, though the best answer is as probable.
    assert uncertainty_score(stance(torn)) < uncertainty_score(stance(leaning))
    # Parties named nowhere (sure of `none`) never make a sentence look unsure.
    assert uncertainty_score(stance(sure_none)) == pytest.approx(0.96)

    unit = {"text": "روس نے کہا", "mentions": []}
    predicted = {
        "stance": {p: "none" for p in parties},
        "stance_proba": stance(torn),
        "sentiment": "neutral",
        "sentiment_proba": {"positive": 0.5, "negative": 0.1, "neutral": 0.4},
    }
    assert prediction(unit, schema, "v1", predicted)["score"] == pytest.approx(0.01)

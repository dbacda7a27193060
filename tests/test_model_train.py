"""`mauqif train` as a project lead runs it: exports in, model + manifest + report out, promotion."""

import json
import re
import shutil

import pytest
from click.testing import CliRunner
from modeldata import labelled_tasks, write_export

from mauqif.cli import cli
from mauqif.model import current_model_dir, load_model

FAST = ["--folds", "3", "--no-learning-curve"]


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("exports")
    write_export(folder / "gold", labelled_tasks(seed=1))
    return folder


def train(*args):
    return CliRunner().invoke(cli, ["train", *args], catch_exceptions=False)


@pytest.mark.slow
def test_train_writes_model_manifest_and_report_and_promotes_the_first_model(
    exports, tmp_path, schema
):
    models = tmp_path / "models"
    result = train("--data", str(exports / "gold"), "--models", str(models), *FAST)

    assert result.exit_code == 0, result.output
    assert "Promoted: there was no current model" in result.output
    directory = current_model_dir(models)
    assert directory is not None and f"model  {directory}" in result.output
    assert sorted(p.name for p in directory.iterdir()) == [
        "manifest.json",
        "model.joblib",
        "report.html",
    ]

    manifest = json.loads((directory / "manifest.json").read_text("utf-8"))
    assert manifest["training_data"]["sentences"] > 100
    assert len(manifest["training_data"]["sha256"]) == 64
    candidates = manifest["evaluation"]["candidates"]
    assert set(candidates) == {"new model", "majority", "keyword rule"}
    assert manifest["evaluation"]["grouped_by"] == "article"
    # The synthetic labels follow their templates closely: the model must beat both baselines.
    for baseline in ("majority", "keyword rule"):
        assert candidates["new model"]["score"] > candidates[baseline]["score"]
        assert (
            candidates["new model"]["sentiment"]["macro_f1"]
            > candidates[baseline]["sentiment"]["macro_f1"]
        )

    report = (directory / "report.html").read_text("utf-8")
    assert report.count("data:image/png;base64,") >= 3  # two bar charts and the confusion matrices
    assert "keyword rule" in report and "majority" in report
    assert not re.search(r"<img[^>]+src=\"(?!data:)", report)  # self-contained
    assert load_model(directory, schema).predict_frame  # loads


@pytest.mark.slow
def test_a_second_model_is_compared_with_the_current_one_on_the_same_folds(exports, tmp_path):
    models = tmp_path / "models"
    assert train("--data", str(exports / "gold"), "--models", str(models), *FAST).exit_code == 0
    first = current_model_dir(models)

    again = train("--data", str(exports / "gold"), "--models", str(models), *FAST)

    assert again.exit_code == 0, again.output
    assert "current model" in again.output
    # Same labels, same configuration: equal scores, so `auto` keeps the current model.
    assert "Not promoted" in again.output and "does not beat the current model" in again.output
    assert current_model_dir(models) == first
    assert len([p for p in models.iterdir() if p.is_dir()]) == 2

    forced = train(
        "--data", str(exports / "gold"), "--models", str(models), "--promote", "always", *FAST
    )
    assert forced.exit_code == 0
    assert current_model_dir(models) != first


@pytest.mark.slow
def test_promote_never_writes_the_model_but_does_not_promote_it(exports, tmp_path):
    models = tmp_path / "models"
    result = train(
        "--data", str(exports / "gold"), "--models", str(models), "--promote", "never", *FAST
    )
    assert result.exit_code == 0
    assert "Not promoted (--promote never)" in result.output
    assert current_model_dir(models) is None


def test_without_exports_train_says_where_it_looked(tmp_path):
    result = train("--data", str(tmp_path / "nothing"), "--models", str(tmp_path / "models"))
    assert result.exit_code == 1
    assert "Error: no Label Studio exports (*.json) in" in result.output
    assert "mauqif pull" in result.output


@pytest.mark.slow
def test_a_bad_export_is_reported_the_rest_trains_and_the_exit_code_says_so(exports, tmp_path):
    folder = tmp_path / "exports"
    shutil.copytree(exports / "gold", folder)
    (folder / "broken.json").write_text("[{", "utf-8")
    result = train("--data", str(folder), "--models", str(tmp_path / "models"), *FAST)
    assert result.exit_code == 1
    assert "broken.json: is not valid JSON" in result.output
    assert "1 export skipped" in result.output
    assert current_model_dir(tmp_path / "models") is not None


def test_agreement_prints_kappa_per_question(exports):
    result = CliRunner().invoke(
        cli, ["agreement", str(exports / "gold" / "gold.json"), "--by", "passes"]
    )
    assert result.exit_code == 0, result.output
    lines = [
        line for line in result.output.splitlines() if line.startswith("first pass / second pass")
    ]
    assert [line.split()[5] for line in lines] == [
        "stance_russia",
        "stance_north_korea",
        "stance_south_korea",
        "stance_japan",
        "sentiment",
    ]
    assert lines[0].split()[-1] == "1.000"  # the passes only ever differ on sentiment
    assert float(lines[-1].split()[-1]) < 1


def test_from_studio_without_a_server_says_how_to_get_one(tmp_path):
    result = train(
        "--from-studio",
        "--url",
        "",
        "--home",
        str(tmp_path / "home"),
        "--models",
        str(tmp_path / "models"),
    )
    assert result.exit_code == 1
    assert "Error: no Label Studio to talk to" in result.output
    assert not (tmp_path / "models").exists()


def test_a_missing_data_path_is_reported(exports, tmp_path):
    result = train("--data", str(tmp_path / "missing"), "--models", str(tmp_path / "models"))
    assert result.exit_code == 1
    assert f"skipped: {tmp_path / 'missing'}: no such file or directory" in result.output


@pytest.mark.slow
def test_auto_promotes_a_model_that_beats_the_current_one(tmp_path):
    few, many = tmp_path / "few", tmp_path / "many"
    write_export(few, labelled_tasks(seed=1, articles=8))  # the same first 8 articles as below
    write_export(many, labelled_tasks(seed=1, articles=30))
    models = tmp_path / "models"
    assert train("--data", str(few), "--models", str(models), *FAST).exit_code == 0
    first = current_model_dir(models)

    result = train("--data", str(many), "--models", str(models), *FAST)

    assert result.exit_code == 0, result.output
    assert re.search(r"Promoted: score \S+ beats the current model", result.output), result.output
    assert current_model_dir(models) != first

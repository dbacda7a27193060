"""`mauqif trends` over flat prediction files: cells by period and outlet, rows without a date
counted, the model's error rates required, the report and CSV written."""

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from modeldata import labelled_tasks
from trendsdata import models_with_and_without_rates, prediction_rows, write_flat

from mauqif.annotate.labels import aggregate, labels_table
from mauqif.annotate.schema import load_schema
from mauqif.cli import cli
from mauqif.cli import trends as trends_cli
from mauqif.model.evaluate import grouped_folds
from mauqif.model.model import make_dataset
from mauqif.model.pipeline import ModelConfig, make_pipelines
from mauqif.model.quantify import DEFAULT_METHOD, METHODS, rectifier
from mauqif.model.rates import (
    CV_SOURCE,
    LAB_CV_SOURCE,
    LAB_SOURCE,
    MIN_LAB_LABELS,
    cv_rates,
    labelled_rates,
    model_rates,
)
from mauqif.model.scoring import read_labelled
from mauqif.model.trends import compute_trends
from mauqif.model.trends_report import render_trends


@pytest.fixture(scope="module")
def model_and_dirs(tmp_path_factory):
    return models_with_and_without_rates(tmp_path_factory.mktemp("models"), load_schema())


def test_flat_columns_read_back_typed(model_and_dirs, tmp_path):
    model, _, _ = model_and_dirs
    rows = prediction_rows(model, 40)
    path = write_flat(model, rows, tmp_path / "p.parquet")
    frame = pd.read_parquet(path)
    assert frame["outlet"].tolist()[:2] == ["jang.com.pk", "urdu.example.org"]
    assert str(frame["published"].dtype) == "datetime64[us, UTC]"
    assert frame["published"].isna().sum() == 4  # every tenth row has no date
    first_dated = rows[1]["published"]
    assert frame["published"].iloc[1] == datetime.fromisoformat(first_dated).replace(tzinfo=UTC)
    assert str(frame["p_japan_none"].dtype) == "float32"
    assert frame["stance_japan"].tolist() == [r["stance"]["japan"] for r in rows]
    np.testing.assert_allclose(
        frame["p_sentiment_negative"], [r["sentiment_proba"]["negative"] for r in rows], atol=1e-6
    )


def test_flat_csv_reads_back_as_the_parquet_does(model_and_dirs, tmp_path):
    model, _, _ = model_and_dirs
    rows = prediction_rows(model, 40)
    parquet = pd.read_parquet(write_flat(model, rows, tmp_path / "p.parquet"))
    csv = pd.read_csv(write_flat(model, rows, tmp_path / "p.csv"), parse_dates=["published"])
    assert list(csv.columns) == list(parquet.columns)
    assert isinstance(csv["published"].dtype, pd.DatetimeTZDtype)
    assert str(csv["published"].dt.tz) == "UTC"
    assert (csv["published"].isna() == parquet["published"].isna()).all()
    dated = parquet["published"].notna()
    assert (csv["published"][dated] == parquet["published"][dated]).all()
    probabilities = [c for c in parquet.columns if c.startswith("p_")]
    assert all(pd.api.types.is_float_dtype(csv[c]) for c in probabilities)
    np.testing.assert_allclose(csv[probabilities], parquet[probabilities], atol=1e-6)
    for column in ("stance_japan", "sentiment", "outlet", "url"):
        assert csv[column].tolist() == parquet[column].tolist()


def test_trends_by_month_and_outlet_count_every_row(model_and_dirs, tmp_path):
    model, model_dir, _ = model_and_dirs
    rows = prediction_rows(model)
    path = write_flat(model, rows, tmp_path / "p.parquet")
    rates, _, _ = model_rates(model_dir)
    result = compute_trends([path], rates, "month", "outlet", method="pacc", draws=100)
    undated = sum(r["published"] is None for r in rows)
    assert undated > 0 and result.rows == len(rows) and result.undated == undated
    table = result.table
    assert set(table["group"]) == {"jang.com.pk", "urdu.example.org"}
    assert set(table["period"]) == {"2024-01-01", "2024-02-01", "2024-03-01"}
    japan = table[(table["question"] == "japan") & (table["value"] == "against")]
    dated = [r for r in rows if r["published"]]
    assert japan["counted"].sum() == sum(r["stance"]["japan"] == "against" for r in dated)
    assert japan["sentences"].sum() == len(dated)
    assert (table["count_low"] <= table["count"] + 1e-9).all()
    assert (table["count"] <= table["count_high"] + 1e-9).all()
    assert result.rates["japan"]["source"].startswith("cross-validation")
    # JSONL (nested) and CSV give the same cells as Parquet.
    jsonl = tmp_path / "p.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    csv = write_flat(model, rows, tmp_path / "p.csv")
    for other in (jsonl, csv):
        again = compute_trends([other], rates, "month", "outlet", draws=100).table
        assert again["counted"].tolist() == table["counted"].tolist()


def test_cli_writes_report_and_csv(model_and_dirs, tmp_path):
    model, model_dir, _ = model_and_dirs
    rows = prediction_rows(model)
    path = write_flat(model, rows, tmp_path / "p.parquet")
    report, csv = tmp_path / "trends.html", tmp_path / "trends.csv"
    result = CliRunner().invoke(
        cli,
        ["trends", str(path), "--model", str(model_dir), "--group", "outlet", "--report",
         str(report), "--csv", str(csv), "--method", "pacc", "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    undated = sum(r["published"] is None for r in rows)
    assert f"{len(rows)} sentences, {undated} without a date; estimator pacc" in result.output
    page = report.read_text("utf-8")
    assert page.count("<figure class='plot'") == len(model.schema.party_ids) + 1
    rates, _, _ = model_rates(model_dir)
    named = ", ".join(f"{q} {rates[q].n}" for q in [*model.schema.party_ids, "sentiment"])
    assert f"cross-validation on the training labels ({named})" in page
    assert "Counts are the model's labels corrected for its error rates" in page
    table = pd.read_csv(csv)
    assert {"question", "period", "group", "value", "count", "count_low", "share"} <= set(table)


def test_the_cli_defaults_to_the_estimator_the_benchmark_chose(model_and_dirs, tmp_path):
    # tests/test_quantify.py ties DEFAULT_METHOD to the benchmark's figures; the CLI writes
    # it out (not to import scikit-learn for every command), so the two must agree.
    assert (trends_cli.DEFAULT_METHOD, trends_cli.METHODS) == (DEFAULT_METHOD, METHODS)
    option = next(p for p in trends_cli.trends.params if p.name == "method")
    assert option.default == DEFAULT_METHOD and tuple(option.type.choices) == METHODS
    model, model_dir, _ = model_and_dirs
    rows = prediction_rows(model)
    path = write_flat(model, rows, tmp_path / "p.parquet")
    report, csv = tmp_path / "trends.html", tmp_path / "trends.csv"
    args = ["trends", str(path), "--model", str(model_dir), "--no-progress"]
    result = CliRunner().invoke(cli, [*args, "--report", str(report), "--csv", str(csv)])
    assert result.exit_code == 0, result.output
    assert f"without a date; estimator {DEFAULT_METHOD}\n" in result.output
    table = pd.read_csv(csv)
    # Raw counts: the estimated count is the counted one, and no rates are named.
    np.testing.assert_allclose(table["count"], table["counted"], atol=1e-3)
    page = report.read_text("utf-8")
    assert "Error rates (per question" not in page
    assert "Counts are the model's labels, not corrected for its errors" in page
    noted = CliRunner().invoke(cli, [*args, "--rates-from", str(path)])
    assert (
        "note: --rates-from changes nothing with --method cc; use acc, pacc or ppi" in noted.output
    )


def lab_labels(path, tasks=None):
    """Label Studio tasks of other articles than the model's training ones (the lab's own)."""
    tasks = labelled_tasks(1) if tasks is None else tasks
    for task in tasks:
        task["data"]["article_id"] = "lab-" + task["data"]["article_id"]
        task["data"]["sentence_id"] = "lab-" + task["data"]["sentence_id"]
    path.write_text(json.dumps(tasks), "utf-8")
    return path


def test_ppi_corrects_the_counts_by_the_models_error_on_the_labs_labels(model_and_dirs, tmp_path):
    model, model_dir, _ = model_and_dirs
    path = write_flat(model, prediction_rows(model), tmp_path / "p.parquet")
    labels = lab_labels(tmp_path / "lab.json")
    csv, report = tmp_path / "trends.csv", tmp_path / "trends.html"
    args = ["trends", str(path), "--model", str(model_dir), "--no-progress", "--method", "ppi"]
    result = CliRunner().invoke(
        cli, [*args, "--rates-from", str(labels), "--csv", str(csv), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert "without a date; estimator ppi\n" in result.output
    table, _, _ = read_labelled([labels], model.schema)
    rates = labelled_rates(model, table)
    assert f"rates russia: {LAB_SOURCE}, {len(table)} labels" in result.output
    assert "plus its mean error on the lab's labelled units" in report.read_text("utf-8")
    # Each cell's count is its counted labels plus the cell's size times the rectifier; where
    # that is below zero, 0, the others scaled to keep the cell's size.
    out = pd.read_csv(csv)
    for (question, _, _), cell in out.groupby(["question", "period", "group"]):
        labels = list(rates[question].labels)
        n = cell["sentences"].iloc[0]
        counted = cell.set_index("value")["counted"].reindex(labels)
        counted = counted.fillna(n - counted.sum())  # the not-a-source value, not in the table
        corrected = np.clip(counted.to_numpy() + n * rectifier(rates[question].counts), 0, None)
        expected = pd.Series(n * corrected / corrected.sum(), index=labels)
        np.testing.assert_allclose(
            cell["count"], expected[cell["value"]].to_numpy(), rtol=1e-3, atol=1e-3
        )
    assert (out["count"] != out["counted"]).any()  # the correction is not nothing


def test_ppi_refuses_to_run_without_enough_labels_of_the_lab(model_and_dirs, tmp_path):
    model, model_dir, _ = model_and_dirs
    path = write_flat(model, prediction_rows(model, 20), tmp_path / "p.parquet")
    args = ["trends", str(path), "--model", str(model_dir), "--method", "ppi"]
    missing = CliRunner().invoke(cli, args)
    assert missing.exit_code == 1
    assert (
        "Error: the ppi estimator corrects the model's labels by its mean error on the lab's own "
        f"labelled units: give at least {MIN_LAB_LABELS} that the model did not train on with "
        "--rates-from (exports or label rows), or use --method cc\n"
    ) in missing.output
    few = lab_labels(tmp_path / "few.json", labelled_tasks(1)[:40])
    too_few = CliRunner().invoke(cli, [*args, "--rates-from", str(few)])
    assert too_few.exit_code == 1
    assert (
        f"Error: 40 labelled units the model did not train on are fewer than {MIN_LAB_LABELS}: "
        "too few for the ppi estimator's correction; label more of the lab's tasks (or give "
        "more files with --rates-from), or use --method cc\n"
    ) in too_few.output


@pytest.mark.parametrize("method", ["acc", "pacc"])
def test_trends_refuse_a_model_without_error_rates(model_and_dirs, tmp_path, method):
    model, _, without = model_and_dirs
    path = write_flat(model, prediction_rows(model, 20), tmp_path / "p.parquet")
    args = ["trends", str(path), "--model", str(without), "--method", method]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "stores no cross-validated error rates" in result.output
    assert "retrain it with this mauqif (`mauqif train`)" in result.output


def test_raw_counts_need_no_error_rates(model_and_dirs, tmp_path):
    model, _, without = model_and_dirs
    rows = prediction_rows(model, 20)
    for row in rows:  # predicted by the model without rates
        row["model_version"] = json.loads((without / "manifest.json").read_text())["version"]
    path = write_flat(model, rows, tmp_path / "p.parquet")
    args = ["trends", str(path), "--model", str(without), "--no-progress"]
    refused = CliRunner().invoke(cli, [*args, "--method", "pacc"])
    assert refused.exit_code == 1 and "stores no cross-validated error rates" in refused.output
    for method in ([], ["--method", "cc"], ["--method", "pcc"]):  # the default is cc
        result = CliRunner().invoke(cli, [*args, *method])
        assert result.exit_code == 0, result.output
        assert f"estimator {(method or ['', 'cc'])[1]}\n" in result.output


def test_the_report_links_only_web_addresses(model_and_dirs, tmp_path):
    model, model_dir, _ = model_and_dirs
    rows = prediction_rows(model, 40)
    for row in rows:
        row["url"] = "javascript:alert(1)"
    rows[1]["url"] = "https://www.jang.com.pk/news/1"
    path = write_flat(model, rows, tmp_path / "p.parquet")
    rates, _, _ = model_rates(model_dir)
    page = render_trends(compute_trends([path], rates, draws=50))
    assert "href='javascript:" not in page and "javascript:alert(1)" in page
    assert "<a href='https://www.jang.com.pk/news/1'>" in page


def test_trends_refuse_predictions_of_another_model(model_and_dirs, tmp_path):
    model, model_dir, _ = model_and_dirs
    rows = prediction_rows(model, 20)
    for row in rows:
        row["model_version"] = "20200101T000000Z-deadbeef"
    path = write_flat(model, rows, tmp_path / "p.parquet")
    result = CliRunner().invoke(cli, ["trends", str(path), "--model", str(model_dir)])
    assert result.exit_code == 1
    assert "the predictions come from model 20200101T000000Z-deadbeef" in result.output


def test_training_rates_come_from_the_labs_own_sentences_where_there_are_enough():
    schema = load_schema()
    sentences, _ = aggregate(labels_table(labelled_tasks(0), schema), schema)
    data = make_dataset(sentences, schema)
    folds = grouped_folds(data, 2)
    pipelines = make_pipelines(ModelConfig(), schema.not_source)
    articles = sorted(set(data.groups))
    lab = np.isin(data.groups, articles[: len(articles) // 2])  # half the articles are the lab's
    truth = data.stance.reshape(len(data.sentences), len(schema.party_ids))
    party = schema.party_ids[0]
    lab_labels = sum(v is not None for v in truth[lab, 0])
    all_labels = sum(v is not None for v in truth[:, 0])
    assert 0 < lab_labels < all_labels

    enough = cv_rates(data, pipelines, folds, lab=lab, min_lab=lab_labels)
    assert enough[party].source == LAB_CV_SOURCE and enough[party].n == lab_labels
    too_few = cv_rates(data, pipelines, folds, lab=lab, min_lab=lab_labels + 1)
    assert too_few[party].source == CV_SOURCE and too_few[party].n == all_labels
    # The same out-of-fold answers, the lab's rows only.
    assert (enough[party].counts <= too_few[party].counts).all()

"""`mauqif trends` over flat prediction files: cells by period and outlet, rows without a date
counted, the model's error rates required, the report and CSV written."""

import json
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from modeldata import labelled_tasks

from mauqif.annotate.labels import aggregate, labels_table
from mauqif.annotate.tables import write_rows
from mauqif.cli import cli
from mauqif.model import save_model, train_model
from mauqif.model.evaluate import grouped_folds
from mauqif.model.model import make_dataset
from mauqif.model.pipeline import ModelConfig, make_pipelines
from mauqif.model.predict import flat_columns, flat_rows, flat_types
from mauqif.model.rates import RATES_KEY, cv_rates, rates_block
from mauqif.model.trends import compute_trends


@pytest.fixture(scope="module")
def model_and_dirs(tmp_path_factory, schema_module):
    schema = schema_module
    sentences, _ = aggregate(labels_table(labelled_tasks(0), schema), schema)
    model = train_model(sentences, schema)
    data = make_dataset(sentences, schema)
    rates = cv_rates(data, make_pipelines(ModelConfig(), schema.not_source), grouped_folds(data, 2))
    root = tmp_path_factory.mktemp("models")
    with_rates = save_model(model, root, extra={RATES_KEY: rates_block(rates, 2)})
    bare_model = train_model(sentences, schema)
    bare_model.version += "-bare"
    without = save_model(bare_model, root)
    return model, with_rates, without


@pytest.fixture(scope="module")
def schema_module():
    from mauqif.annotate.schema import load_schema

    return load_schema()


def prediction_rows(model, n=300, seed=0):
    """Nested prediction rows over three months and two outlets, some without a date."""
    rng = np.random.default_rng(seed)
    tasks = [t["data"]["text"] for t in labelled_tasks(1)][:n]
    frame = pd.DataFrame({"text": tasks, "context": [""] * len(tasks)})
    answers = model.answers(model.predict_frame(frame)[["text", "context", "mentions"]], digits=4)
    rows = []
    for i, (text, answer) in enumerate(zip(tasks, answers, strict=True)):
        month = int(rng.integers(1, 4))
        published = None if i % 10 == 0 else f"2024-{month:02d}-{1 + i % 27:02d}"
        host = ["www.jang.com.pk", "urdu.example.org"][i % 2]
        rows.append(
            {
                "id": f"s{i}",
                "article_id": f"a{i // 5}",
                "url": f"https://{host}/news/{i // 5}",
                "published": published,
                "text": text,
                **answer,
            }
        )
    return rows


def write_flat(model, rows, path):
    write_rows(
        flat_rows(rows), path, path.suffix.lstrip("."), flat_columns(model), flat_types(model)
    )
    return path


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


def test_trends_by_month_and_outlet_count_every_row(model_and_dirs, tmp_path):
    model, model_dir, _ = model_and_dirs
    rows = prediction_rows(model)
    path = write_flat(model, rows, tmp_path / "p.parquet")
    from mauqif.model.rates import model_rates

    rates, _, _ = model_rates(model_dir)
    result = compute_trends([path], rates, "month", "outlet", draws=100)
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
         str(report), "--csv", str(csv), "--no-progress"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    undated = sum(r["published"] is None for r in rows)
    assert f"{len(rows)} sentences, {undated} without a date; estimator pacc" in result.output
    page = report.read_text("utf-8")
    assert page.count("<figure class='plot'") == len(model.schema.party_ids) + 1
    assert "cross-validation on the training labels" in page
    table = pd.read_csv(csv)
    assert {"question", "period", "group", "value", "count", "count_low", "share"} <= set(table)


def test_trends_refuse_a_model_without_error_rates(model_and_dirs, tmp_path):
    model, _, without = model_and_dirs
    path = write_flat(model, prediction_rows(model, 20), tmp_path / "p.parquet")
    result = CliRunner().invoke(cli, ["trends", str(path), "--model", str(without)])
    assert result.exit_code == 1
    assert "stores no cross-validated error rates" in result.output
    assert "retrain it with this mauqif (`mauqif train`)" in result.output


def test_trends_refuse_predictions_of_another_model(model_and_dirs, tmp_path):
    model, model_dir, _ = model_and_dirs
    rows = prediction_rows(model, 20)
    for row in rows:
        row["model_version"] = "20200101T000000Z-deadbeef"
    path = write_flat(model, rows, tmp_path / "p.parquet")
    result = CliRunner().invoke(cli, ["trends", str(path), "--model", str(model_dir)])
    assert result.exit_code == 1
    assert "the predictions come from model 20200101T000000Z-deadbeef" in result.output

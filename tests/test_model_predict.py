"""`mauqif predict` and the Python API: documented rows, streamed, bad files skipped."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner
from modeldata import small_model

from conftest import SEEDS
from mauqif.cli import cli
from mauqif.model import load_model, save_model
from mauqif.model.predict import PREDICTION_COLUMNS, flat_columns, predict_articles

ARTICLE = (
    "ماسکو اور پیانگ یانگ کے تعلقات\n\n"
    "ٹوکیو: جاپان کے وزیر دفاع نے خبردار کیا کہ یہ گٹھ جوڑ خطے کے امن کے لیے خطرہ ہے۔ "
    "روسی وزیر خارجہ نے کہا کہ دونوں ملکوں کی دوستی نئی بلندیوں کو چھو رہی ہے۔\n\n"
    "انھوں نے بتایا کہ وفد منگل کے روز روانہ ہوگا۔\n"
)


@pytest.fixture(scope="module")
def model_dir(schema, tmp_path_factory):
    return save_model(small_model(schema), tmp_path_factory.mktemp("models"))


@pytest.fixture
def articles(tmp_path):
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "one.txt").write_text(ARTICLE, "utf-8")
    (folder / "two.jsonl").write_text(
        json.dumps(
            {"id": "feed-1", "text": "سیئول نے اس معاہدے کی سخت مذمت کی۔"}, ensure_ascii=False
        )
        + "\n",
        "utf-8",
    )
    return folder


def predict(*args):
    return CliRunner().invoke(cli, ["predict", "--no-progress", *args], catch_exceptions=False)


def read_rows(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def check_row(row, schema, version):
    assert list(row) == PREDICTION_COLUMNS
    assert set(row["stance"]) == set(schema.party_ids)
    for party, label in row["stance"].items():
        proba = row["stance_proba"][party]
        assert set(proba) == set(schema.stance_values)
        assert sum(proba.values()) == pytest.approx(1, abs=1e-3)
        assert label == max(proba, key=proba.get)
    assert row["sentiment"] in schema.sentiment_values
    assert sum(row["sentiment_proba"].values()) == pytest.approx(1, abs=1e-3)
    assert row["model_version"] == version


def test_predict_articles_gives_one_documented_row_per_sentence(
    model_dir, articles, tmp_path, schema
):
    out = tmp_path / "predictions.jsonl"
    result = predict(str(articles), "--model", str(model_dir), "-o", str(out))

    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    units = [
        json.loads(line)
        for line in CliRunner().invoke(cli, ["sentences", str(articles)]).output.splitlines()
    ]
    assert [r["id"] for r in rows] == [u["sentence_id"] for u in units]
    assert [r["text"] for r in rows] == [u["text"] for u in units]
    assert [r["mentions"] for r in rows] == [u["mentions"] for u in units]
    assert {r["article_id"] for r in rows} == {"one", "feed-1"}
    for row in rows:
        check_row(row, schema, model_dir.name)
    assert f"{len(rows)} sentences predicted with model {model_dir.name}" in result.output


def test_predict_on_the_seed_articles(model_dir, tmp_path, schema):
    out = tmp_path / "seeds.jsonl"
    result = predict(*map(str, SEEDS), "--model", str(model_dir), "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    assert {r["article_id"] for r in rows} == {p.stem for p in SEEDS}
    assert any(r["mentions"] for r in rows)
    for row in rows:
        check_row(row, schema, model_dir.name)


def test_sentence_jsonl_keeps_ids_and_context_and_is_never_resplit(model_dir, tmp_path, schema):
    source = tmp_path / "sentences.jsonl"
    lines = [
        {
            "id": 17,
            "text": "انھوں نے کہا کہ دوستی مضبوط ہے۔ یہ دوسرا جملہ ہے۔",
            "context": "پیانگ یانگ نے بیان جاری کیا۔",
        },
        {"text": "جاپان نے تشویش ظاہر کی۔"},
    ]
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in lines), "utf-8")
    out = tmp_path / "out.jsonl"

    result = predict(str(source), "--sentences", "--model", str(model_dir), "-o", str(out))

    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    assert len(rows) == 2  # two input rows, though the first has two sentences
    assert rows[0]["id"] == 17 and rows[0]["text"] == lines[0]["text"]
    assert isinstance(rows[1]["id"], str) and rows[1]["id"]
    assert rows[1]["mentions"][0]["party"] == "japan"
    for row in rows:
        check_row(row, schema, model_dir.name)


def test_a_bad_file_among_good_ones_is_reported_and_skipped(model_dir, articles, tmp_path):
    (articles / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
    (articles / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    out = tmp_path / "out.jsonl"

    result = predict(str(articles), "--model", str(model_dir), "-o", str(out))

    assert result.exit_code == 1
    assert "binary.txt: is binary" in result.output
    assert "latin1.txt: is not UTF-8" in result.output
    assert "Error: 2 inputs skipped" in result.output
    assert {r["article_id"] for r in read_rows(out)} == {"one", "feed-1"}


def test_bad_lines_of_sentence_jsonl_are_reported_with_their_line(model_dir, tmp_path):
    source = tmp_path / "s.jsonl"
    source.write_text(
        '{"text": "روس نے کہا۔"}\n{"id": 2}\nnot json\n{"text": "جاپان نے کہا۔"}\n', "utf-8"
    )
    out = tmp_path / "out.jsonl"
    result = predict(str(source), "--sentences", "--model", str(model_dir), "-o", str(out))
    assert result.exit_code == 1
    assert "s.jsonl:2: has no `text`" in result.output
    assert "s.jsonl:3: not valid JSON" in result.output
    assert [r["text"] for r in read_rows(out)] == ["روس نے کہا۔", "جاپان نے کہا۔"]


@pytest.mark.parametrize("sentences", [False, True])
def test_an_empty_input_is_reported_and_writes_an_empty_table(model_dir, tmp_path, sentences):
    empty = tmp_path / ("empty.jsonl" if sentences else "empty.txt")
    empty.write_text("", "utf-8")
    out = tmp_path / "out.csv"
    flags = ["--sentences"] if sentences else []
    result = predict(str(empty), *flags, "--model", str(model_dir), "-o", str(out))
    assert result.exit_code == 1
    assert "empty" in result.output and "is empty" in result.output
    assert out.read_text("utf-8").strip() == ",".join(flat_columns(load_model(model_dir)))


def test_two_jobs_and_small_chunks_give_the_same_rows_in_the_same_order(
    model_dir, articles, tmp_path
):
    for i in range(5):
        (articles / f"copy{i}.txt").write_text(ARTICLE.replace("منگل", f"دن {i}"), "utf-8")
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    assert predict(str(articles), "--model", str(model_dir), "-o", str(one)).exit_code == 0
    result = predict(
        str(articles), "--model", str(model_dir), "-o", str(two), "-j", "2", "--chunk-size", "3"
    )
    assert result.exit_code == 0, result.output
    assert read_rows(one) == read_rows(two)


def test_parquet_output(model_dir, articles, tmp_path):
    out = tmp_path / "p.parquet"
    assert predict(str(articles), "--model", str(model_dir), "-o", str(out)).exit_code == 0
    frame = pd.read_parquet(out)
    model = load_model(model_dir)
    assert list(frame.columns) == flat_columns(model)
    assert {"stance_russia", "stance_japan", "p_japan_against", "p_sentiment_negative"} <= set(
        frame.columns
    )
    # Typed: label columns are text, probabilities float32, the date a UTC timestamp.
    assert frame["stance_russia"].isin(model.stance_labels).all()
    assert str(frame["p_russia_favor"].dtype) == "float32"
    assert str(frame["published"].dtype).startswith("datetime64") and "UTC" in str(
        frame["published"].dtype
    )
    p = frame[[f"p_russia_{v}" for v in model.stance_labels]].sum(axis=1)
    assert ((p - 1).abs() < 1e-3).all()


def test_without_a_model_predict_says_how_to_get_one(articles, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = predict(str(articles))
    assert result.exit_code == 1
    assert "Error: no model: train one with `mauqif train`, or give --model DIR" in result.output


def test_python_api_frame_in_frame_out(model_dir, schema):
    model = load_model(model_dir, schema)
    frame = pd.DataFrame(
        {"text": ["جاپان نے سخت مذمت کی۔", "روس نے شکریہ ادا کیا۔"], "context": ["", ""]}
    )
    result = model.predict_frame(frame)
    assert list(result.columns[-5:]) == [
        "stance",
        "stance_proba",
        "sentiment",
        "sentiment_proba",
        "model_version",
    ]
    assert result["mentions"].iloc[0][0]["party"] == "japan"
    assert result["stance"].iloc[0].keys() == set(schema.party_ids)
    assert model.predict_frame(frame.iloc[:0]).empty


def test_python_api_streams_rows_from_articles(model_dir, articles, schema):
    model = load_model(model_dir, schema)
    rows = predict_articles(model, [articles], chunk_size=1)
    first = next(rows)
    assert first["article_id"] == "one" and first["model_version"] == model.version

"""`mauqif evaluate` as a user runs it: a saved model scored on labelled files, no training.

The figures are checked against scikit-learn's `f1_score` on the same predictions, computed
here from the model's own `predict_frame`, and the error list against the units whose
prediction differs from a label.
"""

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from modeldata import PARTIES, labelled_tasks, small_model, write_export
from sklearn.metrics import f1_score

from conftest import SHARED
from mauqif.annotate.exceptions import InputError
from mauqif.annotate.labels import aggregate, labels_table, read_label_rows
from mauqif.cli import cli
from mauqif.model import load_model, save_model
from mauqif.model.artifact import promote
from mauqif.model.scoring import evaluate_model

DEV_SET = SHARED / "dev" / "seeds_labelled.jsonl"
STANCE = ["favor", "against", "neutral", "none"]
SENTIMENT = ["positive", "negative", "neutral"]


@pytest.fixture(scope="module")
def models(tmp_path_factory, schema):
    root = tmp_path_factory.mktemp("models")
    model = small_model(schema, seed=0)
    save_model(model, root)
    promote(root, model.version)
    return root


@pytest.fixture(scope="module")
def model(models, schema):
    return load_model(models, schema)


def mislabelled_tasks(seed: int, every: int = 5) -> list[dict]:
    """`labelled_tasks(seed)` whose every `every`-th task has a wrong ground-truth sentiment, so
    that the model, which learned the templates, disagrees with it there."""
    tasks = labelled_tasks(seed=seed)
    for task in tasks[::every]:
        truth = next(a for a in task["annotations"] if a["ground_truth"])
        for region in truth["result"]:
            if region["from_name"] == "sentiment":
                value = region["value"]["choices"][0]
                region["value"] = {"choices": ["negative" if value == "positive" else "positive"]}
    return tasks


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    return write_export(tmp_path_factory.mktemp("exports") / "gold", mislabelled_tasks(seed=1))


def dev_rows(seed: int, flip_every: int = 4) -> list[dict]:
    """Dev-set-shaped rows (id, article, kind, context, text, gold, note) of invented tasks.
    Every `flip_every`-th row has a wrong gold sentiment and Japan stance, so that the model,
    which learned the templates, disagrees with it."""
    rows = []
    for i, task in enumerate(labelled_tasks(seed=seed, articles=8)):
        truth = next(a for a in task["annotations"] if a["ground_truth"])
        gold = {
            r["from_name"].removeprefix("stance_"): r["value"]["choices"][0]
            for r in truth["result"]
            if r["from_name"] != "mentions"
        }
        if i % flip_every == 0:
            gold["sentiment"] = {"positive": "negative"}.get(gold["sentiment"], "positive")
            gold["japan"] = "favor" if gold["japan"] != "favor" else "none"
        data = task["data"]
        rows.append(
            {
                "id": data["sentence_id"],
                "article": data["article_id"],
                "index": data["index"],
                "kind": "sentence",
                "context": data["context"],
                "text": data["text"],
                "gold": gold,
                "note": f"note of {data['sentence_id']}",
            }
        )
    return rows


def write_jsonl(path, rows) -> str:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return str(path)


def evaluate(*args):
    return CliRunner().invoke(cli, ["evaluate", *args], catch_exceptions=False)


def as_json(models, *data) -> tuple[dict, object]:
    result = evaluate("--model", str(models), "--json", "-", *map(str, data))
    return json.loads(result.stdout), result


def expected(model, units: pd.DataFrame) -> dict:
    """Figures and wrong units computed here: sklearn's f1_score on the model's predictions."""
    # With the article and the unit order, as evaluate predicts: a pronoun speaker is resolved
    # across the article.
    columns = ["text", "context", *(c for c in ("article_id", "index") if c in units)]
    predicted = model.predict_frame(units[columns].reset_index(drop=True))
    out = {"stance": {}, "wrong": set()}
    pooled_true, pooled_pred = [], []
    for party in PARTIES:
        y_true = units[f"stance_{party}"].tolist()
        y_pred = [s[party] for s in predicted["stance"]]
        pooled_true += y_true
        pooled_pred += y_pred
        out["stance"][party] = _f(y_true, y_pred, STANCE)
    out["stance"]["all"] = _f(pooled_true, pooled_pred, STANCE)
    out["sentiment"] = _f(units["sentiment"].tolist(), predicted["sentiment"].tolist(), SENTIMENT)
    for i, unit in enumerate(units.to_dict("records")):
        guess = predicted.iloc[i]
        if unit["sentiment"] != guess["sentiment"] or any(
            unit[f"stance_{p}"] != guess["stance"][p] for p in PARTIES
        ):
            out["wrong"].add(unit["sentence_id"])
    return out


def _f(y_true, y_pred, values) -> dict:
    present = [v for v in values if v in y_true]
    polar = [v for v in ("favor", "against") if v in y_true]
    f1 = f1_score(y_true, y_pred, labels=values, average=None, zero_division=0)
    return {
        "f1": dict(zip(values, f1.tolist(), strict=True)),
        "macro_f1": f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0),
        "f_avg": float(np.mean([f1[values.index(v)] for v in polar])) if polar else None,
    }


def assert_figures_match(figures: dict, want: dict) -> None:
    for key in [*PARTIES, "all"]:
        got = figures["stance"][key]
        assert got["macro_f1"] == pytest.approx(want["stance"][key]["macro_f1"]), key
        if want["stance"][key]["f_avg"] is None:
            assert got["f_avg"] is None
        else:
            assert got["f_avg"] == pytest.approx(want["stance"][key]["f_avg"]), key
        for value in STANCE:
            assert got["classes"][value]["f1"] == pytest.approx(want["stance"][key]["f1"][value])
    assert figures["sentiment"]["macro_f1"] == pytest.approx(want["sentiment"]["macro_f1"])
    for value in SENTIMENT:
        assert figures["sentiment"]["classes"][value]["f1"] == pytest.approx(
            want["sentiment"]["f1"][value]
        )


def test_evaluate_scores_a_label_studio_export(models, model, export, schema):
    tasks = mislabelled_tasks(seed=1)
    units, _ = aggregate(labels_table(tasks, schema), schema)

    got, result = as_json(models, export)

    assert result.exit_code == 0, result.output
    assert f"{len(units)} units from 1 file" in result.output
    assert f"model {model.version}" in result.output
    want = expected(model, units)
    assert_figures_match(got["figures"], want)
    assert {e["id"] for e in got["errors"]} == want["wrong"]
    assert {t["data"]["sentence_id"] for t in tasks[::5]} <= want["wrong"]
    assert got["units"] == len(units)


def test_evaluate_prints_the_table_and_every_error(models, model, tmp_path, schema):
    rows = dev_rows(seed=2)
    data = write_jsonl(tmp_path / "dev.jsonl", rows)
    units = read_label_rows(data, schema)

    result = evaluate("--model", str(models), data)

    assert result.exit_code == 0, result.output
    assert f"{len(rows)} units from 1 file" in result.output
    want = expected(model, units)
    pooled = want["stance"]["all"]
    assert re.search(
        rf"stance \(all parties\)\s+{pooled['f_avg']:.3f}\s+{pooled['macro_f1']:.3f}\s+{len(rows) * 4}",
        result.output,
    )
    assert f"Errors: {len(want['wrong'])} of {len(rows)} units" in result.output
    printed = set(re.findall(r"^(art\d+-\d+)  ", result.stdout, re.M))
    assert printed == want["wrong"]
    flipped = rows[::4]
    assert {r["id"] for r in flipped} <= printed
    first = flipped[0]
    assert (
        f"{first['id']}  japan: gold favor, predicted none; sentiment: gold {first['gold']['sentiment']}"
        in result.output
    )
    assert f"    note: {first['note']}" in result.output
    assert "Confusion matrices (rows: gold, columns: predicted)" in result.output


def test_jsonl_rows_of_both_shapes_are_scored_with_their_figures(models, model, tmp_path, schema):
    rows = dev_rows(seed=3)
    dev = write_jsonl(tmp_path / "dev.jsonl", rows[:20])
    # The gold set's labels/*.jsonl shape: text, stance {party: value}, sentiment; no id.
    labels = write_jsonl(
        tmp_path / "labels.jsonl",
        [
            {
                "text": r["text"],
                "stance": {p: r["gold"][p] for p in PARTIES},
                "sentiment": r["gold"]["sentiment"],
            }
            for r in rows[20:]
        ],
    )

    got, result = as_json(models, dev, labels)

    assert result.exit_code == 0, result.output
    assert f"{len(rows)} units from 2 files" in result.output
    units = pd.concat([read_label_rows(dev, schema), read_label_rows(labels, schema)])
    want = expected(model, units.reset_index(drop=True))
    assert_figures_match(got["figures"], want)
    assert {e["id"] for e in got["errors"]} == want["wrong"]
    # Rows without an id are named by their file and line.
    assert set(units["sentence_id"][20:]) == {f"labels.jsonl:{n}" for n in range(1, len(rows) - 19)}


def test_a_bad_file_is_named_and_the_others_are_scored(models, export, tmp_path):
    rows = dev_rows(seed=4)
    good = write_jsonl(tmp_path / "good.jsonl", rows)
    (tmp_path / "notes.txt").write_text("just some notes\n", "utf-8")
    wrong_value = write_jsonl(tmp_path / "wrong.jsonl", [{**rows[0], "gold": {"russia": "pro"}}])

    result = evaluate(
        "--model", str(models), str(export), good, str(tmp_path / "notes.txt"), wrong_value
    )

    assert result.exit_code == 1
    assert (
        f"skipped: {tmp_path / 'notes.txt'}: is neither a Label Studio JSON export (a list of tasks) "
        "nor JSONL label rows (one JSON object per line)"
    ) in result.output
    assert (
        f"skipped: {wrong_value}: is not JSONL label rows (line 1 has `gold.russia` 'pro', "
        "not one of favor, against, neutral, none)"
    ) in result.output
    assert "units from 2 files" in result.output
    assert "stance (all parties)" in result.output  # the good files were scored
    assert result.output.rstrip().endswith("Error: 2 files skipped (see the lines above)")


def test_a_bad_line_after_good_ones_is_skipped_with_its_line_number(tmp_path, schema):
    rows = dev_rows(seed=5)[:3]
    path = tmp_path / "dev.jsonl"
    write_jsonl(path, [rows[0], {"text": "x", "gold": {"sentiment": "happy"}}, rows[2]])
    skipped = []

    table = read_label_rows(path, schema, on_skip=skipped.append)

    assert table["sentence_id"].tolist() == [rows[0]["id"], rows[2]["id"]]
    assert [str(e) for e in skipped] == [
        f"{path}:2: has `gold.sentiment` 'happy', not one of positive, negative, neutral; line left out"
    ]
    write_jsonl(path, [{"text": "x"}])
    with pytest.raises(InputError, match=r"is not JSONL label rows \(line 1 has no labels"):
        read_label_rows(path, schema)


@pytest.mark.skipif(not DEV_SET.exists(), reason="the shared dev set is not here")
def test_evaluate_model_is_the_python_api(model, schema):
    units = read_label_rows(DEV_SET, schema)
    result = evaluate_model(model, units)
    assert result.units == len(units) and result.version == model.version
    assert {e["id"] for e in result.errors} == expected(model, units)["wrong"]


@pytest.mark.skipif(not DEV_SET.exists(), reason="the shared dev set is not here")
def test_evaluate_on_the_real_dev_set_writes_a_self_contained_report(
    models, model, tmp_path, schema
):
    report = tmp_path / "out" / "dev.html"
    json_file = tmp_path / "dev.json"

    result = evaluate(
        "--model", str(models), str(DEV_SET), "--report", str(report), "--json", str(json_file)
    )

    assert result.exit_code == 0, result.output
    assert "81 units from 1 file" in result.output
    got = json.loads(json_file.read_text("utf-8"))
    want = expected(model, read_label_rows(DEV_SET, schema))
    assert_figures_match(got["figures"], want)
    assert {e["id"] for e in got["errors"]} == want["wrong"]
    assert f"Errors: {len(want['wrong'])} of 81 units" in result.output

    html = report.read_text("utf-8")
    assert html.count("data:image/png;base64,") == 3  # two bar charts, the confusion matrices
    assert not re.search(r"<img[^>]+src=\"(?!data:)", html)  # self-contained
    assert model.version in html and "Errors" in html
    assert not list(report.parent.glob(".*.part"))  # written atomically, nothing left over

    again = evaluate("--model", str(models), str(DEV_SET), "--report", str(report))
    assert again.exit_code == 0  # a report is replaced, as -o replaces an output


def test_without_a_model_evaluate_says_how_to_get_one(tmp_path):
    result = evaluate("--model", str(tmp_path / "nothing"), str(tmp_path))
    assert result.exit_code == 1
    assert "no such model directory; train one with `mauqif train`" in result.output


def test_evaluate_without_labelled_units_is_an_error(models, tmp_path):
    result = evaluate("--model", str(models), str(tmp_path))
    assert result.exit_code == 1
    assert f"Error: no labelled units in {tmp_path}" in result.output


def test_evaluate_help_has_an_example():
    result = CliRunner().invoke(cli, ["evaluate", "--help"])
    assert result.exit_code == 0
    assert "mauqif evaluate ../shared/dev/seeds_labelled.jsonl --report dev.html" in result.output


def test_evaluate_prints_and_writes_the_stance_errors_by_kind(models, tmp_path, schema):
    rows = dev_rows(seed=6)
    data = write_jsonl(tmp_path / "dev.jsonl", rows)
    report = tmp_path / "dev.html"

    got, _ = as_json(models, data)
    result = evaluate("--model", str(models), data, "--report", str(report))

    assert result.exit_code == 0, result.output
    table = got["error_kinds"]
    assert [row["label"] for row in table.values()] == [
        "furniture",
        "speaker not found",
        "act taken for a statement",
        "wrong speaker",
        "off the topic",
        "wrong polarity",
        "source missed",
        "other",
    ]
    # Every wrong party of the error list is in the table once, under the kind it is given.
    wrong = [
        (e["id"], party, w["kind"])
        for e in got["errors"]
        for party, w in e["wrong"].items()
        if party != "sentiment"
    ]
    assert sum(row["pairs"] for row in table.values()) == len(wrong) > 0
    for kind, row in table.items():
        assert row["pairs"] == sum(k == kind for *_, k in wrong)
    # The flipped Japan labels (gold favor where the template has no source) are found as
    # sources the model does not give a stance to.
    assert (
        table["speaker_not_found"]["pairs"] + table["source_missed"]["pairs"] >= len(rows[::4]) // 2
    )
    assert "Stance errors by kind (wrong unit × party pairs)" in result.output
    line = next(ln for ln in result.output.splitlines() if ln.startswith("total "))
    assert line.split() == ["total", str(len(wrong))]
    assert "<h2>Stance errors by kind</h2>" in report.read_text("utf-8")


def test_units_flagged_as_furniture_count_their_errors_as_furniture(model, tmp_path, schema):
    units = read_label_rows(write_jsonl(tmp_path / "dev.jsonl", dev_rows(seed=7)), schema)
    plain = evaluate_model(model, units)
    flagged = evaluate_model(model, units.assign(furniture=True))

    total = sum(row["pairs"] for row in plain.error_kinds.values())
    assert total > 0 and plain.error_kinds["furniture"]["pairs"] == 0
    assert flagged.error_kinds["furniture"]["pairs"] == total

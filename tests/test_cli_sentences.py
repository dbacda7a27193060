"""`mauqif sentences` as a user runs it: formats, inputs of every kind, bad files reported."""

import json
import subprocess
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from mauqif.cli import cli

ARTICLE = "جاپان کا ردعمل\n\nٹوکیو: جاپان نے کہا کہ ’یہ معاہدہ خطرناک ہے۔‘ روس نے جواب نہیں دیا۔\n"


@pytest.fixture
def articles(tmp_path):
    folder = tmp_path / "articles"
    (folder / "nested").mkdir(parents=True)
    (folder / "one.txt").write_text(ARTICLE, encoding="utf-8")
    (folder / "nested" / "two.txt").write_bytes("\ufeff".encode() + ARTICLE.encode())  # BOM is fine
    feed = [
        {"id": "j1", "text": ARTICLE, "title": "عنوان", "url": "https://example.com/j1"},
        {"id": "j2", "text": "پیانگ یانگ نے خیرمقدم کیا۔"},
    ]
    (folder / "feed.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in feed), "utf-8"
    )
    (folder / "page.html").write_text(
        "<html lang='ur'><head><title>صفحہ</title></head><body><nav>Home About</nav><article>"
        "<h1>سیئول کا بیان</h1><p>جنوبی کوریا نے اس تعاون پر گہری تشویش ظاہر کی ہے۔ "
        "وزارت خارجہ کے ترجمان نے کہا کہ یہ خطے کے امن کے لیے خطرہ ہے۔</p>"
        "<p>ماسکو نے اس بیان پر کوئی تبصرہ نہیں کیا۔</p></article><footer>Copyright</footer></body></html>",
        "utf-8",
    )
    (folder / "notes.md").write_text("ignored: not an article type", "utf-8")
    return folder


def rows_of(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_a_directory_is_read_recursively_in_every_format(articles):
    result = CliRunner().invoke(cli, ["sentences", str(articles)])
    assert result.exit_code == 0, result.output
    rows = rows_of(result.stdout)
    assert {r["article_id"] for r in rows} == {"one", "two", "j1", "j2", "page"}
    one = [r for r in rows if r["article_id"] == "one"]
    assert [r["kind"] for r in one] == ["heading", "sentence", "sentence"]
    assert one[1]["text"] == "ٹوکیو: جاپان نے کہا کہ ’یہ معاہدہ خطرناک ہے۔‘"
    assert [m["party"] for m in one[1]["mentions"]] == ["japan"]  # the dateline is not a speaker
    # the BOM is not part of the text; identical text gives identical ids within another article id
    two = [r for r in rows if r["article_id"] == "two"]
    assert [r["text"] for r in two] == [r["text"] for r in one]
    page = [r["text"] for r in rows if r["article_id"] == "page"]
    assert "جنوبی کوریا نے اس تعاون پر گہری تشویش ظاہر کی ہے۔" in page
    assert not any("Home" in t or "Copyright" in t for t in page)
    assert next(r for r in rows if r["article_id"] == "j1")["url"] == "https://example.com/j1"


def test_bad_files_are_named_with_the_reason_and_the_rest_goes_on(articles, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "latin1.txt").write_bytes("Urdu in the wrong encoding: caf\xe9".encode("latin-1"))
    (bad / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (bad / "empty.txt").write_bytes(b"")
    (bad / "broken.jsonl").write_text(
        '{"id": "ok", "text": "روس نے کہا۔"}\n{not json\n{"text": "no id"}\n', "utf-8"
    )
    result = CliRunner().invoke(
        cli, ["sentences", str(articles / "one.txt"), str(bad), "missing.txt"]
    )
    assert result.exit_code == 1
    err = result.stderr
    assert f"skipped: {bad / 'latin1.txt'}: is not UTF-8 (byte 0xe9 at offset 31)" in err
    assert f"skipped: {bad / 'binary.txt'}: is binary" in err
    assert f"skipped: {bad / 'empty.txt'}: is empty" in err
    assert f"skipped: {bad / 'broken.jsonl'}:2: not valid JSON" in err
    assert f"skipped: {bad / 'broken.jsonl'}:3: missing or empty key(s) id" in err
    assert "skipped: missing.txt: no such file or directory" in err
    assert "Error: 6 inputs skipped" in err
    rows = rows_of(result.stdout)
    assert {r["article_id"] for r in rows} == {"one", "ok"}


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_output_files_in_each_format_hold_the_same_rows(articles, tmp_path, fmt):
    out = tmp_path / f"units.{fmt}"
    result = CliRunner().invoke(cli, ["sentences", str(articles / "one.txt"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    if fmt == "jsonl":
        frame = pd.read_json(out, lines=True)
    elif fmt == "csv":
        frame = pd.read_csv(out)
    else:
        frame = pd.read_parquet(out)
    assert list(frame["text"]) == [
        "جاپان کا ردعمل",
        "ٹوکیو: جاپان نے کہا کہ ’یہ معاہدہ خطرناک ہے۔‘",
        "روس نے جواب نہیں دیا۔",
    ]
    assert list(frame["index"]) == [0, 1, 2]
    mentions = frame["mentions"].iloc[1]
    mentions = json.loads(mentions) if isinstance(mentions, str) else list(mentions)
    assert [m["party"] for m in mentions] == ["japan"]
    assert not list(tmp_path.glob(".units*.part"))  # the temporary file is gone


def test_a_run_whose_every_input_is_bad_keeps_the_previous_output(tmp_path):
    out = tmp_path / "units.jsonl"
    out.write_text("previous run\n", "utf-8")
    (tmp_path / "empty.txt").write_text("", "utf-8")
    result = CliRunner().invoke(cli, ["sentences", str(tmp_path / "empty.txt"), "-o", str(out)])
    assert result.exit_code == 1
    assert "Error: 1 input skipped" in result.stderr
    assert out.read_text("utf-8") == "previous run\n"
    assert not list(tmp_path.glob(".units*.part"))


def test_stdin_is_read_as_one_article():
    proc = subprocess.run(
        [sys.executable, "-m", "mauqif", "sentences", "-"],
        input=ARTICLE.encode(),
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    rows = rows_of(proc.stdout.decode())
    assert [r["article_id"] for r in rows] == ["stdin"] * 3


def test_a_bad_schema_names_the_key(tmp_path, articles):
    schema = tmp_path / "schema.toml"
    schema.write_text('[topic]\nid = "t"\nen = "T"\n', "utf-8")
    result = CliRunner().invoke(
        cli, ["sentences", str(articles / "one.txt"), "--schema", str(schema)]
    )
    assert result.exit_code == 1
    assert "Error:" in result.stderr and "`topic.ur`" in result.stderr


def test_help_explains_with_an_example():
    result = CliRunner().invoke(cli, ["sentences", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "mauqif sentences" in result.output

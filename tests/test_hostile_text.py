"""Hostile text: huge lines, invisible characters, emoji. What a user relies on.

- A unit longer than the cleaning rules' `max_unit_chars` is cut at the best boundary, noted in
  the row, and nothing of it is lost; every offset still indexes the text.
- What annotators see is what the text says: bidi controls and other invisible characters are
  gone from the units, ZWNJ/ZWJ stay where Urdu (or an emoji) needs them.
- Label Studio results are built and read back at the offsets Label Studio uses, and a span
  stored in UTF-16 units (older Label Studio) is read back as the text it names.
"""

from __future__ import annotations

import json
import random
import unicodedata
from importlib import resources

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from mauqif.annotate.exceptions import SchemaError
from mauqif.annotate.labels import labels_table
from mauqif.annotate.normalize import normalize_with_map, visible_text
from mauqif.annotate.pipeline import Segmenter, with_title
from mauqif.annotate.reader import Article
from mauqif.annotate.segment import clean_text, load_cleaning_rules
from mauqif.annotate.studio.results import (
    UTF16,
    code_point_offset,
    parse_result,
    prediction_result,
    utf16_offset,
)
from mauqif.cli.main import cli

# Our own words; any order of them is Urdu-looking text without a sentence end.
WORDS = [
    "روس",
    "نے",
    "شمالی",
    "کوریا",
    "کے",
    "ساتھ",
    "تعاون",
    "بڑھانے",
    "پر",
    "زور",
    "دیا",
    "اور",
    "جاپان",
    "کی",
    "حکومت",
    "نے",
    "اس",
    "پر",
    "تشویش",
    "ظاہر",
    "کی",
    "جب",
    "کہ",
    "سیول",
    "میں",
    "وزارت",
    "خارجہ",
    "کا",
    "بیان",
    "بھی",
    "سامنے",
    "آیا",
]
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"


def one_line(chars: int, seed: int = 7, every: int = 0, mark: str = "،") -> str:
    """Random words up to `chars` characters, on one line, with no sentence end; with `every`,
    `mark` after roughly every `every` characters."""
    rng = random.Random(seed)
    out, size, since = [], 0, 0
    while size < chars:
        word = rng.choice(WORDS)
        if every and since >= every:
            word += mark
            since = 0
        out.append(word)
        size += len(word) + 1
        since += len(word) + 1
    return " ".join(out)


@pytest.fixture(scope="module")
def rules():
    return load_cleaning_rules()


def cleaned_of(article: Article, segmenter: Segmenter) -> str:
    return clean_text(with_title(article, segmenter.rules), segmenter.rules)


def check_offsets(rows: list[dict], cleaned: str) -> None:
    for row in rows:
        assert cleaned[row["start"] : row["end"]] == row["text"]
        for m in row["mentions"]:
            assert row["text"][m["start"] : m["end"]] == m["alias"]


# ---- long units -------------------------------------------------------------------------------


def test_a_huge_line_without_a_sentence_end_is_cut_into_noted_pieces_and_nothing_is_lost(
    segmenter, rules
):
    article = Article(id="huge", text=one_line(30_000))
    rows = segmenter.units(article)
    cleaned = cleaned_of(article, segmenter)
    limit = rules.max_unit_chars
    assert len(rows) >= 30_000 // limit
    assert all(len(r["text"]) <= limit for r in rows)
    assert [r["note"] for r in rows] == [
        f"cut: longer than {limit} characters (part {i} of {len(rows)})"
        for i in range(1, len(rows) + 1)
    ]
    check_offsets(rows, cleaned)
    # Nothing dropped: only whitespace between the pieces, and they cover the whole text.
    assert rows[0]["start"] == 0 and rows[-1]["end"] == len(cleaned)
    for before, after in zip(rows, rows[1:], strict=False):
        assert cleaned[before["end"] : after["start"]].isspace()
    # Cut at spaces: every piece ends and starts with a whole word.
    assert all(r["text"].split()[-1] in WORDS and r["text"].split()[0] in WORDS for r in rows)
    assert sum(len(r["mentions"]) for r in rows) > 100


def test_a_long_unit_is_cut_after_clause_punctuation_when_it_has_some(segmenter, rules):
    rows = segmenter.units(Article(id="clauses", text=one_line(9_000, every=300)))
    assert len(rows) > 4
    assert all(r["text"].endswith("،") for r in rows[:-1])
    assert all(r["note"].startswith(f"cut: longer than {rules.max_unit_chars}") for r in rows)


def test_a_long_run_without_spaces_is_cut_hard_but_never_inside_a_character(segmenter, rules):
    # A letter with a diacritic, and an emoji joined by ZWJ, repeated with no space at all.
    for atom in ("کِ", FAMILY, "🇯🇵"):
        text = "روس نے کہا " + atom * (3 * rules.max_unit_chars // len(atom))
        rows = segmenter.units(Article(id="run", text=text))
        assert len(rows) >= 2
        assert "".join(r["text"].replace(" ", "") for r in rows) == text.replace(" ", "")
        for row in rows[1:]:
            first = row["text"][0]
            assert unicodedata.category(first) not in ("Mn", "Mc")
            assert first not in ("\u200d", "\u200c")
        if atom != "کِ":  # a family or a flag stays whole: each later piece is made of them
            assert all(r["text"] == atom * (len(r["text"]) // len(atom)) for r in rows[1:])


def test_ordinary_units_have_no_note(segmenter):
    rows = segmenter.units(Article(id="short", text="روس نے کہا۔ جاپان نے انکار کیا۔"))
    assert [r["note"] for r in rows] == ["", ""]


def test_a_long_line_is_text_even_when_it_opens_like_page_furniture(segmenter):
    text = "یہ بھی پڑھیں " + one_line(5_000)
    rows = segmenter.units(Article(id="read-also", text=text))
    assert rows[0]["text"].startswith("یہ بھی پڑھیں")
    assert sum(len(r["text"]) for r in rows) >= len(text) - len(rows)


def test_the_limit_comes_from_the_cleaning_rules(tmp_path, segmenter):
    toml = resources.files("mauqif.annotate").joinpath("cleaning.toml").read_text("utf-8")
    assert "max_unit_chars = 2000" in toml
    path = tmp_path / "rules.toml"
    path.write_text(toml.replace("max_unit_chars = 2000", "max_unit_chars = 500"), "utf-8")
    small = Segmenter(segmenter.schema, load_cleaning_rules(path))
    rows = small.units(Article(id="limit", text=one_line(2_000)))
    assert len(rows) >= 4 and all(len(r["text"]) <= 500 for r in rows)
    path.write_text(toml.replace("max_unit_chars = 2000", "max_unit_chars = 5"), "utf-8")
    with pytest.raises(SchemaError, match="max_unit_chars must be at least 100"):
        load_cleaning_rules(path)


def test_mauqif_sentences_writes_the_note_column(tmp_path):
    path = tmp_path / "one-line.txt"
    path.write_text(one_line(5_000), "utf-8")
    result = CliRunner().invoke(cli, ["sentences", str(path)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) >= 3
    assert all(r["note"].startswith("cut: longer than 2000 characters") for r in rows)


# ---- invisible characters ---------------------------------------------------------------------


def test_bidi_controls_are_gone_from_what_annotators_see_and_offsets_stay_right(segmenter):
    # An override that would show "جاپان نے حمایت کی" reversed, marks, an isolate, a BOM, a soft
    # hyphen, a word joiner, and control characters: none reaches a unit, its context or title.
    text = (
        "\u202eجاپان نے حمایت کی\u202c اور \u2067روس\u2069 نے کہا\u200f۔\n"
        "شمالی\u00ad کوریا\u2060 کے \ufeffوفد نے سیول کا\x1b دورہ\x00 کیا\u061c۔"
    )
    article = Article(id="bidi", text=text, title="\u202eروس\u202c کا بیان")
    rows = segmenter.units(article)
    hidden = set(BIDI + "\u00ad\u2060\ufeff\x1b\x00")
    for row in rows:
        for field in ("text", "context", "title"):
            assert not hidden & set(row[field]), (field, row[field])
    assert [r["text"] for r in rows] == [
        "روس کا بیان",
        "جاپان نے حمایت کی اور روس نے کہا۔",
        "شمالی کوریا کے وفد نے سیول کا دورہ کیا۔",
    ]
    assert {m["alias"] for r in rows for m in r["mentions"]} == {
        "روس",
        "جاپان",
        "شمالی کوریا",
        "سیول",
    }
    check_offsets(rows, cleaned_of(article, segmenter))


def test_joiners_stay_where_urdu_and_emoji_need_them_and_go_where_they_only_hide(segmenter):
    # ZWNJ inside a word, ZWJ inside a name (the name is still found), ZWJ in an emoji sequence:
    # kept. Joiners at a word's edge or alone between spaces: removed. ZWSP looks like ZWNJ.
    text = f"ہم\u200cخیال \u200dرو\u200dس\u200d نے \u200c {FAMILY} جاپان سے\u200bکہا۔"
    article = Article(id="joiners", text=text)
    [row] = segmenter.units(article)
    assert row["text"] == f"ہم\u200cخیال رو\u200dس نے  {FAMILY} جاپان سے\u200cکہا۔"
    assert [(m["party"], m["alias"]) for m in row["mentions"]] == [
        ("russia", "رو\u200dس"),
        ("japan", "جاپان"),
    ]
    check_offsets([row], cleaned_of(article, segmenter))


def test_lone_surrogates_and_control_characters_do_not_reach_the_output():
    assert visible_text("روس\ud83d نے\x00 کہا\x07") == "روس\ufffd نے کہا"
    assert visible_text("ایک\x0cدو\u2029تین") == "ایک\nدو\nتین"


@given(st.text())
def test_visible_text_keeps_no_bidi_control_and_is_idempotent(text):
    shown = visible_text(text)
    assert not set(BIDI) & set(shown)
    assert visible_text(shown) == shown


# ---- normalisation stays exact (it is now built with str.translate) ---------------------------


def reference_normalize_with_map(text: str) -> tuple[str, list[int]]:
    """The per-character definition, slow and obvious."""
    from mauqif.annotate.normalize import _expand_uncached, _resolve_heh

    chars, origin = [], []
    for i, ch in enumerate(text):
        expanded = _expand_uncached(ch)
        chars.extend(expanded)
        origin.extend([i] * len(expanded))
    return _resolve_heh("".join(chars)), origin


@given(st.text(alphabet=st.characters(codec="utf-8")) | st.text("پهركيىہ ِ ً ـ ﷺ ﻻ"))
def test_normalisation_with_map_is_the_per_character_definition(text):
    assert normalize_with_map(text) == reference_normalize_with_map(text)


# ---- Label Studio results: offsets both ways --------------------------------------------------

TEXT = f"😀 روس نے کہا کہ 🇯🇵 جاپان اور {FAMILY} سیول"
UNIT = {
    "text": TEXT,
    "mentions": [
        {"party": p, "start": TEXT.index(a), "end": TEXT.index(a) + len(a)}
        for p, a in (("russia", "روس"), ("japan", "جاپان"), ("south_korea", "سیول"))
    ],
}


def span_texts(result: list[dict], text: str) -> list[str]:
    return [text[r["value"]["start"] : r["value"]["end"]] for r in result if r["type"] == "labels"]


def test_a_prediction_places_each_span_on_its_mention_after_emoji(schema):
    result = prediction_result(UNIT, None, schema)
    assert span_texts(result, TEXT) == ["روس", "جاپان", "سیول"]
    assert [r["value"]["text"] for r in result] == ["روس", "جاپان", "سیول"]


def test_utf16_offsets_are_what_javascript_counts(schema):
    result = prediction_result(UNIT, None, schema, offsets=UTF16)
    as_js = TEXT.encode("utf-16-le")
    for r in result:
        start, end = r["value"]["start"], r["value"]["end"]
        assert as_js[2 * start : 2 * end].decode("utf-16-le") == r["value"]["text"]


def test_spans_stored_in_code_points_or_in_utf16_units_are_read_back_as_their_text(schema):
    for offsets in ("code_points", UTF16):
        result = prediction_result(UNIT, {"sentiment": "neutral"}, schema, offsets=offsets)
        parsed = parse_result(result, schema, text=TEXT)
        assert [(m["party"], m["alias"]) for m in parsed.mentions] == [
            ("russia", "روس"),
            ("japan", "جاپان"),
            ("south_korea", "سیول"),
        ]
        assert all(TEXT[m["start"] : m["end"]] == m["alias"] for m in parsed.mentions)
        assert parsed.labels["sentiment"] == "neutral"
        assert parsed.unknown == []


def test_a_span_that_names_text_not_at_its_offsets_is_kept_aside_not_misplaced(schema):
    wrong = {
        "from_name": "mentions",
        "type": "labels",
        "value": {"start": 0, "end": 3, "text": "جاپان", "labels": ["japan"]},
    }
    parsed = parse_result([wrong], schema, text=TEXT)
    assert parsed.mentions == []
    assert parsed.unknown == [{"from_name": "mentions", "value": wrong["value"]}]


def test_the_labels_table_reads_spans_of_an_export_with_utf16_offsets(schema):
    result = prediction_result(UNIT, None, schema, offsets=UTF16)
    task = {"id": 1, "data": {"text": TEXT, "sentence_id": "s1"}, "annotations": [{"id": 1}]}
    task["annotations"][0]["result"] = result
    [row] = labels_table([task], schema).to_dict("records")
    assert [TEXT[m["start"] : m["end"]] for m in row["mentions"]] == ["روس", "جاپان", "سیول"]


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40), st.data())
def test_utf16_and_code_point_offsets_convert_both_ways(text, data):
    i = data.draw(st.integers(0, len(text)))
    assert code_point_offset(text, utf16_offset(text, i)) == i
    assert utf16_offset(text, i) == len(text[:i].encode("utf-16-le")) // 2


def test_cut_pieces_keep_their_mentions_with_right_offsets(segmenter):
    text = one_line(6_000, seed=3)
    rows = segmenter.units(Article(id="m", text=text))
    assert sum(len(r["mentions"]) for r in rows) > 100
    for row in rows:
        for m in row["mentions"]:
            assert row["text"][m["start"] : m["end"]] == m["alias"]


def test_the_quick_check_for_hidden_characters_misses_none_of_unicode():
    # visible_text returns a text untouched when this regex finds nothing in it.
    from mauqif.annotate.normalize import _MAYBE_HIDDEN, _shown_as

    changed = (chr(c) for c in range(0x110000) if _shown_as(c) != chr(c))
    assert [hex(ord(ch)) for ch in changed if not _MAYBE_HIDDEN.match(ch)] == []


def test_a_huge_title_does_not_repeat_in_full_on_every_row(segmenter, rules):
    # Each row carries the title: cut to the unit limit, the output stays linear in the input.
    title = one_line(50_000, seed=5)
    rows = segmenter.units(Article(id="t", text="روس نے کہا۔ جاپان نے انکار کیا۔", title=title))
    assert len(rows) > 20  # the title itself became units (cut), then the two sentences
    assert all(len(r["title"]) == rules.max_unit_chars for r in rows)
    assert rows[-1]["text"] == "جاپان نے انکار کیا۔"


@pytest.mark.parametrize(
    "line",
    [
        "روس" + " " * 1990 + "نے کہا",  # once quadratic in the `|` and `،` piece splitting
        "(" + " " * 1990 + "روس نے کہا",  # once cubic in the `(جاری ہے)` pattern
        "ماسکو ۔ پیر" + " " * 1990 + "روس نے کہا",  # once quadratic in the dateline
        "روس" + "\t\u00a0 " * 700 + "نے کہا",
    ],
)
def test_long_runs_of_spaces_are_text_like_any_other(segmenter, line):
    article = Article(id="spaces", text=line)
    rows = segmenter.units(article)
    assert " ".join(r["text"] for r in rows).split() == line.split()
    check_offsets(rows, cleaned_of(article, segmenter))


def test_normalisation_stays_exact_on_text_with_every_character_of_the_bmp():
    # Thousands of characters whose form is not one character (marks, ligatures, Hangul) take
    # the offset map from a second table instead of a regex: the result is the same.
    text = "".join(chr(c) for c in range(0x20, 0x10000) if not 0xD800 <= c < 0xE000)
    assert normalize_with_map(text) == reference_normalize_with_map(text)
    from mauqif.annotate.normalize import _EXPANSIONS, IRREGULAR_REGEX_MAX

    assert len(_EXPANSIONS.irregular) > IRREGULAR_REGEX_MAX
    sample = "کِم جونگ اُن ﷺ ﻻ 한국 ½"
    assert normalize_with_map(sample) == reference_normalize_with_map(sample)

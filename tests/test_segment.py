"""Cleaning and segmentation on real Urdu news (UD treebank, seed articles) and on the hard cases."""

import re

import pytest

from conftest import SEEDS, UD_SENTENCES
from mauqif.annotate.reader import Article
from mauqif.annotate.segment import clean_text, load_cleaning_rules, split_units
from segmentation_eval import boundary_f1

RULES = load_cleaning_rules()


def units(text: str) -> list[tuple[str, str]]:
    cleaned = clean_text(text, RULES)
    return [(cleaned[s.start : s.end], s.kind) for s in split_units(cleaned, RULES)]


def texts(text: str) -> list[str]:
    return [t for t, _ in units(text)]


def test_boundary_f1_on_ud_urdu_gold_sentences_is_at_least_097():
    sentences = [
        line.strip() for line in UD_SENTENCES.read_text("utf-8").splitlines() if line.strip()
    ]
    assert len(sentences) > 1000
    precision, recall, f1 = boundary_f1(sentences, RULES)
    assert f1 >= 0.97, (precision, recall, f1)


@pytest.fixture(scope="module")
def seed_units(segmenter):
    assert len(SEEDS) == 3
    return {
        seed.stem: segmenter.units(Article(id=seed.stem, text=seed.read_text("utf-8")))
        for seed in SEEDS
    }


BOILERPLATE = re.compile(
    r"یہ بھی پڑھیں|مزید پڑھ|زیادہ پڑھی جانے والی|Related Articles|Back to top|whatsapp channel|Related Nodes"
    r"|Send us a message|chat with a doctor|سبمٹ کریں",
    re.IGNORECASE,
)


def test_no_boilerplate_survives_in_the_seed_articles(seed_units):
    for rows in seed_units.values():
        for row in rows:
            assert not BOILERPLATE.search(row["text"]), row["text"]
            assert re.search(r"[\u0600-\u06ff]", row["text"]), row["text"]


def test_no_seed_unit_is_a_lone_quote_mark_or_starts_with_a_closing_one(seed_units):
    for rows in seed_units.values():
        for row in rows:
            assert row["text"].strip("‘’“”\"' ۔") != "", row
            assert not row["text"].startswith(("‘", "”")), row["text"]


def test_no_seed_unit_splits_inside_a_number(seed_units):
    for rows in seed_units.values():
        for previous, row in zip(rows, rows[1:], strict=False):
            assert not (previous["text"][-1:].isdigit() and row["text"][:1].isdigit()), (
                previous,
                row,
            )
            assert not re.match(r"^[.,۔٫]\d", row["text"]), row["text"]


def test_the_seed_read_also_headline_with_a_question_mark_is_gone_and_headings_are_kept(seed_units):
    rows = next(rows for name, rows in seed_units.items() if name.startswith("002"))
    kinds = [row["kind"] for row in rows]
    assert kinds.count("heading") >= 5
    assert all("؟" not in row["text"] for row in rows if row["kind"] == "heading")


def test_offsets_slice_the_cleaned_text(seed_units, segmenter):
    for seed in SEEDS:
        cleaned = clean_text(seed.read_text("utf-8"), segmenter.rules)
        for row in seed_units[seed.stem]:
            assert cleaned[row["start"] : row["end"]] == row["text"]


def test_a_full_stop_without_a_space_still_ends_the_sentence():
    assert texts("اس نے کام مکمل کیا۔انھوں نے کہا کہ وہ خوش ہیں۔") == [
        "اس نے کام مکمل کیا۔",
        "انھوں نے کہا کہ وہ خوش ہیں۔",
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "ملک میں 15,000 فوجی موجود ہیں۔",
        "شرح نمو 3.5 فیصد رہی۔",
        "شرح نمو 3۔5 فیصد رہی۔",
        "یہ معاہدہ 2022 میں ہوا اور پھر... بات آگے بڑھی۔",
        "انھوں نے کہا… ہم دیکھیں گے۔",
    ],
)
def test_numbers_and_ellipses_never_split_a_sentence(sentence):
    assert texts(sentence) == [sentence]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "انھوں نے کہا کہ ’ہم ساتھ ہیں۔‘ اس کے بعد اجلاس ختم ہوا۔",
            ["انھوں نے کہا کہ ’ہم ساتھ ہیں۔‘", "اس کے بعد اجلاس ختم ہوا۔"],
        ),
        (
            "انھوں نے کہا “ہم تیار ہیں۔” پھر وہ چلے گئے۔",
            ["انھوں نے کہا “ہم تیار ہیں۔”", "پھر وہ چلے گئے۔"],
        ),
        (
            "انھوں نے کہا کہ ’ہم ساتھ ہیں۔ ہم ساتھ رہیں گے۔‘",
            ["انھوں نے کہا کہ ’ہم ساتھ ہیں۔", "ہم ساتھ رہیں گے۔‘"],
        ),
        (
            "وزیر نے کہا: ’یہ اچھا ہے۔‘‘ دوسرا جملہ۔",
            ["وزیر نے کہا: ’یہ اچھا ہے۔‘‘", "دوسرا جملہ۔"],
        ),
        ("کیا یہ درست ہے؟ ہاں یہ درست ہے!", ["کیا یہ درست ہے؟", "ہاں یہ درست ہے!"]),
    ],
)
def test_a_closing_quote_mark_belongs_to_the_sentence_before_it(text, expected):
    assert texts(text) == expected


def test_short_unpunctuated_lines_are_headings_or_captions():
    text = "روس اور شمالی کوریا کا معاہدہ\n\nپہلا جملہ یہاں ہے۔\n\nملاقات کی ایک تصویر (اے ایف پی)\n\nدوسرا جملہ۔"
    assert units(text) == [
        ("روس اور شمالی کوریا کا معاہدہ", "heading"),
        ("پہلا جملہ یہاں ہے۔", "sentence"),
        ("ملاقات کی ایک تصویر (اے ایف پی)", "caption"),
        ("دوسرا جملہ۔", "sentence"),
    ]


def test_a_long_line_that_does_not_end_a_sentence_continues_on_the_next_line():
    first = "یہ ایک بہت لمبا جملہ ہے جو " * 10
    text = first.strip() + "\nیہاں ختم ہوتا ہے۔ اگلا جملہ۔"
    result = texts(text)
    assert result == [first.strip() + " یہاں ختم ہوتا ہے۔", "اگلا جملہ۔"]


@pytest.mark.parametrize(
    "furniture",
    [
        "یہ بھی پڑھیں: کیا جنگ ختم ہو جائے گی؟",
        "مزید پڑھیں: سرحد پر کشیدگی",
        "سب سے زیادہ پڑھی جانے والی",
        "whatsapp channel.jpeg",
        "(Related Nodes field)",
    ],
)
def test_page_furniture_lines_are_removed_before_splitting(furniture):
    text = f"پہلا جملہ ہے۔\n{furniture}\nدوسرا جملہ ہے۔"
    assert texts(text) == ["پہلا جملہ ہے۔", "دوسرا جملہ ہے۔"]


def test_everything_after_back_to_top_is_page_furniture():
    text = "پہلا جملہ ہے۔\n\nBack to top button\nاپنا سوال یہاں لکھیں۔\nSend us a message"
    assert texts(text) == ["پہلا جملہ ہے۔"]

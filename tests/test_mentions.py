"""Party mentions: aliases and spelling variants found, the known pitfalls not."""

import pytest

from mauqif.annotate.mentions import MentionFinder


@pytest.fixture(scope="module")
def find(schema):
    finder = MentionFinder(schema)
    return lambda text, **kw: [(m["party"], m["alias"]) for m in finder.find(text, **kw)]


@pytest.mark.parametrize(
    "text, party, alias",
    [
        ("پوتن نے کہا۔", "russia", "پوتن"),
        ("پیوٹن نے کہا۔", "russia", "پیوٹن"),
        ("پوٹن نے کہا۔", "russia", "پوٹن"),
        ("کریملن نے کہا۔", "russia", "کریملن"),
        ("کرملن نے کہا۔", "russia", "کرملن"),
        ("خبر رساں ادارے ٹاس نے بتایا۔", "russia", "ٹاس"),
        ("پیانگ یانگ نے کہا۔", "north_korea", "پیانگ یانگ"),
        ("پیونگ یانگ نے کہا۔", "north_korea", "پیونگ یانگ"),
        ("پیونگیانگ نے کہا۔", "north_korea", "پیونگیانگ"),
        ("کم جونگ اُن نے کہا۔", "north_korea", "کم جونگ اُن"),
        ("کِم جونگ اُن نے کہا۔", "north_korea", "کِم جونگ اُن"),
        ("کیم جونگ ان نے کہا۔", "north_korea", "کیم جونگ ان"),
        ("كم جونگ ان نے کہا۔", "north_korea", "كم جونگ ان"),  # Arabic kaf
        ("کے سی این اے نے کہا۔", "north_korea", "کے سی این اے"),
        ("سیئول نے کہا۔", "south_korea", "سیئول"),
        ("سیول نے کہا۔", "south_korea", "سیول"),
        ("ٹوکیو نے کہا۔", "japan", "ٹوکیو"),
        ("جاپانی وزیر اعظم نے کہا۔", "japan", "جاپانی وزیر اعظم"),  # the official is the party
    ],
)
def test_aliases_and_spelling_variants_are_found(find, text, party, alias):
    assert find(text) == [(party, alias)]


@pytest.mark.parametrize(
    "text",
    [
        "کم از کم دس افراد زخمی ہوئے۔",  # کم is "less"
        "قیمتیں کم ہو گئیں۔",
        "کوریا کی ٹیم جیت گئی۔",  # کوریا alone is either Korea
        "کورین جزیرہ نما پر کشیدگی ہے۔",
        "سول سوسائٹی نے احتجاج کیا۔",  # سول is "civil"
        "جون میں بارش ہوئی۔",  # جون is June
        "پاکستان نے ٹاس جیت کر بیٹنگ کا فیصلہ کیا۔",  # a cricket toss
        "روسو کے فلسفے پر بات ہوئی۔",  # Rousseau
        "روسیف برازیل کی صدر تھیں۔",  # Rousseff
        "ان کے پوتے نے کہا۔",  # پوت is not Putin
        "کم جونگ ڈے نے کہا۔",  # a South Korean ex-lawmaker, not Kim Jong Un
    ],
)
def test_known_pitfalls_are_not_mentions(find, text):
    assert find(text) == []


def test_north_and_south_korea_together_name_both(find):
    assert sorted(find("شمالی اور جنوبی کوریا کے درمیان کشیدگی ہے۔")) == [
        ("north_korea", "شمالی اور جنوبی کوریا"),
        ("south_korea", "شمالی اور جنوبی کوریا"),
    ]


def test_the_longest_alias_wins(find):
    assert find("شمالی کوریائی فوجی۔") == [("north_korea", "شمالی کوریائی")]


def test_a_dateline_names_a_place_not_a_speaker(find):
    assert find("ٹوکیو(یو این پی) جاپان نے کہا۔", paragraph_start=True) == [("japan", "جاپان")]
    assert find("سیئول: جنوبی کوریا نے کہا۔", paragraph_start=True) == [
        ("south_korea", "جنوبی کوریا")
    ]
    # the same words inside a paragraph are mentions
    assert find("وفد ٹوکیو (جاپان) پہنچا۔") == [("japan", "ٹوکیو"), ("japan", "جاپان")]


def test_offsets_index_the_original_text_even_with_diacritics(schema):
    text = "کل کِم جونگ اُن نے ماسکو کا دورہ کیا۔"
    for m in MentionFinder(schema).find(text):
        assert text[m["start"] : m["end"]] == m["alias"]
    assert [m["alias"] for m in MentionFinder(schema).find(text)] == ["کِم جونگ اُن", "ماسکو"]

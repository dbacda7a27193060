"""Party mentions: aliases and spelling variants found, the known pitfalls not."""

import pytest

from mauqif.annotate.mentions import (
    ArticleMentions,
    MentionFinder,
    find_in_articles,
    learn_aliases,
)
from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.reader import Article


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
        ("جاپانی وزیر اعظم نے کہا۔", "japan", "جاپانی"),
        # a party's officials by name alone, as a headline names them after a comma
        ("یوکرین کی مدد جاری رہے گی، یون سک یول", "south_korea", "یون سک یول"),
        ("شنزو آبے نے کہا۔", "japan", "شنزو آبے"),
        ("تاکائچی نے کہا۔", "japan", "تاکائچی"),
        ("دمتری میدویدیف نے کہا۔", "russia", "دمتری میدویدیف"),
        ("طاس نیوز ایجنسی کے مطابق۔", "russia", "طاس"),
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
        "چاندی کے طاس میں پانی تھا۔",  # طاس is a bowl
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


# ---- as real news names them: glue, spellings, initials, titles, learned aliases ------------


@pytest.mark.parametrize(
    "text, party, alias",
    [
        ("اجلاس میں کوجنوبی کوریا نے کہا۔", "south_korea", "جنوبی کوریا"),  # کو glued before
        ("وفد کےروس پہنچنے پر بات ہوئی۔", "russia", "روس"),
        ("شمالی کوریاسے رابطہ ہوا۔", "north_korea", "شمالی کوریا"),  # سے glued after
        ("صدرپوتن نے کہا۔", "russia", "پوتن"),  # a title glued before the name
    ],
)
def test_a_glued_postposition_or_title_is_a_word_boundary(find, text, party, alias):
    assert find(text) == [(party, alias)]


@pytest.mark.parametrize(
    "text",
    [
        "دروس کی کتاب کھلی رہی۔",  # دروس (lessons): no glued word before روس
        "روسکا نام لیا گیا۔",  # س joins the letter after it: no writer glues there
    ],
)
def test_glue_only_where_the_script_shows_a_gap(find, text):
    assert find(text) == []


@pytest.mark.parametrize(
    "text, party, alias",
    [
        ("پوتین نے کہا۔", "russia", "پوتین"),  # an inner ی more (loose form)
        ("لاوورف نے کہا۔", "russia", "لاوورف"),  # vowels moved (loose form)
        ("بیلاسوف نے کہا۔", "russia", "بیلاسوف"),  # one letter other (similarity)
        ("ولادیمیرپوتن نے کہا۔", "russia", "ولادیمیرپوتن"),  # a name of two words as one
    ],
)
def test_spelling_variants_of_long_names_are_found(find, text, party, alias):
    assert find(text) == [(party, alias)]


@pytest.mark.parametrize(
    "text",
    [
        "رسی ٹوٹ گئی۔",  # rope: a short word is never matched loosely (روسی)
        "روسیوں کی تعداد بڑھی۔",  # an inflection, not a spelling
        "پتن پر کشتیاں کھڑی ہیں۔",
    ],
)
def test_short_words_are_not_matched_loosely(find, text):
    assert find(text) == []


@pytest.mark.parametrize(
    "text, party, alias",
    [
        ("این آئی ایس نے بتایا۔", "south_korea", "این آئی ایس"),
        ("ایف ایس بی نے بتایا۔", "russia", "ایف ایس بی"),
        ("KCNA نے بتایا۔", "north_korea", "KCNA"),
    ],
)
def test_state_agencies_and_services_by_their_initials(find, text, party, alias):
    assert find(text) == [(party, alias)]


@pytest.mark.parametrize("text", ["یونہاپ نے بتایا۔", "کیوڈو نیوز کے مطابق۔"])
def test_private_news_agencies_are_not_their_country(find, text):
    assert find(text) == []


def test_a_speaker_named_by_title_only_takes_the_country_of_the_context(find):
    said = "وزارت خارجہ کے ترجمان نے کہا کہ یہ الزامات بے بنیاد ہیں۔"
    assert find(said, context="جاپان نے اس معاملے پر وضاحت طلب کی۔") == [
        ("japan", "وزارت خارجہ کے ترجمان")
    ]
    # the same title owned by a party in the context, when the context names two
    assert find(said, context="جنوبی کوریا کی وزارت خارجہ نے روس کے سفیر کو طلب کیا۔") == [
        ("south_korea", "وزارت خارجہ کے ترجمان")
    ]
    assert find(said) == []  # no context: no country
    assert find(said, context="روس اور جاپان کے وفود ملے۔") == []  # two parties: no one country


def test_a_title_with_its_country_in_the_sentence_is_that_country(find):
    assert find("جنوبی کوریا کے صدر نے کہا۔", context="روس نے کہا۔") == [
        ("south_korea", "جنوبی کوریا")
    ]
    assert find("روسی وزیر خارجہ نے کہا۔", context="جاپان نے کہا۔") == [("russia", "روسی")]


@pytest.mark.parametrize(
    "text",
    [
        "صدر ٹرمپ نے کہا کہ بات چیت ہوگی۔",  # a name follows: the title is that person's
        "امریکی وزارت خارجہ نے کہا کہ بات چیت ہوگی۔",  # another country's
        "یوکرین کے وزیر خارجہ نے کہا کہ بات چیت ہوگی۔",  # someone's
    ],
)
def test_a_title_of_someone_else_takes_no_country_from_the_context(find, text):
    assert find(text, context="روس نے مذاکرات کی پیشکش کی۔") == []


def test_learned_aliases_are_found_and_the_schema_wins(schema):
    finder = MentionFinder(schema, {"russia": ["ارکادی زیمونوف"], "japan": ["روس"]})
    found = [(m["party"], m["alias"]) for m in finder.find("ارکادی زیمونوف نے روس میں کہا۔")]
    assert found == [("russia", "ارکادی زیمونوف"), ("russia", "روس")]


def test_aliases_are_learned_from_spans_no_alias_covers(schema):
    def span(text, alias, party):
        start = text.index(alias)
        return {"party": party, "start": start, "end": start + len(alias)}

    units = [
        ("ارکادی زیمونوف نے کہا۔", [span("ارکادی زیمونوف نے کہا۔", "ارکادی زیمونوف", "russia")]),
        ("روس نے کہا۔", [span("روس نے کہا۔", "روس", "russia")]),  # known alias
        ("انہوں نے کہا۔", [span("انہوں نے کہا۔", "انہوں", "japan")]),  # a pronoun
        ("وزارت خارجہ نے کہا۔", [span("وزارت خارجہ نے کہا۔", "وزارت خارجہ", "japan")]),
        # marked for two parties: nobody's name
        ("تاکیدا ہارو نے کہا۔", [span("تاکیدا ہارو نے کہا۔", "تاکیدا ہارو", "japan")]),
        ("تاکیدا ہارو نے لکھا۔", [span("تاکیدا ہارو نے لکھا۔", "تاکیدا ہارو", "south_korea")]),
    ]
    assert learn_aliases(units, schema) == {"russia": ("ارکادی زیمونوف",)}


# ---- people an article introduces by title ---------------------------------------------------


def test_a_person_introduced_by_title_is_found_by_name_later_in_the_article(schema):
    reader = ArticleMentions(MentionFinder(schema))
    reader.find("جاپانی وزیر خارجہ تاکیشی موریتا نے کہا کہ ٹوکیو صورتحال پر نظر رکھے ہوئے ہے۔")
    later = reader.find("تاکیشی موریتا نے مزید کہا کہ بات چیت جاری رہے گی۔")
    by_surname = reader.find("موریتا کا کہنا تھا کہ فیصلہ اگلے ہفتے ہوگا۔")
    assert [(m["party"], m["alias"]) for m in later] == [("japan", "تاکیشی موریتا")]
    assert [(m["party"], m["alias"]) for m in by_surname] == [("japan", "موریتا")]
    # Another article has not met him: the name alone is nobody's.
    assert MentionFinder(schema).find("تاکیشی موریتا نے مزید کہا۔") == []


def test_a_genitive_title_introduces_its_countrys_person(schema):
    reader = ArticleMentions(MentionFinder(schema))
    reader.find("جنوبی کوریا کے وزیر دفاع پارک سیونگ چول نے بریفنگ دی۔")
    assert reader.names == {"پارک سیونگ چول": "south_korea"}
    assert [m["party"] for m in reader.find("پارک سیونگ چول نے کہا۔")] == ["south_korea"]


@pytest.mark.parametrize(
    "text",
    [
        "روسی صدر نے کہا کہ ملاقات مفید رہی۔",  # no name after the title
        "روسی صدر بھی اس موقع پر موجود تھے۔",  # a particle, not a name
        "امریکی صدر جان اسمتھ نے کہا۔",  # another country's title
        "صدر جان اسمتھ نے کہا۔",  # a title no party owns
        "روسی صدر ولادیمیر پوتن نے کہا۔",  # a name the finder knows already
    ],
)
def test_no_person_is_introduced_without_an_owned_title_and_a_new_name(schema, text):
    reader = ArticleMentions(MentionFinder(schema))
    reader.find(text)
    assert reader.names == {}


def test_units_of_an_article_are_read_in_their_order(schema):
    finder = MentionFinder(schema)
    texts = ["موریتا نے کہا۔", "جاپانی وزیر خارجہ تاکیشی موریتا ٹوکیو میں ہیں۔"]
    # Given out of order, with their index: the introduction comes first.
    found = find_in_articles(finder, texts, ["", ""], ["a1", "a1"], [1, 0])
    assert [m["party"] for m in found[0]] == ["japan"]
    # The same sentences in two articles: the name alone is nobody's.
    found = find_in_articles(finder, texts, ["", ""], ["a1", "a2"], [1, 0])
    assert found[0] == []


def test_segmenting_an_article_marks_the_introduced_person(schema):
    segmenter = Segmenter.default(schema)
    text = (
        "جاپانی وزیر خارجہ تاکیشی موریتا نے پیر کو پریس کانفرنس سے خطاب کیا۔ "
        "موریتا نے کہا کہ ان کا ملک صورتحال کا جائزہ لے رہا ہے۔"
    )
    units = list(segmenter.units(Article(id="own-1", text=text)))
    assert [(m["party"], m["alias"]) for m in units[1]["mentions"]] == [("japan", "موریتا")]


def test_a_dateline_after_a_heading_is_no_mention_when_units_say_their_kind(schema):
    """Labelled units (JSONL with `kind`) are read as the segmenter reads a page: a heading is
    a paragraph of its own, so the unit after it opens a paragraph and its `سیئول:` is a
    dateline; the same words inside a paragraph are a mention."""
    texts = [
        "اجلاس ملتوی",
        "سیئول: حکومت نے اجلاس ملتوی کر دیا۔",
        "سیئول: حکومت نے اجلاس ملتوی کر دیا۔",
    ]
    kinds = ["heading", "sentence", "sentence"]
    finder = MentionFinder(schema)
    found = find_in_articles(finder, texts, [""] * 3, ["a1"] * 3, [0, 1, 2], kinds)
    assert found[1] == []
    assert [m["party"] for m in found[2]] == ["south_korea"]
    unknown = find_in_articles(finder, texts, [""] * 3, ["a1"] * 3, [0, 1, 2])
    assert [m["party"] for m in unknown[1]] == ["south_korea"]  # without kinds: as before


def test_an_introduced_full_name_is_found_in_another_spelling_later(schema):
    reader = ArticleMentions(MentionFinder(schema))
    reader.find("جاپانی وزیر اعظم شنزو ایبے نے ماسکو کا دورہ کیا۔")
    later = "صدر نے بتایا کہ شنزو ابے نے منصوبہ قبول نہیں کیا۔"
    found = [(later[m["start"] : m["end"]], m["party"]) for m in reader.find(later)]
    assert found == [("شنزو ابے", "japan")]
    # a short word is never matched loosely: ابے alone is nobody
    assert reader.find("ابے نے کہا۔") == []

"""Page furniture and datelines: `mauqif sentences` on furniture-laden pages, and each rule alone.

The pages under tests/data/pages are invented for these tests, one per kind of Urdu news site;
tests/data/pages/expected.toml lists the news units each must give.
"""

import json
import re
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import SEEDS
from mauqif.annotate.exceptions import SchemaError
from mauqif.annotate.reader import Article
from mauqif.annotate.segment import (
    clean_text,
    dropped_lines,
    furniture_reason,
    load_cleaning_rules,
    split_units,
)
from mauqif.cli import cli

PAGES = Path(__file__).parent / "data" / "pages"
EXPECTED = tomllib.loads((PAGES / "expected.toml").read_text("utf-8"))
RULES = load_cleaning_rules()
RULES_TOML = Path(__file__).parent.parent / "annotate" / "cleaning.toml"


def texts(text: str, rules=RULES) -> list[str]:
    cleaned = clean_text(text, rules)
    return [cleaned[s.start : s.end] for s in split_units(cleaned, rules)]


# --- the real `mauqif sentences` path on whole pages ---------------------------------------------


@pytest.fixture(scope="module")
def page_rows() -> dict[str, list[dict]]:
    result = CliRunner().invoke(cli, ["sentences", str(PAGES)])
    assert result.exit_code == 0, result.output
    rows: dict[str, list[dict]] = {}
    for line in result.stdout.splitlines():
        row = json.loads(line)
        rows.setdefault(row["article_id"], []).append(row)
    return rows


def test_every_page_style_is_tested():
    assert len(EXPECTED) >= 5
    assert {p.stem for p in PAGES.iterdir() if p.suffix in (".txt", ".html")} == set(EXPECTED)


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_a_page_gives_exactly_its_news_units_headings_included(page_rows, page):
    assert [row["text"] for row in page_rows[page]] == EXPECTED[page]["units"]


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_no_unit_of_a_page_is_page_furniture(page_rows, page):
    for row in page_rows[page]:
        assert furniture_reason(row["text"], RULES) is None, row["text"]
        assert not re.search(r"شیئر|تبصر|ٹیگ|ڈیسک$|حقوق محفوظ|جاری ہے|مزید پڑھ", row["text"])


@pytest.mark.parametrize("page", sorted(EXPECTED))
def test_a_dateline_opens_its_first_sentence_and_is_not_split_off(page_rows, page):
    units = [row["text"] for row in page_rows[page]]
    for dateline in EXPECTED[page]["datelines"]:
        opening = [u for u in units if u.startswith(dateline)]
        assert len(opening) == 1 and len(opening[0]) > len(dateline) + 10, (dateline, units)


def test_the_mention_offsets_of_a_dateline_sentence_still_slice_its_text(page_rows):
    row = next(r for r in page_rows["wire_briefs"] if r["text"].startswith("ماسکو۔"))
    assert row["mentions"], row
    for m in row["mentions"]:
        assert row["text"][m["start"] : m["end"]] == m["alias"]


# --- the seed articles (real news: run the tool on them, never copy them) ------------------------


@pytest.fixture(scope="module")
def seed_rows(segmenter):
    return [
        row
        for seed in SEEDS
        for row in segmenter.units(Article(id=seed.stem, text=seed.read_text("utf-8")))
    ]


def test_no_seed_unit_is_page_furniture(seed_rows):
    for row in seed_rows:
        assert furniture_reason(row["text"], RULES) is None, row["text"]


def test_no_seed_dateline_is_split_from_its_sentence(seed_rows):
    for previous, row in zip(seed_rows, seed_rows[1:], strict=False):
        place_alone = re.fullmatch(r"[^\s\d]+(\s+[^\s\d]+){0,3}\s*۔", previous["text"])
        assert not (place_alone and re.match(r"[\d۰-۹(]", row["text"])), (previous, row)


# --- each family of patterns --------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, family",
    [
        ("اپنی رائے دیں", "comment_prompts"),
        ("اس خبر پر تبصرہ کریں", "comment_prompts"),
        ("کمنٹس", "comment_prompts"),
        ("5 تبصرے", "comment_prompts"),
        ("یہ خبر شیئر کریں", "share_prompts"),
        ("شیئر کیجیے", "share_prompts"),
        ("فیس بک  واٹس ایپ  ٹوئٹر", "share_prompts"),
        ("رپورٹ: عامر جاوید", "bylines"),
        ("تحریر: صبا نورین", "bylines"),
        ("نامہ نگار کاشف اقبال", "bylines"),
        ("ویب ڈیسک", "bylines"),
        ("نیوز ڈیسک", "bylines"),
        ("— سلمان حیدر", "bylines"),
        ("(اے پی پی)", "desk_and_agency_tags"),
        ("ایجنسیاں", "desk_and_agency_tags"),
        ("مانیٹرنگ ڈیسک", "bylines"),
        ("(ٹاس/اے پی پی)", "desk_and_agency_tags"),
        ("ایڈیٹر: نعیم بخاری", "masthead"),
        ("چیف ایڈیٹر", "masthead"),
        ("جملہ حقوق محفوظ ہیں", "masthead"),
        ("روزنامہ مشرق نو", "masthead"),
        ("بین الاقوامی", "section_labels"),
        ("تازہ ترین", "section_labels"),
        ("دنیا", "section_labels"),
        ("صفحہ اول » دنیا", "section_labels"),
        ("اہم خبریں", "read_also"),
        ("شائع شدہ 12 مئی 2025", "posted_lines"),
        ("اپ ڈیٹ 14:30", "posted_lines"),
        ("پوسٹ کیا گیا: 12 مئی", "posted_lines"),
        ("12 مئی 2025", "dates"),
        ("منگل 12 مئی 2025ء", "dates"),
        ("2025-05-12 14:30", "dates"),
        ("۱۲ مئی ۲۰۲۵", "dates"),
        ("3 گھنٹے پہلے", "dates"),
        ("(جاری ہے)", "continuation"),
        ("(مزید پڑھیں)", "read_also"),
        ("ٹیگز:", "tags"),
        ("ٹیگز: روس، شمالی کوریا", "tags"),
        ("#روس #شمالی_کوریا", "tags"),
        ("،تصویر کا ذریعہGetty Images", "photo_credits"),
        ("فوٹو: اے ایف پی", "photo_credits"),
    ],
)
def test_a_furniture_line_is_dropped_by_its_family(line, family):
    assert furniture_reason(line, RULES) == family
    assert texts(f"پہلا جملہ ہے۔\n{line}\nدوسرا جملہ ہے۔") == ["پہلا جملہ ہے۔", "دوسرا جملہ ہے۔"]


@pytest.mark.parametrize(
    "line",
    [
        "پوتن کا دورہ پیانگ یانگ، کم جونگ ان سے ملاقات",
        "روس کا ردعمل",
        "تاریخی معاہدہ",
        "روس، چین اور شمالی کوریا",
        "سرکاری ٹی وی کا دعویٰ",
        "تصویر: پیانگ یانگ میں معاہدے پر دستخط کی تقریب (فائل فوٹو)",
        "شائع شدہ اعداد و شمار کے مطابق تجارت دگنی ہو گئی۔",
        "رپورٹ کے مطابق روس نے 2024 میں تیل فراہم کیا۔",
        "روس نے اس پر تبصرہ کرنے سے انکار کر دیا۔",
        "ماسکو (ویب ڈیسک) روس نے معاہدے کی تصدیق کر دی۔",
        "12 مئی کو پوتن پیانگ یانگ پہنچے۔",
        "KN-23 میزائل کی رینج تقریباً 600 کلومیٹر بتائی جاتی ہے۔",
        "اشاعت میں تاخیر",
        "سرکاری ٹی وی",
        "کاپی رائٹ قانون میں ترمیم پر بحث",
        "نمائندے کا بیان",
    ],
)
def test_news_that_looks_like_furniture_is_kept(line):
    assert furniture_reason(line, RULES) is None
    assert texts(f"پہلا جملہ ہے۔\n{line}\nدوسرا جملہ ہے۔")[1] == line


# --- the structural rules -----------------------------------------------------------------------


def test_a_short_headline_between_a_section_label_and_a_byline_stays():
    text = "تازہ ترین\nروس کا ردعمل\nویب ڈیسک\nروس نے کہا کہ وہ تیار ہے۔"
    assert texts(text) == ["روس کا ردعمل", "روس نے کہا کہ وہ تیار ہے۔"]


def test_label_fragments_between_furniture_go_with_the_rule_named():
    text = "خبر نامہ\nدنیا\nکرکٹ\nہاکی\nویب ڈیسک\nروس اور چین کا اجلاس\nروس نے کہا کہ وہ تیار ہے۔"
    assert texts(text) == ["روس اور چین کا اجلاس", "روس نے کہا کہ وہ تیار ہے۔"]
    assert ("کرکٹ", "between_furniture") in dropped_lines(text, RULES)
    assert ("خبر نامہ", "between_furniture") in dropped_lines(text, RULES)


def test_a_sub_heading_next_to_furniture_stays():
    text = "پہلا جملہ ہے۔\nیہ بھی پڑھیں: کیا جنگ ختم ہو گی؟\nپس منظر\nدوسرا جملہ ہے۔\n12 مئی 2025"
    assert texts(text) == ["پہلا جملہ ہے۔", "پس منظر", "دوسرا جملہ ہے۔"]


def test_a_name_alone_at_the_end_is_a_byline_but_a_title_alone_is_news():
    assert texts("روس نے کہا کہ وہ تیار ہے۔\n\nعمران ساجد خان") == ["روس نے کہا کہ وہ تیار ہے۔"]
    assert dropped_lines("روس نے کہا۔\nعمران ساجد", RULES) == [("عمران ساجد", "trailing_byline")]
    assert texts("یوکرین جنگ") == ["یوکرین جنگ"]
    assert texts("روس نے کہا۔\nتصویر: ماسکو") == ["روس نے کہا۔", "تصویر: ماسکو"]  # a caption


def test_a_mostly_latin_line_goes_but_an_urdu_sentence_with_latin_words_stays():
    assert furniture_reason("Posted by admin | 12 مئی", RULES) == "mostly_latin"
    assert furniture_reason("Getty Images کی تصویر", RULES) == "mostly_latin"
    assert furniture_reason("Kim Jong Un said: ہم ساتھ ہیں۔", RULES) is None  # ends in ۔


def test_a_tags_line_and_a_line_of_furniture_pieces_go():
    assert furniture_reason("روس، شمالی کوریا، ماسکو، پیانگ یانگ", RULES) == "tag_list"
    assert furniture_reason("روس، چین، ایران اور شمالی کوریا کا نیا اتحاد", RULES) is None
    assert furniture_reason("ویب ڈیسک | 12 مئی 2025 | 14:30", RULES) == "furniture_pieces"
    assert furniture_reason("منگل، 12 مئی 2025", RULES) is not None


# --- datelines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "dateline",
    [
        "پیانگ یانگ ۔ 12 مئی (ایجنسی):",
        "ماسکو۔ 3 جون (اے پی پی)",
        "اسلام آباد ۔ (اے پی پی)",
        "نئی دہلی۔ منگل، 12 مئی 2025ء ۔",
        "سیئول (رائٹرز) —",
        "ٹوکیو:",
    ],
)
def test_a_dateline_stays_at_the_start_of_the_first_sentence(dateline):
    text = f"{dateline} روس نے معاہدے کی تصدیق کی۔ دوسرا جملہ ہے۔"
    assert texts(text) == [f"{dateline} روس نے معاہدے کی تصدیق کی۔", "دوسرا جملہ ہے۔"]


def test_a_dateline_alone_on_its_line_is_joined_to_the_sentence_after_it():
    text = "سرخی یہاں ہے\n\nماسکو۔ 3 جون (اے پی پی)\nروس نے معاہدے کی تصدیق کی۔"
    assert texts(text) == ["سرخی یہاں ہے", "ماسکو۔ 3 جون (اے پی پی) روس نے معاہدے کی تصدیق کی۔"]


def test_a_short_first_sentence_is_still_a_sentence():
    assert texts("وہ آ گئے۔ پھر بات ہوئی۔") == ["وہ آ گئے۔", "پھر بات ہوئی۔"]
    assert texts("وہ آ گئے۔ 12 افراد زخمی ہوئے۔") == ["وہ آ گئے۔", "12 افراد زخمی ہوئے۔"]
    # a verb says it is a sentence, not a place in a dateline
    assert texts("یہ درست ہے۔ (اے ایف پی) کے مطابق بات ہوئی۔") == [
        "یہ درست ہے۔",
        "(اے ایف پی) کے مطابق بات ہوئی۔",
    ]


def test_a_continuation_mark_after_the_last_full_stop_is_not_a_unit():
    text = "روس نے کہا کہ وہ تیار ہے۔ (جاری ہے)\nجاپان نے تشویش ظاہر کی۔ (اے پی پی)"
    assert texts(text) == ["روس نے کہا کہ وہ تیار ہے۔", "جاپان نے تشویش ظاہر کی۔"]


# --- the rules are configuration ----------------------------------------------------------------


def test_a_structural_rule_can_be_switched_off_in_the_toml(tmp_path):
    toml = RULES_TOML.read_text("utf-8").replace(
        "drop_trailing_bylines = true", "drop_trailing_bylines = false"
    )
    (tmp_path / "cleaning.toml").write_text(toml, "utf-8")
    rules = load_cleaning_rules(tmp_path / "cleaning.toml")
    assert texts("روس نے کہا۔\n\nعمران ساجد", rules) == ["روس نے کہا۔", "عمران ساجد"]


def test_a_bad_pattern_names_the_file(tmp_path):
    toml = RULES_TOML.read_text("utf-8").replace("drop_unit = [", "drop_unit = [\n    '(unclosed',")
    (tmp_path / "bad.toml").write_text(toml, "utf-8")
    with pytest.raises(SchemaError, match="bad.toml: bad cleaning rules"):
        load_cleaning_rules(tmp_path / "bad.toml")

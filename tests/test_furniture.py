"""Furniture by general signals, on our own invented pages: lines an outlet repeats on its pages,
prompts and forms by their shape, a paper's staff and desks, initials; dots that end no
sentence; and the measurement that counts all of it against a gold segmentation."""

import json

import pytest
from click.testing import CliRunner

from mauqif.annotate.alignment import align, gold_units, segmentation_report
from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.reader import Article
from mauqif.annotate.segment import clean_text, furniture_reason, load_cleaning_rules, split_units
from mauqif.annotate.sitelines import RepeatRules, line_key, repeated_lines, site_of
from mauqif.cli import cli

RULES = load_cleaning_rules()


def texts(text: str) -> list[str]:
    cleaned = clean_text(text, RULES)
    return [cleaned[s.start : s.end] for s in split_units(cleaned, RULES)]


# ---- an outlet's repeated furniture -------------------------------------------------------

SLOGAN = "سچ کی آواز ہر گھر تک"  # a site's slogan: it has a postposition, so no shape rule drops it
PROMPT = "ادارے کی پالیسی اور شرائط"  # a footer link, no shape rule either
STORIES = [
    "بارش سے شہر کی سڑکیں ڈوب گئیں۔ بلدیہ نے پانی نکالنے کا کام شروع کر دیا ہے۔",
    "کسانوں نے گندم کی نئی قیمت پر احتجاج کیا۔ حکومت نے کسانوں کو مذاکرات کے لیے کل دارالحکومت بلایا ہے۔",
    "شہر کے اسپتال میں نیا وارڈ کھل گیا۔ ڈاکٹروں نے پہلے دن ہی درجنوں مریضوں کا معائنہ شروع کر دیا۔",
]


def page(story: str, url: str | None, n: int, source: str = "") -> Article:
    return Article(id=f"p{n}", text=f"{SLOGAN}\n{story}\n{PROMPT}", url=url, source=source)


def unit_texts(segmenter: Segmenter, articles: list[Article]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in segmenter.iter_units(articles):
        out.setdefault(row["article_id"], []).append(row["text"])
    return out


def test_an_outlets_repeated_furniture_is_dropped_from_every_page_of_it(segmenter):
    pages = [page(s, f"https://www.example.pk/news/{i}", i) for i, s in enumerate(STORIES[:2])]
    units = unit_texts(segmenter, pages)
    for i, story in enumerate(STORIES[:2]):
        assert SLOGAN not in units[f"p{i}"] and PROMPT not in units[f"p{i}"]
        assert " ".join(units[f"p{i}"]) == story  # the story itself is all kept


def test_a_sub_heading_the_site_repeats_inside_its_stories_stays(segmenter):
    sub = "ماہرین کی نظر میں"  # a sub-heading between two sentences of each story
    pages = [
        Article(id=f"p{i}", text=f"{SLOGAN}\n{first}۔\n{sub}\n{second}", url=f"https://e.pk/{i}")
        for i, (first, second) in enumerate(story.split("۔ ") for story in STORIES)
    ]
    for units in unit_texts(segmenter, pages).values():
        assert sub in units and SLOGAN not in units


def test_one_page_alone_or_pages_of_different_sites_keep_those_lines(segmenter):
    alone = unit_texts(segmenter, [page(STORIES[0], "https://example.pk/1", 0)])
    assert alone["p0"][0] == SLOGAN and alone["p0"][-1] == PROMPT
    two_sites = [
        page(STORIES[0], "https://one.example.pk/1", 0),
        page(STORIES[1], "https://other.example.org/2", 1),
    ]
    assert all(SLOGAN in units for units in unit_texts(segmenter, two_sites).values())


def test_pages_without_a_url_are_grouped_by_their_directory(segmenter, tmp_path):
    here, there = tmp_path / "outlet" / "a.txt", tmp_path / "other" / "b.txt"
    same = [page(s, None, i, str(tmp_path / "outlet" / f"{i}.txt")) for i, s in enumerate(STORIES)]
    assert all(SLOGAN not in u for u in unit_texts(segmenter, same).values())
    apart = [page(STORIES[0], None, 0, str(here)), page(STORIES[1], None, 1, str(there))]
    assert all(SLOGAN in u for u in unit_texts(segmenter, apart).values())
    assert site_of("https://www.example.pk/x", "") == "example.pk"
    assert site_of(None, "feeds/day.jsonl:12") == "feeds/day.jsonl"


def test_two_copies_of_one_story_are_not_furniture_to_each_other(segmenter):
    copies = [
        page(STORIES[0], "https://example.pk/1", 0),
        page(STORIES[0], "https://example.pk/2", 1),
    ]
    units = unit_texts(segmenter, copies)
    assert units["p0"] == units["p1"] and SLOGAN in units["p0"]  # dedupe deals with copies


def test_a_wire_story_two_sites_edited_keeps_its_shared_headline(segmenter, tmp_path):
    headline = "شہر میں شدید بارش سے نظام زندگی مفلوج"
    body = [
        "محکمہ موسمیات کے مطابق شہر میں گزشتہ رات سے وقفے وقفے سے بارش جاری ہے۔",
        "نشیبی علاقوں میں پانی گھروں میں داخل ہو گیا اور کئی سڑکیں بند کر دی گئیں۔",
        "انتظامیہ نے شہریوں کو غیر ضروری طور پر گھروں سے نہ نکلنے کی ہدایت کی ہے۔",
    ]
    edited = [line.replace("شہر", "صوبائی دارالحکومت") for line in body]
    folder = tmp_path / "mixed"  # no URL: the two sites' pages are one group
    pages = [
        Article(id=f"p{i}", text="\n".join([headline, *lines]), source=str(folder / f"{i}.txt"))
        for i, lines in enumerate([body, edited])
    ]
    units = unit_texts(segmenter, pages)
    assert units["p0"][0] == headline and units["p1"][0] == headline


def test_a_repeated_sentence_needs_three_stories_a_short_line_two():
    sentence = "ہماری ویب سائٹ پر شائع ہونے والی ہر خبر کی ذمہ داری ادارے پر عائد ہوتی ہے۔"
    pages = [[sentence, "آج کا موسم", *story.split("۔ ")] for story in STORIES]
    rules = RepeatRules()
    two = repeated_lines(pages[:2], rules)
    assert line_key("آج کا موسم") in two and line_key(sentence) not in two
    assert line_key(sentence) in repeated_lines(pages, rules)


# ---- prompts and forms by their shape -------------------------------------------------------


@pytest.mark.parametrize(
    "prompt",
    [
        "ہماری موبائل ایپ ابھی ڈاؤن لوڈ کریں",
        "تازہ ترین خبروں کے لیے ہمارا چینل فالو کریں",
        "اپنا ای میل پتہ درج کریں",
        "آپ کا تبصرہ منظوری کے بعد نظر آئے گا",
        "جواب لکھیں",
        "خبریں براہ راست حاصل کرنے کے لیے یہاں کلک کریں",
        "اس ویب سائٹ کو دیکھنے کے لیے اپنے براؤزر میں جاوا اسکرپٹ چلائیں",
    ],
)
def test_prompts_and_forms_are_furniture_by_their_shape(prompt):
    assert furniture_reason(prompt, RULES) == "prompt"
    assert texts(f"شہر میں بارش ہوئی۔\n{prompt}\nسڑکیں بند ہیں۔") == [
        "شہر میں بارش ہوئی۔",
        "سڑکیں بند ہیں۔",
    ]


@pytest.mark.parametrize(
    "news",
    [
        "وزیر نے کہا کہ شہری نئی ایپ ڈاؤن لوڈ کریں۔",  # someone reported: news
        "دونوں ملک رابطے کے لیے ایک نیا چینل قائم کریں گے۔",  # a future, not an imperative
        "حکومت کی ویب سائٹ پر نتائج جاری",  # a headline: no imperative, no reader
        "روس کا جواب",
        "صدر اپنے وفد کے ساتھ یہاں پہنچے",  # اپنے is reflexive, not the reader
        "’آپ کو اس کا جواب دینا ہوگا‘",  # a quote may say آپ: an answer is not a form
    ],
)
def test_news_about_apps_channels_and_answers_is_not_a_prompt(news):
    assert furniture_reason(news, RULES) is None


@pytest.mark.parametrize(
    "line",
    [
        "• بانی: احمد علی خان",
        "مدیر اعلیٰ: سلیم اختر",
        "وادی نیوز ڈیسک",
        "پی این اے",
        "(ایس این این)",
        "گلشن اردو",
        "(فوٹو بشکریہ سرکاری میڈیا)",
        "تصویر: سوشل میڈیا",
        "فائل فوٹو",
    ],
)
def test_a_papers_staff_desks_initials_and_photo_credits_are_furniture(line):
    assert furniture_reason(line, RULES) is not None


@pytest.mark.parametrize(
    "line",
    [
        "وادی اردو  |  Jun 3, 2025",
        "Author: سلیم اختر",
        "رپورٹر: سلیم اختر",
        "تبصرے بند ہیں۔",
        "مقبول ترین",
        "اشتہار",
        "2,481 بار پڑھا گیا",
        "پڑھنے کا وقت: 4 منٹ",
    ],
)
def test_bylines_latin_dates_read_counts_and_closed_comment_boxes_are_furniture(line):
    assert furniture_reason(line, RULES) is not None


def test_the_headlines_listed_under_a_related_stories_header_are_furniture():
    related = ["شہر میں بارش کا امکان", "کسانوں کا احتجاج جاری", "کیا امتحان ملتوی ہوں گے؟"]
    text = "\n".join(["بارش ہوئی۔", "متعلقہ خبریں", *related, "سڑکیں بند ہیں۔"])
    assert texts(text) == ["بارش ہوئی۔", "سڑکیں بند ہیں۔"]
    # Under a box's header at the top, the article's own headline and sub-title stay.
    own = "مقبول خبریں\nشہر میں شدید بارش\nکئی علاقے زیر آب\nبارش ہوئی۔"
    assert texts(own) == ["شہر میں شدید بارش", "کئی علاقے زیر آب", "بارش ہوئی۔"]


def test_a_caption_that_says_what_the_picture_shows_stays():
    assert furniture_reason("تصویر: دریا کے کنارے سیلاب زدگان", RULES) is None
    assert furniture_reason("سرپرست اعلیٰ: حاجی احمد", RULES) is not None  # a role, a name
    assert furniture_reason("سابق بانی رہنما مستعفی: جماعت میں بحران", RULES) is None


# ---- dots that end no sentence --------------------------------------------------------------


def test_an_initials_dot_does_not_end_a_sentence():
    text = "وزیر خارجہ ایس۔ جے۔ کمار نے دورہ کیا۔ اگلے روز وہ واپس آئے۔"
    assert texts(text) == ["وزیر خارجہ ایس۔ جے۔ کمار نے دورہ کیا۔", "اگلے روز وہ واپس آئے۔"]
    assert texts("مصنف اے۔ کے۔ محمود ہیں۔") == ["مصنف اے۔ کے۔ محمود ہیں۔"]  # کے after an initial


def test_a_letter_name_that_is_a_common_word_still_ends_a_sentence():
    assert texts("انہوں نے کہا ہاں جی۔ پھر وہ چلے گئے۔") == [
        "انہوں نے کہا ہاں جی۔",
        "پھر وہ چلے گئے۔",
    ]
    assert texts("وہ کل شام واپس آئی۔ اگلا جملہ۔") == ["وہ کل شام واپس آئی۔", "اگلا جملہ۔"]


def test_a_latin_initial_or_title_does_not_end_a_sentence():
    assert texts("وزیر S. Kumar اور Dr. Rao نے دورہ کیا۔ اگلا جملہ۔") == [
        "وزیر S. Kumar اور Dr. Rao نے دورہ کیا۔",
        "اگلا جملہ۔",
    ]


def test_a_dot_inside_a_dateline_bracket_does_not_end_the_sentence():
    text = "کراچی (ہمارے نمائندے سے۔ 3 جون) شہر میں بارش ہوئی۔ سڑکیں ڈوب گئیں۔"
    assert texts(text) == [
        "کراچی (ہمارے نمائندے سے۔ 3 جون) شہر میں بارش ہوئی۔",
        "سڑکیں ڈوب گئیں۔",
    ]


def test_a_long_line_ending_in_a_verb_is_a_paragraph_that_lost_its_full_stop():
    first = (
        "شہر کی انتظامیہ نے بتایا کہ "
        + "نئی سڑکوں کی تعمیر کا کام جاری ہے اور " * 5
        + "جلد مکمل ہو گا"
    )
    second = "دوسری طرف شہریوں نے تاخیر کی شکایت کی۔"
    assert texts(f"{first}\n{second}") == [first, second]
    wrapped = first[:-6] + " کہا گیا ہے"  # the next line opens with کہ: hard-wrapped, one sentence
    assert texts(f"{wrapped}\nکہ کام جلد ہو گا۔") == [f"{wrapped} کہ کام جلد ہو گا۔"]


# ---- the measurement --------------------------------------------------------------------------


def test_alignment_names_what_became_of_each_gold_unit():
    page_text = "مینو\nپہلا جملہ ہے۔ دوسرا جملہ ہے۔\nتیسرا  جملہ ہے۔\nچوتھا جملہ۔"
    gold = ["پہلا جملہ ہے۔", "دوسرا جملہ ہے۔", "تیسرا جملہ ہے۔", "چوتھا جملہ۔"]
    units = ["مینو", "پہلا جملہ ہے۔ دوسرا جملہ ہے۔", "تیسرا  جملہ ہے۔"]
    result = align("a", page_text, gold, units)
    assert result.gold["exact"] == ["تیسرا جملہ ہے۔"]  # whitespace does not count
    assert result.gold["merged"] == gold[:2] and result.gold["missed"] == ["چوتھا جملہ۔"]
    assert result.furniture == ["مینو"]
    split = align(
        "b", "ایک، دو اور تین ہیں۔", ["ایک، دو اور تین ہیں۔"], ["ایک،", "دو اور تین ہیں۔"]
    )
    assert split.gold["split"] and not split.furniture


def test_sentences_check_prints_the_report(tmp_path):
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "one.txt").write_text(
        "جواب چھوڑیں\nشہر میں بارش ہوئی۔ سڑکیں بند ہیں۔\nہمارے ساتھ کام کرنے کا موقع", "utf-8"
    )
    gold = tmp_path / "gold.jsonl"
    rows = [
        {"article": "one.txt", "text": "شہر میں بارش ہوئی۔"},
        {"article": "one.txt", "text": "سڑکیں بند ہیں۔"},
    ]
    gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    result = CliRunner().invoke(cli, ["sentences", "--check", str(gold), str(folder)])
    assert result.exit_code == 0, result.output
    assert "found exactly   2 (1.000)" in result.stdout
    assert "furniture units 1" in result.stdout and "کام کرنے کا موقع" in result.stdout
    assert gold_units(gold) == {"one": [r["text"] for r in rows]}
    report = segmentation_report({"one": "x", "two": "y"}, [], gold_units(gold))
    assert report.without_gold == ["two"]

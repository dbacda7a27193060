"""The unit rows: ids stable across runs, offsets slice, context, and no crash on any input."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mauqif.annotate.exceptions import InputError
from mauqif.annotate.reader import Article
from mauqif.annotate.segment import clean_text

ARTICLE = "روس اور جاپان\n\nپوتن نے کہا کہ ’ہم ساتھ ہیں۔‘ جاپان نے تشویش ظاہر کی۔\nجاپان نے تشویش ظاہر کی۔"


def test_rows_carry_ids_context_offsets_and_mentions(segmenter):
    rows = segmenter.units(Article(id="a1", text=ARTICLE))
    assert [r["kind"] for r in rows] == ["heading", "sentence", "sentence", "sentence"]
    assert [r["index"] for r in rows] == [0, 1, 2, 3]
    assert rows[0]["context"] == ""
    assert [r["context"] for r in rows[1:]] == [r["text"] for r in rows[:-1]]
    cleaned = clean_text(ARTICLE, segmenter.rules)
    assert all(cleaned[r["start"] : r["end"]] == r["text"] for r in rows)
    assert {m["party"] for m in rows[1]["mentions"]} == {"russia"}
    # the same sentence twice in one article gets two ids
    assert rows[2]["text"] == rows[3]["text"]
    assert rows[2]["sentence_id"] != rows[3]["sentence_id"]


def test_sentence_ids_are_stable_across_runs_and_edits_elsewhere(segmenter):
    first = segmenter.units(Article(id="a1", text=ARTICLE))
    again = segmenter.units(Article(id="a1", text=ARTICLE))
    assert [r["sentence_id"] for r in first] == [r["sentence_id"] for r in again]
    edited = segmenter.units(Article(id="a1", text="نئی سرخی\n\n" + ARTICLE))
    assert {r["sentence_id"] for r in first} <= {r["sentence_id"] for r in edited}
    other = segmenter.units(Article(id="a2", text=ARTICLE))
    assert not {r["sentence_id"] for r in first} & {r["sentence_id"] for r in other}


def test_an_article_that_is_only_page_furniture_is_an_input_error(segmenter):
    try:
        segmenter.units(Article(id="x", text="Related Articles\nسب کچھ یہاں ہے۔", source="x.txt"))
    except InputError as exc:
        assert "x.txt" in str(exc) and "page furniture" in str(exc)
    else:
        raise AssertionError("expected an InputError")


urdu_ish = st.lists(
    st.sampled_from(
        list("روسکیجاپنشمالی ہےکہ۔؟!’‘“”\"'.,0123456789…\n ـِاُ\u200c") + ["کم جونگ ان", "پوتن"]
    ),
    max_size=120,
).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(max_size=300), urdu_ish))
def test_any_unicode_input_never_crashes_and_offsets_always_slice(segmenter, text):
    try:
        rows = segmenter.units(Article(id="h", text=text))
    except InputError:
        return  # nothing left to annotate: reported, not a crash
    cleaned = clean_text(text, segmenter.rules)
    for row in rows:
        assert row["text"] and row["text"] == row["text"].strip()
        assert cleaned[row["start"] : row["end"]] == row["text"]
        for m in row["mentions"]:
            assert row["text"][m["start"] : m["end"]] == m["alias"]

"""Sentence × party pairs: marking, windows, cues (mauqif.model.features)."""

import pandas as pd
import pytest

from mauqif.annotate.mentions import MentionFinder
from mauqif.annotate.schema import load_schema
from mauqif.model.features import NO_CONTEXT, NO_MENTION, pair_frame, tokenize, views

PARTIES = ["russia", "north_korea", "south_korea", "japan"]


@pytest.fixture(scope="module")
def finder():
    return MentionFinder(load_schema())


def pairs_of(text, context, finder):
    frame = pd.DataFrame({"text": [text], "context": [context], "mentions": [finder.find(text)]})
    return pair_frame(views(frame, finder), PARTIES).set_index("party")


def test_the_party_of_the_pair_is_marked_and_the_others_are_not(finder):
    pairs = pairs_of("جاپان نے روس اور شمالی کوریا کے تعاون پر تشویش ظاہر کی۔", "", finder)
    assert pairs.loc["japan", "sentence"].startswith("xtgt نے xoth")
    assert pairs.loc["russia", "sentence"].startswith("xoth نے xtgt")
    assert pairs.loc["south_korea", "window"] == NO_MENTION
    assert pairs.loc["japan", "context"] == NO_CONTEXT
    assert len(pairs) == 4 and list(pairs["row"]) == [0, 0, 0, 0]


def test_a_reporting_party_is_a_keyword_source_and_a_doer_is_not(finder):
    speaker = (
        pairs_of("جاپان کے وزیر دفاع نے کہا کہ یہ خطرہ ہے۔", "", finder)
        .loc["japan", "cues"]
        .split()
    )
    doer = (
        pairs_of("روس نے 2022 میں یوکرین پر حملہ کیا تھا۔", "", finder)
        .loc["russia", "cues"]
        .split()
    )
    assert "kw_source" in speaker
    assert "ergative" in doer and "kw_source" not in doer


def test_a_pronoun_speaker_points_to_the_party_of_the_context(finder):
    pairs = pairs_of(
        "انھوں نے کہا کہ ہم ہمیشہ ساتھ رہیں گے۔", "کم جونگ اُن نے لاوروف سے ملاقات کی۔", finder
    )
    north_korea = pairs.loc["north_korea", "cues"].split()
    japan = pairs.loc["japan", "cues"].split()
    assert {
        "pronoun_speaker",
        "in_context",
        "pronoun_context_party",
        "pronoun_context_only",
    } <= set(north_korea)
    assert "xtgt" in pairs.loc["north_korea", "context"]
    assert "in_context" not in japan


def test_mention_offsets_survive_normalisation_of_diacritics_and_arabic_letters():
    text = "کِم جونگ اُن نے كہا"  # diacritics and an Arabic kaf before the mention ends
    norm, tokens = tokenize(text, [{"party": "north_korea", "start": 0, "end": 12}])
    assert tokens[0] == frozenset({"north_korea"})
    assert tokens[1:] == ("نے", "کہا")


def article_pairs(sentences, finder, article=True):
    """Pairs of the last of `sentences`, one article in order (each the context of the next)."""
    frame = pd.DataFrame(
        {
            "text": sentences,
            "context": ["", *sentences[:-1]],
            "mentions": [finder.find(t) for t in sentences],
        }
    )
    if article:
        # rows out of order: `index` gives the order in the article
        frame = frame.assign(article_id="a1", index=range(len(sentences))).iloc[::-1]
    pairs = pair_frame(views(frame, finder), PARTIES)
    last = 0 if article else len(sentences) - 1
    return pairs[pairs["row"] == last].set_index("party")


def test_a_pronoun_chain_of_three_sentences_points_to_the_named_speaker(finder):
    sentences = [
        "روسی وزیر خارجہ نے ایک بیان جاری کیا۔",
        "انھوں نے کہا کہ دونوں ملک ساتھ ہیں۔",
        "انہوں نے مزید کہا کہ یہ دوستی بڑھے گی۔",
    ]
    russia = article_pairs(sentences, finder).loc["russia"]
    assert {"pronoun_speaker", "in_context", "pronoun_context_only"} <= set(russia["cues"].split())
    assert "xtgt" in russia["context"]
    # Without the article, only the context sentence is read: it names no party.
    alone = article_pairs(sentences, finder, article=False).loc["russia"]
    assert "in_context" not in alone["cues"].split()


def test_a_sentence_without_a_speaker_does_not_break_the_chain(finder):
    sentences = [
        "جاپان کے وزیر دفاع نے پریس کانفرنس کی۔",
        "یہ کانفرنس دارالحکومت میں ہوئی۔",
        "ان کا کہنا تھا کہ یہ تعاون خطرناک ہے۔",
    ]
    assert "in_context" in article_pairs(sentences, finder).loc["japan", "cues"].split()


def test_a_speaker_who_is_no_party_takes_the_pronoun(finder):
    sentences = [
        "جاپان کے وزیر دفاع نے پریس کانفرنس کی۔",
        "ماہرین نے کہا کہ صورتحال پیچیدہ ہے۔",
        "انہوں نے مزید کہا کہ یہ تعاون خطرناک ہے۔",
    ]
    assert "in_context" not in article_pairs(sentences, finder).loc["japan", "cues"].split()

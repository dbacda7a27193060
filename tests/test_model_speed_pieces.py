"""The piece table and the batch memo behind the vectorisers (`WORD_PIECES`) give scikit-learn's
matrices whatever the batches, resets and threads, and the pair table's shortcuts give the cues
their word-by-word definitions give: the second speed-up of issue 13 must not change what the
model says."""

import threading

import numpy as np
import pandas as pd
import pytest
from modeldata import labelled_tasks, same_matrix, small_model
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from mauqif.model import features as F
from mauqif.model.estimators import (
    WORD_PIECES,
    WordCharNgrams,
    WordNgrams,
    _char_wb_ngrams,
    _factorize_runs,
    _within_pieces,
    linear_predict_proba,
)
from mauqif.model.features import URDU_TOKEN_PATTERN, TopicCues, pair_frame, sentence_frame, views

TRAIN = [
    "روس نے کہا کہ تعاون بڑھے گا۔",
    "جاپان نے اس معاہدے پر تشویش ظاہر کی، اور کہا کہ خطرہ ہے۔",
    "xtgt نے کہا کہ xoth کے ساتھ تعاون بڑھے گا ۔",
    "کِتاب و قلم",
]
# As the vectorisers meet texts: marked sentences, punctuation on its own and glued to words,
# pieces of several tokens ("کہا،تعاون"), unknown words, empty and blank texts, punctuation
# only, and whitespace other than spaces (tab, newline, record separator, no-break space, em
# space).
TEXTS = [
    "xtgt نے کہا کہ xoth کے ساتھ تعاون بڑھے گا ۔",
    "جاپان نے کہا،تعاون بڑھے گا۔",
    "روس،جاپان،کوریا اور چین کہا،تعاون",
    "",
    "   ",
    "۔ ، ؟",
    "بالکل نیا لفظ\tاور\nروس\x1eجاپان\xa0کوریا\u2003چین",
    "و و و کِتاب",
    "xnomention",
]


def words_pair(pattern=URDU_TOKEN_PATTERN, ngrams=(1, 2)):
    ours = WordNgrams(token_pattern=pattern, ngram_range=ngrams).fit(TRAIN)
    theirs = TfidfVectorizer(
        token_pattern=pattern,
        lowercase=False,
        ngram_range=ngrams,
        sublinear_tf=True,
        dtype=np.float32,
    ).fit(TRAIN)
    return ours, theirs


def chars_pair():
    ours = WordCharNgrams(ngram_range=(2, 4)).fit(TRAIN)
    theirs = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), lowercase=False, sublinear_tf=True, dtype=np.float32
    ).fit(TRAIN)
    return ours, theirs


@pytest.mark.parametrize("ngrams", [(1, 1), (1, 2), (1, 3)])
def test_word_ngrams_by_piece_give_the_tfidf_vectorisers_matrix_in_any_batch(ngrams):
    WORD_PIECES.clear()
    ours, theirs = words_pair(ngrams=ngrams)
    expected = theirs.transform(TEXTS)
    same_matrix(ours.transform(TEXTS), expected)
    same_matrix(ours.transform(TEXTS[::-1]), theirs.transform(TEXTS[::-1]))  # pieces known now
    same_matrix(ours.transform(TEXTS[3:4]), theirs.transform(TEXTS[3:4]))  # one empty text
    with WORD_PIECES.batch():
        same_matrix(ours.transform(TEXTS), expected)
        same_matrix(ours.transform(TEXTS), expected)  # the texts remembered
    WORD_PIECES.clear()
    same_matrix(ours.transform(TEXTS), expected)


@pytest.mark.parametrize("pattern", [r"(?u)\b\w\w+\b", r"\S+", r"\w+|،"])
def test_a_token_pattern_that_may_cross_whitespace_scans_whole_texts(pattern):
    assert not _within_pieces(pattern)
    ours, theirs = words_pair(pattern)
    same_matrix(ours.transform(TEXTS), theirs.transform(TEXTS))


def test_which_token_patterns_are_read_piece_by_piece():
    assert _within_pieces(URDU_TOKEN_PATTERN)
    assert _within_pieces(r"\w+") and _within_pieces(r"(?u)[\w\-]+")
    assert not _within_pieces(r"[\w\s]+")  # a class holding whitespace
    assert not _within_pieces(r"[\w\xa0]+")  # … a no-break space, which str.split() cuts at
    assert not _within_pieces(r"\w\w+")


def test_char_ngrams_are_scikit_learns_for_every_word_length():
    words = ["و", "کے", "روس", "جاپان", "کِتاب", "پاکستانی", "۔", "x" * 12]
    for ngrams in [(1, 1), (1, 3), (2, 4), (2, 5), (3, 6), (5, 5)]:
        analyse = CountVectorizer(
            analyzer="char_wb", ngram_range=ngrams, lowercase=False
        ).build_analyzer()
        for word in words:
            assert _char_wb_ngrams(word, ngrams) == analyse(word), (word, ngrams)


def test_char_ngrams_by_piece_give_the_tfidf_vectorisers_matrix_in_any_batch():
    WORD_PIECES.clear()
    ours, theirs = chars_pair()
    expected = theirs.transform(TEXTS)
    with WORD_PIECES.batch():
        same_matrix(ours.transform(TEXTS), expected)
        same_matrix(ours.transform(TEXTS[::-1]), theirs.transform(TEXTS[::-1]))
    same_matrix(ours.transform(TEXTS), expected)


def test_a_reset_inside_a_batch_is_not_served_the_old_ids():
    words, words_theirs = words_pair()
    chars, chars_theirs = chars_pair()
    with WORD_PIECES.batch():
        words.transform(TEXTS)
        chars.transform(TEXTS)
        WORD_PIECES.clear()  # another thread filled the table: ids start again
        same_matrix(words.transform(TEXTS[::-1]), words_theirs.transform(TEXTS[::-1]))
        same_matrix(chars.transform(TEXTS[::-1]), chars_theirs.transform(TEXTS[::-1]))
    assert getattr(WORD_PIECES._local, "batch", None) is None  # the texts are forgotten


def test_threads_share_the_pieces_while_the_table_starts_again():
    words, words_theirs = words_pair()
    chars, chars_theirs = chars_pair()
    texts = [f"{t} لفظ{i}" for i in range(200) for t in TEXTS]  # new pieces in every batch
    expected = (words_theirs.transform(texts), chars_theirs.transform(texts))
    results, errors = [], []

    def work(start):
        try:
            for batch in range(start, len(texts), 300):
                part = slice(batch, batch + 300)
                with WORD_PIECES.batch():
                    results.append(
                        (part, words.transform(texts[part]), chars.transform(texts[part]))
                    )
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    small = WORD_PIECES.max_pieces
    WORD_PIECES.max_pieces = 150  # several resets while the threads run
    try:
        threads = [threading.Thread(target=work, args=(start,)) for start in (0, 100, 200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        WORD_PIECES.max_pieces = small
        WORD_PIECES.clear()
    assert not errors
    assert len(results) == 18  # each thread's six batches
    for part, w, c in results:
        same_matrix(w, expected[0][part])
        same_matrix(c, expected[1][part])


@pytest.mark.parametrize(
    "values",
    [
        ["a", "a", "a", "a", "b", "b", "b", "b", "a", "a", "a", "a"],
        ["a", "b", "c", "a", "b", "c"],
        ["x", None, None, "x", float("nan"), float("nan"), "y"],
        ["only"],
        [],
    ],
)
def test_collapsing_runs_gives_what_pandas_factorize_gives(values):
    array = np.asarray(values, dtype=object)
    uniques, codes = _factorize_runs(array)
    expected_codes, expected_uniques = pd.factorize(array, use_na_sentinel=False)
    np.testing.assert_array_equal(codes, expected_codes)
    assert [str(u) for u in uniques] == [str(u) for u in expected_uniques]


# Sentences for the cues: quotes, Latin and Urdu digits, number words, a pronoun speaker and a
# pronoun phrase, impersonal attribution, experts, mentions in the sentence and the context.
CUE_SENTENCES = [
    ("انھوں نے کہا کہ “ہم ساتھ ہیں” اور 2022 میں معاہدہ ہوا۔", "روس نے جاپان سے ملاقات کی۔"),
    ("ان کا کہنا تھا کہ ہزاروں افراد زخمی ہوئے۔", ""),
    ("خیال کیا جاتا ہے کہ ماہرین کی رائے میں خطرہ ہے۔", "یونیورسٹی کے پروفیسر نے کہا۔"),
    ("جاپان نے شمالی کوریا کی مذمت کی اور حمایت کا اعلان کیا۔", "جاپان نے کہا۔"),
    ("یہ بات روس نے کہی کہ ۲۰ فیصد دوستی باقی ہے ' اور \"", "ماہر نے کہا۔"),
    ("بارش ہوئی۔", ""),
]


def test_sentence_cues_are_the_word_by_word_definitions(schema):
    finder = small_model(schema).finder()
    frame = pd.DataFrame(
        {
            "text": [t for t, _ in CUE_SENTENCES],
            "context": [c for _, c in CUE_SENTENCES],
            "mentions": [finder.find(t) for t, _ in CUE_SENTENCES],
        }
    )
    topic = TopicCues.of(schema.topic)
    for v in views(frame, finder):
        words = [t for t in v.tokens if isinstance(t, str)]
        present = set(words)
        context_present = {t for t in v.context if isinstance(t, str)}
        shared = F._SentenceCues.of(v, topic)
        lexicon = F._lexicon
        assert shared.parties == frozenset().union(
            *(t for t in v.tokens if isinstance(t, frozenset))
        )
        assert shared.pronoun == F._pronoun_speaker(words)
        assert shared.quote == (not F.QUOTES.isdisjoint(present))
        assert shared.both == (not lexicon(F.BOTH).isdisjoint(present))
        assert shared.support == (not lexicon(F.SUPPORT_WORDS).isdisjoint(present))
        assert shared.condemn == (not lexicon(F.CONDEMN_WORDS).isdisjoint(present))
        assert shared.act == (not lexicon(F.ACT_WORDS).isdisjoint(present))
        assert shared.figures == (
            bool(F._DIGIT.search(" ".join(present)))
            or not lexicon(F.NUMBER_WORDS).isdisjoint(present)
        )
        assert shared.after == (not lexicon(F.AFTER_WORDS).isdisjoint(present))
        assert shared.impersonal == F._impersonal(words)
        assert shared.expert == (not lexicon(F.EXPERT_WORDS).isdisjoint(present))
        assert shared.context_expert == (not lexicon(F.EXPERT_WORDS).isdisjoint(context_present))
        positive = len(present & lexicon(F.POSITIVE)) + len(present & lexicon(F.SUPPORT_WORDS))
        negative = len(present & lexicon(F.NEGATIVE)) + len(present & lexicon(F.CONDEMN_WORDS))
        transfer = bool(present & lexicon(F.ARMS_WORDS)) and bool(
            present & lexicon(F.TRANSFER_WORDS)
        )
        judging = (present & (lexicon(F.NEGATIVE) | lexicon(F.CONDEMN_WORDS))) - lexicon(
            F.WAR_WORDS
        )
        if transfer and not judging:
            negative = 0
        cues = F._sentiment_cues(v).split()
        assert cues[:2] == [f"pos{min(positive, 3)}", f"neg{min(negative, 3)}"]
        assert ("figures" in cues) == bool(F._DIGIT.search(" ".join(present)))
        assert ("quote" in cues) == (not F.QUOTES.isdisjoint(present))
    flags = [F._SentenceCues.of(v, topic) for v in views(frame, finder)]
    assert flags[0].pronoun and flags[0].quote and flags[0].figures  # the cases are met
    assert flags[1].pronoun and flags[1].figures and flags[2].impersonal and flags[2].expert


def test_a_sentence_naming_no_party_gets_the_pairs_of_the_general_path(schema):
    """The shortcut for sentences that name no party, here or in the context, gives the rows the
    per-party path gives: the same sentence with a mention of a party elsewhere in the batch."""
    finder = small_model(schema).finder()
    texts = ["انھوں نے کہا کہ 2022 میں خطرہ تھا۔", "جاپان نے کہا کہ خطرہ ہے۔"]
    frame = pd.DataFrame({"text": texts, "context": ["", ""], "mentions": [[], []]})
    pairs = pair_frame(views(frame, finder), schema.party_ids)
    absent = pairs[pairs["row"] == 0]
    for party, row in zip(schema.party_ids, absent.itertuples(), strict=True):
        assert row.party == party and row.window == F.NO_MENTION
        assert row.sentence == " ".join(F.tokenize(texts[0], [])[1])
        assert row.context == F.NO_CONTEXT
        assert row.cues.split()[0] == f"p_{party}" and "not_in_sentence" in row.cues.split()


def test_the_models_batch_gives_the_probabilities_of_the_pipelines_path(schema):
    model = small_model(schema)
    tasks = labelled_tasks(7)[:40]
    frame = pd.DataFrame(
        {
            "text": [t["data"]["text"] for t in tasks],
            "context": [t["data"]["context"] for t in tasks],
        }
    )
    frame["mentions"] = [model.finder().find(t) for t in frame["text"]]
    WORD_PIECES.clear()
    stance, sentiment = model.predict_proba(frame)  # in a batch, every piece new
    vs = views(frame, model.finder())
    pairs = pair_frame(vs, schema.party_ids, topic=TopicCues.of(schema.topic))
    expected_stance = linear_predict_proba(model.pipelines["stance"], pairs)
    expected_sentiment = linear_predict_proba(model.pipelines["sentiment"], sentence_frame(vs))
    np.testing.assert_array_equal(stance.reshape(len(pairs), -1), expected_stance)
    np.testing.assert_array_equal(sentiment, expected_sentiment)

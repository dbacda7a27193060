"""The fast vectorisers give scikit-learn's matrices, and prediction gives the pipeline's
probabilities: the speed-up of issue 13 must not change what the model says."""

import pickle
import threading

import numpy as np
import pandas as pd
import pytest
from modeldata import labelled_tasks, same_matrix, small_model
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from mauqif.annotate.labels import aggregate, labels_table
from mauqif.model.estimators import (
    WORD_PIECES,
    CueTokens,
    WordCharNgrams,
    WordNgrams,
    linear_predict_proba,
)
from mauqif.model.features import URDU_TOKEN_PATTERN, TopicCues, pair_frame, sentence_frame, views
from mauqif.model.model import make_dataset
from mauqif.model.pipeline import ModelConfig, make_pipelines

# Invented for these tests: repeated words, a word the training texts lack, a one-letter word,
# punctuation, a diacritic, an empty text, a newline and a record separator inside a text.
TRAIN = [
    "روس نے کہا کہ تعاون بڑھے گا۔",
    "جاپان نے اس معاہدے پر تشویش ظاہر کی، اور کہا کہ خطرہ ہے۔",
    "سیئول میں وزیر نے کہا کہ کہا گیا تھا و بس",
    "کِتاب و قلم",
]
TEXTS = [
    "روس نے کہا کہ کہا کہ تعاون بڑھے گا۔",
    "",
    "بالکل نیا لفظ اور روس",
    "جاپان نے\nتشویش ظاہر کی \x1e اور خطرہ",
    "و و و کِتاب",
    "   ",
]


@pytest.mark.parametrize("ngrams", [(1, 1), (1, 2), (1, 3)])
def test_word_ngrams_give_the_tfidf_vectorisers_matrix(ngrams):
    ours = WordNgrams(token_pattern=URDU_TOKEN_PATTERN, ngram_range=ngrams).fit(TRAIN)
    theirs = TfidfVectorizer(
        token_pattern=URDU_TOKEN_PATTERN,
        lowercase=False,
        ngram_range=ngrams,
        sublinear_tf=True,
        dtype=np.float32,
    ).fit(TRAIN)
    same_matrix(ours.transform(TEXTS), theirs.transform(TEXTS))
    same_matrix(ours.transform(TRAIN), theirs.transform(TRAIN))
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())


def test_word_ngrams_refuse_ngrams_that_do_not_start_at_one():
    with pytest.raises(ValueError, match="must start at 1"):
        WordNgrams(ngram_range=(2, 3)).fit(TRAIN)


def test_char_ngrams_per_word_give_the_char_wb_vectorisers_matrix():
    WORD_PIECES.clear()
    ours = WordCharNgrams(ngram_range=(2, 5)).fit(TRAIN)
    theirs = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), lowercase=False, sublinear_tf=True, dtype=np.float32
    ).fit(TRAIN)
    expected = theirs.transform(TEXTS)
    same_matrix(ours.transform(TEXTS), expected)
    same_matrix(ours.transform(TEXTS), expected)  # the words are cached now: the same again
    # Another vectoriser in the process shares the piece table, with its own vocabulary.
    other = WordCharNgrams(ngram_range=(2, 5)).fit(TRAIN[:2])
    same_matrix(
        other.transform(TEXTS),
        TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 5),
            lowercase=False,
            sublinear_tf=True,
            dtype=np.float32,
        )
        .fit(TRAIN[:2])
        .transform(TEXTS),
    )


def test_the_piece_table_starts_again_when_full_and_stays_correct():
    vectoriser = WordCharNgrams().fit(TRAIN)
    expected = vectoriser.transform(TEXTS)
    small = type(WORD_PIECES)(max_pieces=3)
    with small.lock:
        first, lengths, generation = small.split(["روس نے کہا", ""])
        _, _, later = small.split(["جاپان سیئول"])
    assert later == generation + 1 and small.pieces == ["جاپان", "سیئول"]
    assert list(first) == [0, 1, 2] and list(lengths) == [3, 0]
    same_matrix(vectoriser.transform(TEXTS), expected)


def test_char_ngrams_pickle_without_their_cache_and_threads_share_them():
    vectoriser = WordCharNgrams().fit(TRAIN)
    expected = vectoriser.transform(TEXTS * 50)
    copy = pickle.loads(pickle.dumps(vectoriser))
    assert "_piece_rows_of" not in copy.__dict__
    WORD_PIECES.clear()
    results = [None] * 4

    def work(i):
        results[i] = copy.transform(TEXTS * 50)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for result in results:
        same_matrix(result, expected)


def test_cue_tokens_give_the_binary_count_vectorisers_matrix():
    cues = ["p_russia in_sentence ergative", "p_japan not_in_sentence", "", "x x y unknown"]
    ours = CueTokens().fit(cues[:2] + ["x y"])
    theirs = CountVectorizer(token_pattern=r"\S+", lowercase=False, binary=True).fit(
        cues[:2] + ["x y"]
    )
    same_matrix(ours.transform(cues), theirs.transform(cues).astype(np.float32))
    assert list(ours.get_feature_names_out()) == list(theirs.get_feature_names_out())


@pytest.fixture(scope="module")
def data(schema):
    sentences, _ = aggregate(labels_table(labelled_tasks(3), schema), schema)
    return make_dataset(sentences, schema)


def test_fast_and_sklearn_configurations_build_the_same_features(data, schema):
    fast = make_pipelines(ModelConfig(), schema.not_source)
    slow = make_pipelines(ModelConfig(vectorisers="sklearn"), schema.not_source)
    for name, X in (("stance", data.pairs), ("sentiment", data.inputs)):
        a = fast[name].named_steps["features"].fit_transform(X)
        b = slow[name].named_steps["features"].fit_transform(X)
        same_matrix(a, b.astype(np.float32))


def test_an_unknown_vectoriser_choice_is_refused():
    with pytest.raises(ValueError, match="unknown vectorisers 'fastest'; use one of fast, sklearn"):
        ModelConfig(vectorisers="fastest")


@pytest.mark.parametrize("two_stage", [False, True])
def test_prediction_gives_the_pipelines_own_probabilities(schema, two_stage):
    model = small_model(schema, config=ModelConfig(two_stage=two_stage))
    tasks = labelled_tasks(7)[:40]
    frame = pd.DataFrame(
        {
            "text": [t["data"]["text"] for t in tasks],
            "context": [t["data"]["context"] for t in tasks],
        }
    )
    frame["mentions"] = [model.finder().find(t) for t in frame["text"]]
    vs = views(frame, model.finder())
    pairs = pair_frame(vs, schema.party_ids, topic=TopicCues.of(schema.topic))
    for name, X in (("stance", pairs), ("sentiment", sentence_frame(vs))):
        expected = model.pipelines[name].predict_proba(X)
        np.testing.assert_allclose(
            linear_predict_proba(model.pipelines[name], X), expected, atol=1e-5
        )
    stance, sentiment = model.predict_proba(frame)
    assert stance.shape == (len(frame), len(schema.party_ids), len(model.stance_labels))
    np.testing.assert_allclose(stance.sum(axis=2), 1, atol=1e-6)
    np.testing.assert_allclose(sentiment.sum(axis=1), 1, atol=1e-6)

"""A two-stage classifier for labels where one value means "nothing to say" (`none`).

Most sentence × party pairs are `none` (the party is not a source). A flat classifier spends its
capacity separating `none` from everything; here one copy of the base estimator learns "is this
party a source at all" on every pair, and a second one learns favor / against / neutral on the
source pairs only, so stance words are learned from the pairs where they mean something:

    P(none) = P(not a source)        P(v) = P(source) · P(v | source)  for every other v

Without the null label among the classes (or with one other class only) it is the base
estimator, fitted on everything.
"""

from __future__ import annotations

import re
import threading
from itertools import chain

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit, softmax
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


class TwoStageClassifier(ClassifierMixin, BaseEstimator):
    """Gate (null label or not) × classifier of the other labels.

    Parameters
    ----------
    estimator : classifier with `predict_proba`, default `LogisticRegression()`
        Cloned for each stage.
    null_label : the label meaning "nothing to say", default "none".
    """

    def __init__(self, estimator=None, null_label="none"):
        self.estimator = estimator
        self.null_label = null_label

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def fit(self, X, y):
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"))
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        base = self.estimator if self.estimator is not None else LogisticRegression()
        is_null = y == self.null_label
        others = self.classes_[self.classes_ != self.null_label]
        if is_null.any() and len(others) >= 2:
            self.gate_ = clone(base).fit(X, is_null)
            self.inner_ = clone(base).fit(X[~is_null], y[~is_null])
        else:
            self.gate_ = None
            self.inner_ = clone(base).fit(X, y)
        return self

    def predict_proba(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse=("csr", "csc"), reset=False)
        inner = self.inner_.predict_proba(X)
        if self.gate_ is None:
            return _reorder(inner, self.inner_.classes_, self.classes_)
        p_null = self.gate_.predict_proba(X)[:, list(self.gate_.classes_).index(True)]
        proba = _reorder(inner, self.inner_.classes_, self.classes_) * (1 - p_null)[:, None]
        proba[:, np.flatnonzero(self.classes_ == self.null_label)[0]] = p_null
        return proba

    def predict(self, X):
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _reorder(proba: np.ndarray, have, want) -> np.ndarray:
    out = np.zeros((proba.shape[0], len(want)))
    index = {c: i for i, c in enumerate(want)}
    for j, c in enumerate(have):
        out[:, index[c]] = proba[:, j]
    return out


class DistinctRows(TransformerMixin, BaseEstimator):
    """Fit and apply `transformer` to the distinct rows of X only, then map the result back.

    The four pairs of a sentence share its text: vectorising it once instead of four times is
    what makes char n-grams of the whole sentence affordable, and the vectoriser's document
    frequencies count each sentence once. X is a 1-D sequence of texts (one column of a
    ColumnTransformer) or a 2-D array.
    """

    def __init__(self, transformer):
        self.transformer = transformer

    def _distinct(self, X, reset: bool):
        if _is_text_column(X):
            # An object ndarray, not a Series: pandas would convert a Series of str to Arrow.
            codes, uniques = pd.factorize(np.asarray(X, dtype=object), use_na_sentinel=False)
            return np.asarray(uniques, dtype=object), codes
        X = validate_data(self, X, reset=reset)
        uniques, codes = np.unique(X, axis=0, return_inverse=True)
        return uniques, codes.ravel()

    def fit(self, X, y=None):
        uniques, _ = self._distinct(X, reset=True)
        self.transformer_ = clone(self.transformer).fit(uniques)
        return self

    def transform(self, X):
        check_is_fitted(self)
        block, codes = self.transform_distinct(X)
        return block[codes]

    def transform_distinct(self, X):
        """(the transform of X's distinct rows, the index of each row of X among them): what
        `transform` gives is `block[codes]`, without building the repeated rows."""
        check_is_fitted(self)
        uniques, codes = self._distinct(X, reset=False)
        return self.transformer_.transform(uniques), codes

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return self.transformer_.get_feature_names_out()


def _is_text_column(X) -> bool:
    """One column of texts (a Series, a list of strings, a 1-D string array), not a 2-D table."""
    if isinstance(X, pd.Series):
        return True
    if isinstance(X, (list, tuple)):
        return bool(X) and isinstance(X[0], str)
    return isinstance(X, np.ndarray) and X.ndim == 1 and X.dtype.kind in "OUS"


class WordGrams:
    """Each word's `char_wb` n-grams as ids into one n-gram table, kept for the process and
    shared by every `WordCharNgrams` in it: the stance and the sentiment model read the same
    sentences, and a batch job meets the same words again and again, so a word is analysed
    once. Bounded: past `max_grams` n-grams or `max_words` words it starts again (a new
    `generation`). Guarded by a lock: Dask runs tasks in threads that share one model.
    """

    def __init__(self, max_words: int = 200_000, max_grams: int = 1_000_000):
        self.max_words, self.max_grams = max_words, max_grams
        self.lock = threading.Lock()
        self.generation = 0
        self._reset()

    def clear(self) -> None:
        """Forget every word (the benchmark measures a cold start with it)."""
        with self.lock:
            self._reset()

    def _reset(self):
        self.grams: dict[str, int] = {}
        self.gram_list: list[str] = []
        self.words: dict[tuple, np.ndarray] = {}
        self.generation += 1

    def ids(self, words: list[str], ngram_range: tuple) -> tuple[list[np.ndarray], int]:
        """(the n-gram ids of each word, the generation they belong to). Call with `lock` held."""
        if len(self.words) >= self.max_words or len(self.grams) >= self.max_grams:
            self._reset()  # a batch may pass the bounds by its own new words, never more
        analyse = None
        grams, gram_list, cache = self.grams, self.gram_list, self.words
        out = []
        for word in words:
            key = (word, ngram_range)
            ids = cache.get(key)
            if ids is None:
                if analyse is None:
                    analyse = CountVectorizer(
                        analyzer="char_wb", ngram_range=ngram_range, lowercase=False
                    ).build_analyzer()
                found = analyse(word)
                for gram in found:
                    if gram not in grams:
                        grams[gram] = len(gram_list)
                        gram_list.append(gram)
                ids = cache[key] = np.fromiter((grams[g] for g in found), np.int64, len(found))
            out.append(ids)
        return out, self.generation


WORD_GRAMS = WordGrams()


class WordCharNgrams(TransformerMixin, BaseEstimator):
    """Character n-gram TF-IDF inside word boundaries, the same matrix as
    `TfidfVectorizer(analyzer="char_wb")`, computed once per distinct word.

    `char_wb` n-grams never cross a space, so a text's n-gram counts are the sum of its words'
    counts: the texts of a batch become a (texts × distinct words) count matrix, multiplied by
    the (distinct words × n-grams) matrix of those words. Urdu news repeats its words, so the
    Python n-gram analyser runs on a fraction of the tokens (once per word for the process:
    `WordGrams`) and the rest is numpy and sparse algebra in C.

    Parameters
    ----------
    ngram_range, min_df, sublinear_tf, dtype : as `TfidfVectorizer`.
    """

    def __init__(self, ngram_range=(2, 5), min_df=1, sublinear_tf=True, dtype=np.float32):
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.dtype = dtype

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        texts = _texts(X)
        self.counts_ = CountVectorizer(
            analyzer="char_wb",
            ngram_range=self.ngram_range,
            lowercase=False,
            min_df=self.min_df,
            dtype=self.dtype,
        )
        counts = self.counts_.fit_transform(texts)
        self.tfidf_ = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(counts)
        return self.tfidf_.transform(counts)

    def transform(self, X):
        check_is_fitted(self)
        split = [text.split() for text in _texts(X)]
        lengths = np.fromiter((len(words) for words in split), dtype=np.int64, count=len(split))
        flat = np.fromiter(chain.from_iterable(split), dtype=object, count=int(lengths.sum()))
        codes, distinct = pd.factorize(flat)
        words = sp.csr_matrix(
            (np.ones(len(codes), dtype=self.dtype), codes, np.r_[0, np.cumsum(lengths)]),
            shape=(len(split), len(distinct)),
        )
        per_word = self._word_rows(list(distinct))
        return self.tfidf_.transform((words @ per_word).astype(self.dtype, copy=False))

    def _word_rows(self, words: list[str]):
        """The (words × n-grams) count matrix of `words`."""
        ngram_range = tuple(self.ngram_range)
        with WORD_GRAMS.lock:
            ids, generation = WORD_GRAMS.ids(words, ngram_range)
            columns = self._columns(generation)
        lengths = np.fromiter((len(i) for i in ids), dtype=np.int64, count=len(ids))
        flat = columns[np.concatenate(ids)] if ids else np.zeros(0, dtype=np.int64)
        row = np.repeat(np.arange(len(words)), lengths)
        known = flat >= 0
        rows = sp.csr_matrix(
            (np.ones(int(known.sum()), dtype=self.dtype), (row[known], flat[known])),
            shape=(len(words), len(self.counts_.vocabulary_)),
        )
        rows.sum_duplicates()
        return rows

    def _columns(self, generation: int) -> np.ndarray:
        """For each n-gram id of `WORD_GRAMS`, its column here (-1: not in the vocabulary)."""
        known = getattr(self, "_columns_of", None)
        if known is None or known[0] != generation:
            known = (generation, np.zeros(0, dtype=np.int64))
        have = known[1]
        grams = WORD_GRAMS.gram_list
        if len(have) < len(grams):
            vocabulary = self.counts_.vocabulary_
            more = np.fromiter(
                (vocabulary.get(g, -1) for g in grams[len(have) :]),
                dtype=np.int64,
                count=len(grams) - len(have),
            )
            known = (generation, np.concatenate([have, more]))
        self._columns_of = known
        return known[1]

    def __getstate__(self):
        # The map to the process's n-gram table is rebuilt where the model is unpickled.
        state = dict(super().__getstate__())  # a copy: object.__getstate__ gives __dict__
        state.pop("_columns_of", None)
        return state

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return self.counts_.get_feature_names_out()


def _texts(X) -> list[str]:
    if isinstance(X, str):
        raise ValueError("expected a sequence of texts, got one string")
    return ["" if t is None else str(t) for t in X]


class WordNgrams(TransformerMixin, BaseEstimator):
    """Word n-gram TF-IDF, the same matrix as `TfidfVectorizer(analyzer="word", token_pattern=...,
    ngram_range=(1, n))`, with the n-grams looked up as integer keys in numpy.

    scikit-learn joins every n-gram into a string and looks it up in a dict, in Python. Here each
    token is looked up once (its unigram column), and an n-gram is the integer made of its
    tokens' columns, found by `np.searchsorted` in the sorted keys of the vocabulary's n-grams.
    That is exact because, with n-grams from 1, every word of a known n-gram is a known unigram
    (a text holding the n-gram holds its words).

    Parameters
    ----------
    token_pattern, ngram_range, min_df, sublinear_tf, dtype : as `TfidfVectorizer`
        (`ngram_range` must start at 1).
    """

    def __init__(
        self,
        token_pattern=r"(?u)\b\w\w+\b",
        ngram_range=(1, 2),
        min_df=1,
        sublinear_tf=True,
        dtype=np.float32,
    ):
        self.token_pattern = token_pattern
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.dtype = dtype

    def fit(self, X, y=None):
        self.fit_transform(X)
        return self

    def fit_transform(self, X, y=None):
        if self.ngram_range[0] != 1:
            raise ValueError(f"ngram_range must start at 1, got {self.ngram_range}")
        self.counts_ = CountVectorizer(
            analyzer="word",
            token_pattern=self.token_pattern,
            lowercase=False,
            ngram_range=self.ngram_range,
            min_df=self.min_df,
            dtype=self.dtype,
        )
        counts = self.counts_.fit_transform(_texts(X))
        self.tfidf_ = TfidfTransformer(sublinear_tf=self.sublinear_tf).fit(counts)
        vocabulary = self.counts_.vocabulary_
        self.unigrams_ = {term: column for term, column in vocabulary.items() if " " not in term}
        # n-gram n → (sorted integer keys, their columns); key = Σ column_i · V^(n-1-i).
        self.ngram_keys_ = {}
        base = len(vocabulary)
        for n in range(2, self.ngram_range[1] + 1):
            terms = [(t, c) for t, c in vocabulary.items() if t.count(" ") == n - 1]
            keys = np.array(
                [_key([self.unigrams_[w] for w in t.split(" ")], base) for t, _ in terms],
                dtype=np.int64,
            )
            columns = np.array([c for _, c in terms], dtype=np.int64)
            order = np.argsort(keys)
            self.ngram_keys_[n] = (keys[order], columns[order])
        return self.tfidf_.transform(counts)

    def transform(self, X):
        check_is_fitted(self)
        texts = _texts(X)
        ids, doc = self._token_ids(texts)
        known = ids >= 0
        rows, columns = [doc[known]], [ids[known]]
        base = len(self.counts_.vocabulary_)
        for n, (keys, key_columns) in self.ngram_keys_.items():
            if len(ids) < n or not len(keys):
                continue
            # The n-grams starting at each position that stay inside one text.
            span = len(ids) - n + 1
            key = np.zeros(span, dtype=np.int64)
            valid = doc[:span] == doc[n - 1 :]
            for k in range(n):
                part = ids[k : k + span]
                valid &= part >= 0
                key = key * base + part
            at = np.searchsorted(keys, key[valid])
            at[at == len(keys)] = 0
            hit = keys[at] == key[valid]
            rows.append(doc[:span][valid][hit])
            columns.append(key_columns[at[hit]])
        counts = sp.csr_matrix(
            (
                np.ones(sum(len(r) for r in rows), dtype=self.dtype),
                (np.concatenate(rows), np.concatenate(columns)),
            ),
            shape=(len(texts), base),
        )
        counts.sum_duplicates()
        return self.tfidf_.transform(counts)

    def _token_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(the unigram column of every token of `texts`, -1 if unknown; the text of each)."""
        pattern = re.compile(self.token_pattern)
        joined = _SEPARATOR.join(texts)
        if (
            not pattern.groups
            and pattern.search(_SEPARATOR) is None
            and joined.count(_SEPARATOR) == len(texts) - 1
        ):
            # One regex scan of all texts, a separator token between them.
            found = re.findall(f"(?:{self.token_pattern})|{_SEPARATOR}", joined)
            codes, distinct = pd.factorize(np.asarray(found, dtype=object))
            lookup = self.unigrams_.get
            ids = np.fromiter(
                (-2 if t == _SEPARATOR else lookup(t, -1) for t in distinct),
                np.int64,
                len(distinct),
            )[codes]
            boundary = ids == -2
            return ids[~boundary], np.cumsum(boundary)[~boundary]
        findall, lookup = pattern.findall, self.unigrams_.get
        tokens: list[int] = []
        lengths = np.empty(len(texts), dtype=np.int64)
        for i, text in enumerate(texts):
            found = findall(text)
            lengths[i] = len(found)
            tokens.extend([lookup(t, -1) for t in found])
        return np.asarray(tokens, dtype=np.int64), np.repeat(np.arange(len(texts)), lengths)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return self.counts_.get_feature_names_out()


class CueTokens(TransformerMixin, BaseEstimator):
    """Binary bag of space-separated tokens, the same matrix as
    `CountVectorizer(token_pattern=r"\\S+", lowercase=False, binary=True)`, built with one dict
    lookup per token instead of scikit-learn's analyser chain (cue strings are short and many:
    one per sentence × party pair).

    Parameters
    ----------
    dtype : dtype of the matrix, default float32.
    """

    def __init__(self, dtype=np.float32):
        self.dtype = dtype

    def fit(self, X, y=None):
        counts = CountVectorizer(token_pattern=r"\S+", lowercase=False, binary=True).fit(_texts(X))
        self.vocabulary_ = dict(counts.vocabulary_)
        self.feature_names_ = counts.get_feature_names_out()
        return self

    def transform(self, X):
        check_is_fitted(self)
        lookup = self.vocabulary_.get
        columns, indptr = [], [0]
        for text in _texts(X):
            found = {lookup(t) for t in text.split()}
            found.discard(None)
            columns.extend(found)
            indptr.append(len(columns))
        matrix = sp.csr_matrix(
            (np.ones(len(columns), dtype=self.dtype), np.asarray(columns, dtype=np.int64), indptr),
            shape=(len(indptr) - 1, len(self.vocabulary_)),
        )
        matrix.sort_indices()
        return matrix

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return self.feature_names_


_SEPARATOR = "\x1e"  # ASCII record separator: no token pattern of ours matches it


def _key(columns: list[int], base: int) -> int:
    key = 0
    for column in columns:
        key = key * base + column
    return key


def linear_predict_proba(pipeline, X) -> np.ndarray:
    """`pipeline.predict_proba(X)` for a pipeline of a `ColumnTransformer` and a
    `LogisticRegression`, with each column block's share of the linear decision computed once
    per distinct value of its column.

    A linear decision is a sum over the feature blocks, `x · w = Σ_b x_b · w_b`; a block behind
    `DistinctRows` is vectorised for the distinct values only, multiplied by its weights there
    (a few columns: one per class) and the products are spread to the rows. The sentence's four
    party pairs never build or stack four copies of its features. Any other pipeline is left to
    its own `predict_proba`.
    """
    steps = getattr(pipeline, "steps", None)
    if not steps or len(steps) != 2:
        return np.asarray(pipeline.predict_proba(X), dtype=np.float64)
    features, classifier = steps[0][1], steps[1][1]
    if not (isinstance(features, ColumnTransformer) and isinstance(classifier, LogisticRegression)):
        return np.asarray(pipeline.predict_proba(X), dtype=np.float64)
    check_is_fitted(classifier)
    decision = np.tile(classifier.intercept_.astype(np.float64), (len(X), 1))
    for name, transformer, column in features.transformers_:
        if transformer == "drop" or name not in features.output_indices_:
            continue
        # float64, as scikit-learn's own probabilities are: a model trained on float32
        # features has float32 weights, whose rounded values print as 9.999999747378752e-05.
        weights = classifier.coef_[:, features.output_indices_[name]].T.astype(np.float64)
        if weights.shape[0] == 0:
            continue
        values = X[column]
        if isinstance(transformer, DistinctRows):
            block, codes = transformer.transform_distinct(values)
            decision += np.asarray(block @ weights)[codes]
        else:
            decision += np.asarray(transformer.transform(values) @ weights)
    if decision.shape[1] == 1:
        positive = expit(decision[:, 0])
        return np.column_stack([1 - positive, positive])
    return softmax(decision, axis=1)

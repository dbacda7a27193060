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
import sys
import threading
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from itertools import chain, repeat

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

    def fit(self, X, y, sample_weight=None):
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc"))
        check_classification_targets(y)
        w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.classes_ = np.unique(y)
        base = self.estimator if self.estimator is not None else LogisticRegression()
        is_null = y == self.null_label
        others = self.classes_[self.classes_ != self.null_label]
        if is_null.any() and len(others) >= 2:
            self.gate_ = clone(base).fit(X, is_null, sample_weight=w)
            self.inner_ = clone(base).fit(
                X[~is_null], y[~is_null], sample_weight=None if w is None else w[~is_null]
            )
        else:
            self.gate_ = None
            self.inner_ = clone(base).fit(X, y, sample_weight=w)
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
            return _factorize_runs(np.asarray(X, dtype=object))
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


def _factorize_runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(the distinct values in order of first appearance, the index of each value among them),
    as `pd.factorize` gives them. Runs of equal neighbours are collapsed first: the pair table
    repeats a sentence's text (and, for the parties it does not name, its other columns) in
    consecutive rows, and one comparison per row costs less than hashing every row."""
    if len(values) < 2:
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        return np.asarray(uniques, dtype=object), codes
    starts = np.empty(len(values), dtype=bool)
    starts[0] = True
    np.not_equal(values[1:], values[:-1], out=starts[1:])
    if starts.sum() > len(values) // 2:  # few runs to collapse
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        return np.asarray(uniques, dtype=object), codes
    run_codes, uniques = pd.factorize(values[starts], use_na_sentinel=False)
    return np.asarray(uniques, dtype=object), run_codes[np.cumsum(starts) - 1]


def _is_text_column(X) -> bool:
    """One column of texts (a Series, a list of strings, a 1-D string array), not a 2-D table."""
    if isinstance(X, pd.Series):
        return True
    if isinstance(X, (list, tuple)):
        return bool(X) and isinstance(X[0], str)
    return isinstance(X, np.ndarray) and X.ndim == 1 and X.dtype.kind in "OUS"


class WordPieces:
    """Each whitespace-separated piece of text as an id for the process, shared by every
    `WordNgrams` and `WordCharNgrams` in it: the stance model's columns and the sentiment model's
    sentence are made of the same words, and a batch job meets them again and again. A batch's
    pieces become ids by one dict lookup each, in C; each vectoriser keeps what it has worked out
    for a piece (its token columns, its n-gram counts) under that id, so a piece is scanned or
    analysed once per vectoriser. Bounded: past `max_pieces` pieces it starts again (a new
    `generation`, and the vectorisers start again with it). Guarded by a lock: Dask runs tasks
    in threads that share one model.
    """

    def __init__(self, max_pieces: int = 300_000):
        self.max_pieces = max_pieces
        self.lock = threading.Lock()
        self.generation = 0
        self._local = threading.local()
        self._reset()

    def clear(self) -> None:
        """Forget every piece (the benchmark measures a cold start with it)."""
        with self.lock:
            self._reset()

    def _reset(self):
        self.index: dict[str, int] = {}
        self.pieces: list[str] = []
        self.generation += 1

    @contextmanager
    def batch(self):
        """Within this block, in this thread, remember the piece ids of each text split and the
        n-grams of each piece analysed: a batch's texts go through several vectorisers (the
        stance model's text column and the sentiment model's sentence are the same texts, a
        sentence's context is the sentence before it, and both models' char n-grams analyse the
        same new words). Forgotten at the end of the block: only pieces are kept for the
        process."""
        outer = getattr(self._local, "batch", None)
        self._local.batch = _Batch(self.generation)
        try:
            yield
        finally:
            self._local.batch = outer

    def split(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, int]:
        """(the ids of the pieces of `texts`, one text after the other; how many pieces each
        text has; the generation they belong to). Call with `lock` held."""
        if len(self.index) >= self.max_pieces:
            self._reset()  # a batch may pass the bound by its own new pieces, never more
        batch = getattr(self._local, "batch", None)
        if batch is None:
            known: dict[str, np.ndarray] = {}
        else:
            if batch.generation != self.generation:  # the ids it holds are another generation's
                batch.generation, batch.texts = self.generation, {}
            known = batch.texts
        found = list(map(known.get, texts))
        missing = [i for i, ids in enumerate(found) if ids is None]
        if missing:
            split = [texts[i].split() for i in missing]
            ids = self._ids(list(chain.from_iterable(split)))
            end = 0
            for i, pieces in zip(missing, split, strict=True):
                start, end = end, end + len(pieces)
                found[i] = known[texts[i]] = ids[start:end]
        lengths = np.fromiter(map(len, found), np.int64, len(found))
        ids = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        return ids, lengths, self.generation

    def char_ngrams(self, pieces: list[str], ngram_range: tuple) -> list[Sequence[str]]:
        """The `char_wb` n-grams of each of `pieces` (`_char_wb_ngrams`), each analysed once in
        a `batch`."""
        batch = getattr(self._local, "batch", None)
        if batch is None:
            return [_char_wb_ngrams(piece, ngram_range) for piece in pieces]
        memo, out = batch.grams.setdefault(ngram_range, {}), []
        for piece in pieces:
            found = memo.get(piece)
            if found is None:
                # A tuple: the GC stops tracking it, a list would be scanned while it lives.
                found = memo[piece] = tuple(_char_wb_ngrams(piece, ngram_range))
            out.append(found)
        return out

    def _ids(self, pieces: list[str]) -> np.ndarray:
        """The id of each of `pieces`, new ones added. Call with `lock` held."""
        ids = np.fromiter(map(self.index.get, pieces, repeat(-1)), np.int64, len(pieces))
        new = np.flatnonzero(ids < 0)
        if len(new):
            for piece in dict.fromkeys(pieces[i] for i in new.tolist()):
                self.index[piece] = len(self.pieces)
                self.pieces.append(piece)
            ids[new] = [self.index[pieces[i]] for i in new.tolist()]
        return ids


@dataclass
class _Batch:
    """What `WordPieces.batch` remembers."""

    generation: int  # of the piece ids in `texts`
    texts: dict = field(default_factory=dict)  # text → the ids of its pieces
    grams: dict = field(default_factory=dict)  # n-gram range → {piece: its n-grams}


WORD_PIECES = WordPieces()


class WordCharNgrams(TransformerMixin, BaseEstimator):
    """Character n-gram TF-IDF inside word boundaries, the same matrix as
    `TfidfVectorizer(analyzer="char_wb")`, computed once per distinct word.

    `char_wb` n-grams never cross a space, so a text's n-gram counts are the sum of its words'
    counts: the texts of a batch become a (texts × distinct words) count matrix, multiplied by
    the (distinct words × n-grams) matrix of those words. Urdu news repeats its words, so the
    Python n-gram analyser runs on a fraction of the tokens (once per word for the process: the
    rows are kept by `WORD_PIECES` id, `_PieceRows`) and the rest is numpy and sparse algebra
    in C.

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
        texts = _texts(X)
        with WORD_PIECES.lock:
            ids, lengths, generation = WORD_PIECES.split(texts)
            codes, distinct = pd.factorize(ids)
            rows, (starts, sizes, columns, data) = self._piece_rows(generation, distinct)
        words = sp.csr_matrix(
            (np.ones(len(codes), dtype=self.dtype), codes, np.r_[0, np.cumsum(lengths)]),
            shape=(len(texts), len(distinct)),
        )
        # The rows of the distinct words, gathered from the vectoriser's rows of the pieces.
        sizes = sizes[rows]
        indptr = np.r_[0, np.cumsum(sizes)]
        at = np.repeat(starts[rows] - indptr[:-1], sizes) + np.arange(indptr[-1])
        per_word = sp.csr_matrix(
            (data[at], columns[at], indptr),
            shape=(len(distinct), len(self.counts_.vocabulary_)),
        )
        counts = (words @ per_word).astype(self.dtype, copy=False)
        return self.tfidf_.transform(counts, copy=False)  # the counts are this call's own

    def _piece_rows(self, generation: int, ids: np.ndarray):
        """(the row of each of the distinct piece `ids` in this vectoriser's n-gram counts of
        the pieces it has met, those counts: `_PieceRows.snapshot`). Pieces met for the first
        time are analysed and added. Call with `WORD_PIECES.lock` held."""
        rows = getattr(self, "_piece_rows_of", None)
        if rows is None or rows.generation != generation:
            rows = self._piece_rows_of = _PieceRows(generation, self.dtype)
        rows.row_of = _room(rows.row_of, int(ids.max(initial=-1)) + 1, fill=-1)
        found = rows.row_of[ids]
        new = found < 0
        if new.any():
            pieces = WORD_PIECES.pieces
            rows.extend(ids[new], self._word_rows([pieces[i] for i in ids[new]]))
            found = rows.row_of[ids]
        return found, rows.snapshot()

    def _word_rows(self, words: list[str]):
        """The (words × n-grams) count matrix of `words` (whitespace-free pieces), each row's
        columns sorted, as scikit-learn's matrix has them."""
        found = WORD_PIECES.char_ngrams(words, tuple(self.ngram_range))
        lengths = np.fromiter(map(len, found), np.int64, len(found))
        lookup = self.counts_.vocabulary_.get
        flat = np.fromiter(
            map(lookup, chain.from_iterable(found), repeat(-1)), np.int64, int(lengths.sum())
        )
        row = np.repeat(np.arange(len(words)), lengths)
        known = flat >= 0
        rows = sp.csr_matrix(
            (np.ones(int(known.sum()), dtype=self.dtype), (row[known], flat[known])),
            shape=(len(words), len(self.counts_.vocabulary_)),
        )
        rows.sum_duplicates()
        return rows

    def __getstate__(self):
        # The rows of the process's pieces are rebuilt where the model is unpickled.
        state = dict(super().__getstate__())  # a copy: object.__getstate__ gives __dict__
        state.pop("_piece_rows_of", None)
        return state

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return self.counts_.get_feature_names_out()


class _PieceRows:
    """A `WordCharNgrams`' n-gram counts of the pieces of one `WORD_PIECES` generation it has
    met: piece id p is row r = row_of[p] (-1: not met), whose columns (sorted) are
    columns[starts[r] : starts[r] + lengths[r]], their counts in `counts`. Grown in place,
    doubling: a snapshot taken under the lock stays valid, since rows are only ever appended
    past it."""

    def __init__(self, generation: int, dtype):
        self.generation = generation
        self.rows = 0
        self.size = 0
        self.row_of = np.full(1024, -1, dtype=np.int64)
        self.starts = np.zeros(1024, dtype=np.int64)
        self.lengths = np.zeros(1024, dtype=np.int64)
        self.columns = np.zeros(16384, dtype=np.int32)
        self.counts = np.zeros(16384, dtype=dtype)

    def extend(self, ids: np.ndarray, rows: sp.csr_matrix) -> None:
        """Add `rows`, the n-gram counts of the pieces `ids`."""
        end, size = self.rows + rows.shape[0], self.size + rows.nnz
        self.starts, self.lengths = _room(self.starts, end), _room(self.lengths, end)
        self.columns, self.counts = _room(self.columns, size), _room(self.counts, size)
        self.starts[self.rows : end] = self.size + rows.indptr[:-1]
        self.lengths[self.rows : end] = np.diff(rows.indptr)
        self.columns[self.size : size] = rows.indices
        self.counts[self.size : size] = rows.data
        self.row_of[ids] = np.arange(self.rows, end)
        self.rows, self.size = end, size

    def snapshot(self):
        """(starts, lengths, columns, counts) as they are now."""
        return (
            self.starts[: self.rows],
            self.lengths[: self.rows],
            self.columns[: self.size],
            self.counts[: self.size],
        )


def _room(buffer: np.ndarray, size: int, fill=0) -> np.ndarray:
    """`buffer`, or a copy at least twice as long (the new items `fill`) when it holds fewer
    than `size` items."""
    if size <= len(buffer):
        return buffer
    grown = np.full(max(size, 2 * len(buffer)), fill, dtype=buffer.dtype)
    grown[: len(buffer)] = buffer
    return grown


def _char_wb_ngrams(word: str, ngram_range: tuple) -> list[str]:
    """The n-grams scikit-learn's `char_wb` analyser gives for `word`, a piece of text without
    whitespace (same list, same order): `word` padded with a space either side, each n-gram of
    each length n of `ngram_range`, and the whole padded word once in place of the lengths it
    is not longer than."""
    min_n, max_n = ngram_range
    padded = f" {word} "
    size = len(padded)
    if size > max_n:  # most words: every length fits
        return [padded[i : i + n] for n in range(min_n, max_n + 1) for i in range(size - n + 1)]
    found: list[str] = []
    for n in range(min_n, max_n + 1):
        if size <= n:
            found.append(padded)
            break
        found += [padded[i : i + n] for i in range(size - n + 1)]
    return found


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
        return self.tfidf_.transform(counts, copy=False)  # the counts are this call's own

    def _token_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(the unigram column of every token of `texts`, -1 if unknown; the text of each)."""
        if _within_pieces(self.token_pattern):
            return self._piece_token_ids(texts)
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

    def _piece_token_ids(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """`_token_ids` for a token pattern whose tokens never cross whitespace: the tokens of a
        text are those of its whitespace-separated pieces, in order, and each distinct piece is
        scanned once for the process (`WORD_PIECES`)."""
        with WORD_PIECES.lock:
            ids, lengths, generation = WORD_PIECES.split(texts)
            codes, spread = self._piece_codes(generation, ids)
        doc = np.repeat(np.arange(len(texts)), lengths)
        if not len(spread[0]) or (codes >= _NO_TOKEN).all():
            kept = codes != _NO_TOKEN  # pieces of punctuation only
            return codes[kept], doc[kept]
        # Pieces of several tokens (words joined by punctuation, "گئے،تیزی"): -3 - j is the
        # j-th of them, its columns at spread[0][starts[j] : starts[j] + counts[j]].
        columns, starts, counts = spread
        several = codes < _NO_TOKEN
        per_piece = np.where(codes == _NO_TOKEN, 0, 1)
        per_piece[several] = counts[_SEVERAL - codes[several]]
        out = np.repeat(codes, per_piece)
        at = np.repeat(several, per_piece)
        first = np.cumsum(per_piece) - per_piece  # where each piece's tokens start in `out`
        rank = np.arange(len(out))[at] - np.repeat(first[several], per_piece[several])
        out[at] = columns[np.repeat(starts[_SEVERAL - codes[several]], per_piece[several]) + rank]
        return out, np.repeat(doc, per_piece)

    def _piece_codes(self, generation: int, ids: np.ndarray):
        """(for each of the piece `ids`, its token's unigram column: -1 unknown, -2 no token,
        -3 - j several, the j-th; the columns of the pieces of several tokens, concatenated,
        where each starts, how many). Pieces met for the first time are scanned and kept, per
        `WORD_PIECES` generation. Call with `WORD_PIECES.lock` held."""
        known = getattr(self, "_pieces_of", None)
        if known is None or known[0] != generation:
            table = np.full(1024, _UNSEEN, dtype=np.int64)
            known = self._pieces_of = [generation, table, [], [], _spread([], [])]
        _, table, several, several_columns, spread = known
        table = known[1] = _room(table, int(ids.max(initial=-1)) + 1, fill=_UNSEEN)
        codes = table[ids]
        unseen = codes == _UNSEEN
        if unseen.any():
            findall, lookup = re.compile(self.token_pattern).findall, self.unigrams_.get
            pieces, before = WORD_PIECES.pieces, len(several)
            for i in np.unique(ids[unseen]).tolist():
                found = findall(pieces[i])
                if len(found) == 1:
                    table[i] = lookup(found[0], -1)
                elif not found:
                    table[i] = _NO_TOKEN
                else:
                    table[i] = _SEVERAL - len(several)
                    several.append(len(found))
                    several_columns.extend(lookup(t, -1) for t in found)
            if len(several) > before:
                spread = known[4] = _spread(several, several_columns)
            codes = table[ids]
        return codes, spread

    def __getstate__(self):
        # The map from the process's piece table is rebuilt where the model is unpickled.
        state = dict(super().__getstate__())
        state.pop("_pieces_of", None)
        return state

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self)
        return self.counts_.get_feature_names_out()


_NO_TOKEN = -2  # `WordNgrams._piece_codes`: a piece of no token; -3 - j: the j-th of several
_SEVERAL = -3
_UNSEEN = np.iinfo(np.int64).min  # … a piece not scanned yet


def _spread(counts: list[int], columns: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(columns, where each piece's start, how many) as arrays, from the pieces' counts."""
    counts_ = np.asarray(counts, dtype=np.int64)
    return np.asarray(columns, dtype=np.int64), np.cumsum(counts_) - counts_, counts_


@cache
def _whitespace() -> str:
    """Every character `str.split()` splits at."""
    return "".join(filter(str.isspace, map(chr, range(sys.maxunicode + 1))))


@cache
def _within_pieces(token_pattern: str) -> bool:
    """Whether `token_pattern`'s tokens in a text are its tokens in each whitespace-separated
    piece of the text, in order. True of one character class repeated (`[...]+`, `\\w+`) that
    matches no whitespace: its tokens are the longest runs of the class, which whitespace cuts.
    Anything else (`\\b`, look-arounds, alternatives) is scanned over the whole text."""
    if not re.fullmatch(r"(?:\(\?u\))?(?:\[(?:[^\]\\\[]|\\.)+\]|\\w)\+", token_pattern):
        return False
    return re.compile(token_pattern).search(_whitespace()) is None


class CueTokens(TransformerMixin, BaseEstimator):
    """Binary bag of space-separated tokens, the same matrix as
    `CountVectorizer(token_pattern=r"\\S+", lowercase=False, binary=True)`, built with one dict
    lookup per token instead of scikit-learn's analyser chain (cue strings are short and many:
    one per sentence × party pair).

    Parameters
    ----------
    dtype : dtype of the matrix, default float32.
    value : the entry of a token present, default 1 (the binary matrix). A larger value lets
        the cues weigh more against the TF-IDF blocks under the same regularisation.
    """

    def __init__(self, dtype=np.float32, value=1.0):
        self.dtype = dtype
        self.value = value

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
            (
                np.full(len(columns), self.value, dtype=self.dtype),
                np.asarray(columns, dtype=np.int64),
                indptr,
            ),
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

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

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
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
            codes, uniques = pd.factorize(
                pd.Series(np.asarray(X, dtype=object)), use_na_sentinel=False
            )
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
        uniques, codes = self._distinct(X, reset=False)
        return self.transformer_.transform(uniques)[codes]

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

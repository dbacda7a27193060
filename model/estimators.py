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
from sklearn.base import BaseEstimator, ClassifierMixin, clone
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

"""The custom estimators follow scikit-learn's contract, and do what the pipeline relies on."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from mauqif.model.estimators import DistinctRows, TwoStageClassifier
from mauqif.model.features import URDU_TOKEN_PATTERN
from mauqif.model.pipeline import ModelConfig, make_pipelines


@parametrize_with_checks(
    [TwoStageClassifier(), TwoStageClassifier(null_label=0), DistinctRows(StandardScaler())]
)
def test_scikit_learn_conventions(estimator, check):
    check(estimator)


def test_two_stage_probabilities_combine_the_gate_and_the_stance_classifier():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3))
    y = np.where(
        X[:, 0] < 0,
        "none",
        np.where(X[:, 1] > 0.5, "favor", np.where(X[:, 1] < -0.5, "against", "neutral")),
    )
    model = TwoStageClassifier(LogisticRegression()).fit(X, y)

    proba = model.predict_proba(X)

    assert list(model.classes_) == ["against", "favor", "neutral", "none"]
    assert np.allclose(proba.sum(axis=1), 1)
    p_none = model.gate_.predict_proba(X)[:, list(model.gate_.classes_).index(True)]
    assert np.allclose(proba[:, 3], p_none)
    assert (model.predict(X) == y).mean() > 0.8


def test_distinct_rows_gives_what_the_vectoriser_gives_row_by_row():
    texts = pd.Series(["روس نے کہا", "جاپان نے کہا", "روس نے کہا", "روس نے کہا"])
    wrapped = DistinctRows(TfidfVectorizer()).fit(texts)
    direct = TfidfVectorizer().fit(texts.drop_duplicates())

    assert (wrapped.transform(texts) != direct.transform(texts)).nnz == 0
    assert list(wrapped.get_feature_names_out()) == list(direct.get_feature_names_out())


def test_the_token_pattern_keeps_urdu_words_with_diacritics_whole():
    vectoriser = TfidfVectorizer(token_pattern=URDU_TOKEN_PATTERN).fit(["کِتاب و قلم"])
    assert set(vectoriser.get_feature_names_out()) == {"کِتاب", "و", "قلم"}


@pytest.mark.parametrize("two_stage", [False, True])
def test_the_factory_builds_pipelines_that_clone_unfitted(two_stage):
    pipelines = make_pipelines(ModelConfig(two_stage=two_stage), "none")
    assert set(pipelines) == {"stance", "sentiment"}
    copy = clone(pipelines["stance"])
    assert (
        copy.get_params()["classifier__C" if not two_stage else "classifier__estimator__C"] == 4.0
    )
    assert not hasattr(copy, "classes_")

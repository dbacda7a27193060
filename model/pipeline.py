"""The scikit-learn pipelines, built by one factory; `clone` gives a fresh copy for each retrain.

- stance: over sentence × party pairs (`features.pair_frame`): char_wb 2–5 TF-IDF of the
  sentence, char_wb 2–5 and word 1–3 TF-IDF of the words around the party's mentions, word 1–2
  TF-IDF of the marked sentence and of the marked context sentence, binary cue tokens →
  logistic regression over
  favor / against / neutral / none (or, with `two_stage`, `TwoStageClassifier`). Every text
  column is vectorised once per distinct value (`DistinctRows`): the four pairs of a sentence
  share its text, and a party named nowhere near shares its columns with the others.
- sentiment: over sentences (`features.sentence_frame`): char_wb 2–5 and word 1–2 TF-IDF of the
  normalised sentence → logistic regression.

Char n-grams cost most (≈ 6,000 sentences/s against ≈ 44,000 for words, measured here): thanks
to `DistinctRows` the pair model pays for them about once per sentence, not once per pair.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from .estimators import DistinctRows, TwoStageClassifier
from .features import URDU_TOKEN_PATTERN


@dataclass(frozen=True)
class ModelConfig:
    """Hyper-parameters of both pipelines. Defaults were chosen by grouped cross-validation."""

    stance_C: float = 4.0
    sentiment_C: float = 4.0
    # Source-or-not, then favor/against/neutral (`TwoStageClassifier`): on the gold set it scored
    # about 0.01 F_avg below one flat classifier over the four values, so it is off by default.
    two_stage: bool = False
    class_weight: str | None = "balanced"
    min_df: int = 1
    # What `mauqif push` pre-selects: a party's predicted stance is pre-selected only when the
    # model gives it at least this probability; below it the annotator decides (the choice is
    # left open). Chosen on the real-news dev set (../shared/dev; see model/README.md): wrong
    # pre-selected sides cost annotators more than open choices. `predict` ignores it.
    min_confidence: float = 0.6

    def as_dict(self) -> dict:
        return asdict(self)


def _words(ngrams: tuple[int, int], min_df: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="word",
        token_pattern=URDU_TOKEN_PATTERN,
        lowercase=False,
        ngram_range=ngrams,
        min_df=min_df,
        sublinear_tf=True,
        dtype=np.float32,
    )


def _chars(min_df: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=(2, 5),
        lowercase=False,
        min_df=min_df,
        sublinear_tf=True,
        dtype=np.float32,
    )


def _cue_tokens() -> CountVectorizer:
    return CountVectorizer(token_pattern=r"\S+", lowercase=False, binary=True)


def _logistic(C: float, class_weight) -> LogisticRegression:
    return LogisticRegression(C=C, class_weight=class_weight, max_iter=3000)


def make_pipelines(config: ModelConfig = ModelConfig()) -> dict[str, Pipeline]:
    """The unfitted stance and sentiment pipelines for `config`."""
    stance_features = ColumnTransformer(
        [
            ("text_chars", DistinctRows(_chars(config.min_df)), "text"),
            ("window_chars", DistinctRows(_chars(config.min_df)), "window"),
            ("window_words", DistinctRows(_words((1, 3), config.min_df)), "window"),
            ("sentence_words", DistinctRows(_words((1, 2), config.min_df)), "sentence"),
            ("context_words", DistinctRows(_words((1, 2), config.min_df)), "context"),
            ("cues", _cue_tokens(), "cues"),
        ]
    )
    classifier = _logistic(config.stance_C, config.class_weight)
    if config.two_stage:
        classifier = TwoStageClassifier(classifier, null_label="none")
    sentiment_features = ColumnTransformer(
        [
            ("chars", _chars(config.min_df), "sentence"),
            ("words", _words((1, 2), config.min_df), "sentence"),
            ("cues", _cue_tokens(), "sentiment_cues"),
        ]
    )
    return {
        "stance": Pipeline([("features", stance_features), ("classifier", classifier)]),
        "sentiment": Pipeline(
            [
                ("features", sentiment_features),
                ("classifier", _logistic(config.sentiment_C, config.class_weight)),
            ]
        ),
    }


def fresh(pipelines: dict[str, Pipeline]) -> dict[str, Pipeline]:
    """Unfitted copies with the same parameters (one per retrain, per fold)."""
    return {name: clone(p) for name, p in pipelines.items()}

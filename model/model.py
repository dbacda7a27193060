"""A fitted model (the stance and sentiment pipelines and the schema they learned), the labelled
data set it is trained on, and the Python API: `train_model`, `Model.predict_frame`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from mauqif.annotate.labels import question_columns
from mauqif.annotate.mentions import MentionFinder, find_in_articles, learn_aliases
from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.schema import SENTIMENT_TAG, Schema, load_schema, stance_tag

from .estimators import WORD_PIECES, linear_predict_proba
from .exceptions import ModelError
from .features import TopicCues, pair_frame, parse_mentions, sentence_frame, views
from .pipeline import ModelConfig, fresh, make_pipelines

ANSWER_COLUMNS = ["stance", "stance_proba", "sentiment", "sentiment_proba", "model_version"]
MENTION_SOURCES = ("finder", "annotated")


@dataclass
class Dataset:
    """Labelled sentences turned into model inputs once; features are stateless, so every fold
    of a cross-validation slices the same tables.

    `pairs` has one row per sentence × party (sentence-major) and a `label` column (None where
    that party's stance is unlabelled); `sentiment` is None where the sentiment is unlabelled.
    `weights` is each sentence's weight in training (its pairs share it): the labels table's
    `weight` column, 1 where it has none (see `mauqif.model.train`: a lab's own labels weigh
    more than our sample gold).
    """

    sentences: pd.DataFrame
    pairs: pd.DataFrame
    inputs: pd.DataFrame
    sentiment: np.ndarray
    party_ids: list[str]
    schema: Schema
    # Aliases learned from the annotators' spans ({party: aliases}): the finder used here and
    # by the model trained on this data set.
    learned_aliases: dict = field(default_factory=dict)

    @property
    def groups(self) -> np.ndarray:
        return self.sentences["article_id"].astype(str).to_numpy()

    @property
    def weights(self) -> np.ndarray:
        if "weight" not in self.sentences:
            return np.ones(len(self.sentences))
        return self.sentences["weight"].fillna(1.0).to_numpy(dtype=float)

    @property
    def stance(self) -> np.ndarray:
        return self.pairs["label"].to_numpy(dtype=object)

    def pair_rows(self, rows) -> np.ndarray:
        """Row indices in `pairs` of the given sentence rows."""
        rows = np.asarray(rows, dtype=int)
        k = len(self.party_ids)
        return (rows[:, None] * k + np.arange(k)[None, :]).ravel()

    def digest(self) -> str:
        """Hash of the training data: sentences with their text and labels."""
        columns = ["sentence_id", "text", "context", *question_columns(self.schema)]
        records = (
            self.sentences[columns].astype(object).where(self.sentences[columns].notna(), None)
        )
        rows = records.values.tolist()
        weights = self.weights
        if (weights != 1.0).any():  # weighted training is another model; unweighted keeps its hash
            rows = [[*row, w] for row, w in zip(rows, weights.tolist(), strict=True)]
        canonical = json.dumps(rows, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def label_counts(self) -> dict:
        counts = {}
        for party in self.party_ids:
            column = self.sentences[stance_tag(party)].dropna()
            counts[party] = {str(k): int(v) for k, v in column.value_counts().items()}
        column = self.sentences[SENTIMENT_TAG].dropna()
        counts["sentiment"] = {str(k): int(v) for k, v in column.value_counts().items()}
        return counts


def make_dataset(labelled: pd.DataFrame, schema: Schema, mentions: str = "finder") -> Dataset:
    """The model's inputs for an aggregated labels table (one row per sentence, as
    `mauqif.annotate.labels.aggregate` makes it).

    `mentions="finder"` finds the party mentions the way prediction does (so what is evaluated is
    what runs); `"annotated"` uses the spans annotators marked. Either way the annotated spans
    whose text the schema's aliases miss become learned aliases of the finder (`learn_aliases`):
    a minister an annotator marked once is found from then on.
    """
    if mentions not in MENTION_SOURCES:
        raise ModelError(
            f"unknown mention source {mentions!r}; use one of {', '.join(MENTION_SOURCES)}"
        )
    missing = [
        c
        for c in ["sentence_id", "article_id", "text", *question_columns(schema)]
        if c not in labelled
    ]
    if missing:
        raise ModelError(
            f"the labels table has no column(s) {', '.join(missing)}; aggregate an export first"
        )
    sentences = labelled.reset_index(drop=True).copy()
    sentences["context"] = sentences["context"].fillna("") if "context" in sentences else ""
    learned = (
        learn_aliases(
            zip(sentences["text"], map(parse_mentions, sentences["mentions"]), strict=True), schema
        )
        if "mentions" in sentences
        else {}
    )
    finder = MentionFinder(schema, learned)
    if mentions == "finder" or "mentions" not in sentences:
        sentences["mentions"] = found_mentions(finder, sentences)
    else:
        sentences["mentions"] = [parse_mentions(m) for m in sentences["mentions"]]
    vs = views(sentences, finder)
    pairs = pair_frame(vs, schema.party_ids, topic=TopicCues.of(schema.topic))
    labels = sentences[[stance_tag(p) for p in schema.party_ids]].astype(object)
    pairs["label"] = [None if pd.isna(v) else v for v in labels.to_numpy().ravel()]
    sentiment = np.array(
        [None if pd.isna(v) else v for v in sentences[SENTIMENT_TAG]], dtype=object
    )
    return Dataset(
        sentences, pairs, sentence_frame(vs), sentiment, list(schema.party_ids), schema, learned
    )


def fit_pipelines(
    pipelines: dict,
    data: Dataset,
    rows=None,
    weights=None,
    questions: tuple[str, ...] = ("stance", "sentiment"),
) -> dict:
    """Fresh clones of `pipelines` fitted on the labelled part of the sentence `rows` (all).

    `weights` (one per sentence of `data`; default `data.weights`) weigh each sentence's labels
    in the classifiers' loss (a sentence's pairs share its weight): the logistic regressions
    take them as `sample_weight`, on top of their balanced class weights. `questions` fits only
    those pipelines (the learning-loop benchmark fits the stance model alone); the others are
    left unfitted.
    """
    rows = np.arange(len(data.sentences)) if rows is None else np.asarray(rows, dtype=int)
    weights = data.weights if weights is None else np.asarray(weights, dtype=float)
    if len(weights) != len(data.sentences) or (weights < 0).any() or not np.isfinite(weights).all():
        raise ModelError(
            f"training weights must be {len(data.sentences)} finite values >= 0 (one per "
            f"sentence), got {len(weights)}"
        )
    fitted = fresh(pipelines)
    pair_rows = data.pair_rows(rows)
    stance = data.stance[pair_rows]
    pair_rows = pair_rows[stance != None]  # noqa: E711 (elementwise on an object array)
    sentiment_rows = rows[data.sentiment[rows] != None]  # noqa: E711
    k = len(data.party_ids)
    jobs = {
        "stance": (data.pairs.iloc[pair_rows], data.stance[pair_rows], weights[pair_rows // k]),
        "sentiment": (
            data.inputs.iloc[sentiment_rows],
            data.sentiment[sentiment_rows],
            weights[sentiment_rows],
        ),
    }
    for what in questions:
        values = set(jobs[what][1])
        if len(values) < 2:
            raise ModelError(
                f"cannot train the {what} model: its labels have {len(values)} distinct value(s) "
                f"({', '.join(map(str, values)) or 'none'}); label more sentences"
            )
    for what in questions:
        X, y, w = jobs[what]
        pipeline = fitted[what]
        if (w == 1.0).all():
            pipeline.fit(X, y)
        else:
            pipeline.fit(X, y, **{f"{pipeline.steps[-1][0]}__sample_weight": w})
    return fitted


def new_version(data_digest: str, now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{data_digest[:8]}"


@dataclass
class Model:
    """A fitted stance + sentiment model. `predict_frame` is the Python API of prediction."""

    pipelines: dict
    schema: Schema
    config: ModelConfig
    version: str
    trained_on: list[str] = field(default_factory=list)  # sentence ids, for a fair comparison later
    manifest: dict = field(default_factory=dict)
    # Aliases learned from annotators' spans at training time ({party: aliases}); the finder of
    # prediction, push and the ML backend uses them.
    learned_aliases: dict = field(default_factory=dict)

    @property
    def min_confidence(self) -> float:
        """The least probability at which push pre-selects a party's stance (the manifest's
        `min_confidence`, from the model's config)."""
        return float(self.manifest.get("min_confidence", self.config.min_confidence))

    @property
    def stance_thresholds(self) -> dict[str, float]:
        """{stance value: the least probability at which push pre-selects it}: the manifest's
        `stance_thresholds` (chosen on training's cross-validation so that a pre-selected polar
        value is right often enough, `model.thresholds`), `min_confidence` for a value it lacks."""
        chosen = self.manifest.get("stance_thresholds") or {}
        floor = self.min_confidence
        return {
            str(value): float(chosen.get(str(value), floor)) for value in self.schema.stance_values
        }

    @property
    def stance_labels(self) -> list[str]:
        return [str(c) for c in self.pipelines["stance"].classes_]

    @property
    def sentiment_labels(self) -> list[str]:
        return [str(c) for c in self.pipelines["sentiment"].classes_]

    def finder(self) -> MentionFinder:
        """The mention finder of the model's schema and learned aliases (made once per
        process)."""
        if getattr(self, "_finder", None) is None:
            self._finder = MentionFinder(self.schema, getattr(self, "learned_aliases", None))
        return self._finder

    def segmenter(self) -> Segmenter:
        """The sentence pipeline `mauqif sentences` uses, with the model's schema and finder."""
        if getattr(self, "_segmenter", None) is None:
            self._segmenter = Segmenter.default(self.schema, finder=self.finder())
        return self._segmenter

    def __getstate__(self):
        # The finder and segmenter are rebuilt where the model is unpickled (joblib workers).
        return {k: v for k, v in self.__dict__.items() if k not in ("_finder", "_segmenter")}

    def predict_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """`df` with columns text, context (optional), mentions (optional: found when missing),
        article_id and index (optional: a pronoun speaker is then resolved across the article);
        returns a copy with stance {party: label}, stance_proba {party: {label: p}}, sentiment,
        sentiment_proba {label: p} and model_version added."""
        out = df.copy()
        if "text" not in out:
            raise ModelError("the frame to predict needs a `text` column")
        if "mentions" not in out:
            out["mentions"] = found_mentions(self.finder(), out)
        if not len(out):
            for column in ANSWER_COLUMNS:
                out[column] = pd.Series(dtype=object)
            return out
        answers = self.answers(out)
        for column in ANSWER_COLUMNS:
            out[column] = [answer[column] for answer in answers]
        return out

    def answers(self, df: pd.DataFrame, digits: int | None = None) -> list[dict]:
        """The model's answer for each row of `df` (text, context, mentions), in the one shape
        every prediction has (`predict_frame`, batch prediction, push, the ML backend): stance
        {party: label}, stance_proba {party: {label: p}}, sentiment, sentiment_proba {label: p},
        model_version; probabilities rounded to `digits` when given."""
        stance, sentiment = self.predict_proba(df)
        parties, stance_labels, sentiment_labels = (
            self.schema.party_ids,
            self.stance_labels,
            self.sentiment_labels,
        )
        # Argmaxed and rounded in numpy, once per batch, not per value in Python.
        stance_best = stance.argmax(axis=2).tolist()
        sentiment_best = sentiment.argmax(axis=1).tolist()
        if digits is not None:
            stance, sentiment = np.round(stance, digits), np.round(sentiment, digits)
        stance_p, sentiment_p = stance.tolist(), sentiment.tolist()
        return [
            {
                "stance": {p: stance_labels[stance_best[i][j]] for j, p in enumerate(parties)},
                "stance_proba": {
                    p: dict(zip(stance_labels, stance_p[i][j], strict=True))
                    for j, p in enumerate(parties)
                },
                "sentiment": sentiment_labels[sentiment_best[i]],
                "sentiment_proba": dict(zip(sentiment_labels, sentiment_p[i], strict=True)),
                "model_version": self.version,
            }
            for i in range(len(stance_p))
        ]

    def predict_proba(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Raw probabilities: stance (sentences × parties × stance labels), sentiment
        (sentences × sentiment labels), columns in the order of `stance_labels` /
        `sentiment_labels`. `df` needs text, context and mentions."""
        vs = views(df, self.finder())
        parties = self.schema.party_ids
        pairs = pair_frame(vs, parties, topic=TopicCues.of(self.schema.topic))
        with WORD_PIECES.batch():  # both models read the same texts: split them once
            stance = linear_predict_proba(self.pipelines["stance"], pairs)
            sentiment = linear_predict_proba(self.pipelines["sentiment"], sentence_frame(vs))
        return stance.reshape(len(vs), len(parties), -1), sentiment


def train_model(
    sentences: pd.DataFrame,
    schema: Schema | None = None,
    config: ModelConfig | None = None,
    *,
    mentions: str = "finder",
    pipelines: dict | None = None,
) -> Model:
    """Fit a model on an aggregated labels table (one row per sentence: sentence_id, article_id,
    text, context, stance_<party>…, sentiment), e.g. `aggregate(read_exports(paths), schema)[0]`.
    An optional `weight` column weighs each sentence's labels (1 by default; see
    `mauqif.model.train.source_weights`).

    `pipelines` (unfitted or fitted; they are cloned) replaces the ones `config` would build.
    """
    schema = schema or load_schema()
    config = config or ModelConfig()
    data = make_dataset(sentences, schema, mentions)
    return model_from(data, pipelines or make_pipelines(config, schema.not_source), config)


def found_mentions(finder: MentionFinder, frame: pd.DataFrame) -> list[list[dict]]:
    """The finder's mentions of each row of `frame` (text; context, article_id, index and kind
    optional): an article's rows are read in order, so a person it introduced by title is found
    when named again, and a dateline after a heading is no mention
    (`mauqif.annotate.mentions.find_in_articles`)."""
    return find_in_articles(
        finder,
        frame["text"],
        frame["context"] if "context" in frame else [""] * len(frame),
        frame.get("article_id"),
        frame.get("index"),
        frame.get("kind"),
    )


def model_from(data: Dataset, pipelines: dict, config: ModelConfig) -> Model:
    fitted = fit_pipelines(pipelines, data)
    return Model(
        pipelines=fitted,
        schema=data.schema,
        config=config,
        version=new_version(data.digest()),
        trained_on=data.sentences["sentence_id"].astype(str).tolist(),
        learned_aliases=dict(data.learned_aliases),
    )

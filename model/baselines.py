"""What the model is compared with on the same folds: two baselines and the current model.

Every candidate has `fit(data, rows)` returning something with `predict(data, rows)`, which gives
(stance labels of the pairs `data.pair_rows(rows)`, sentiment labels of `rows`).

- majority: each party's most frequent stance in the training folds (nearly always `none`),
  and the most frequent sentiment.
- keyword rule: a party is a source when it is mentioned next to a reporting verb or an
  attribution (`X نے کہا`, `X کے مطابق`; the `kw_source` cue), with one fixed stance per party
  (its most frequent stance as a source in the training folds); sentiment by counting words of
  a small positive and a negative list.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from mauqif.annotate.normalize import normalize
from mauqif.annotate.schema import NEGATIVE as NEGATIVE_ROLE
from mauqif.annotate.schema import NEUTRAL
from mauqif.annotate.schema import POSITIVE as POSITIVE_ROLE

from .exceptions import ModelError
from .features import NEGATIVE, POSITIVE, TOKEN_RE
from .model import Dataset, fit_pipelines


def _most_common(values, default):
    counts = Counter(v for v in values if v is not None)
    return counts.most_common(1)[0][0] if counts else default


def _labels_by_party(data: Dataset, rows):
    """(party, its stance labels in the sentence `rows`) for each party of the schema."""
    pairs = data.pair_rows(rows)
    parties, labels = data.pairs["party"].to_numpy()[pairs], data.stance[pairs]
    return [(p, labels[parties == p]) for p in data.party_ids]


@dataclass
class _Fixed:
    stance_by_party: dict
    sentiment: str

    def predict(self, data: Dataset, rows):
        parties = data.pairs["party"].to_numpy()[data.pair_rows(rows)]
        default = data.schema.not_source
        stance = np.array([self.stance_by_party.get(p, default) for p in parties], dtype=object)
        return stance, np.array([self.sentiment] * len(rows), dtype=object)


class Majority:
    name = "majority"

    def fit(self, data: Dataset, rows) -> _Fixed:
        schema = data.schema
        by_party = {
            party: _most_common(labels, schema.not_source)
            for party, labels in _labels_by_party(data, rows)
        }
        return _Fixed(by_party, _most_common(data.sentiment[rows], schema.sentiment_with(NEUTRAL)))


@dataclass
class _KeywordRule:
    stance_by_party: dict
    positive: frozenset = field(default_factory=lambda: frozenset(normalize(w) for w in POSITIVE))
    negative: frozenset = field(default_factory=lambda: frozenset(normalize(w) for w in NEGATIVE))

    def predict(self, data: Dataset, rows):
        pairs = data.pair_rows(rows)
        frame = data.pairs.iloc[pairs]
        schema = data.schema
        source = (schema.stance_with(NEUTRAL) or schema.polar)[0]
        stance = np.array(
            [
                self.stance_by_party.get(party, source)
                if "kw_source" in cues.split()
                else schema.not_source
                for party, cues in zip(frame["party"], frame["cues"], strict=True)
            ],
            dtype=object,
        )
        sentiment = np.array(
            [self.sentiment(t, schema) for t in data.inputs["sentence"].to_numpy()[rows]],
            dtype=object,
        )
        return stance, sentiment

    def sentiment(self, normalized: str, schema) -> str:
        words = TOKEN_RE.findall(normalized)
        pos = sum(w in self.positive for w in words)
        neg = sum(w in self.negative for w in words)
        role = POSITIVE_ROLE if pos > neg else NEGATIVE_ROLE if neg > pos else NEUTRAL
        return schema.sentiment_with(role)


class KeywordRule:
    name = "keyword rule"

    def fit(self, data: Dataset, rows) -> _KeywordRule:
        schema = data.schema
        source = (schema.stance_with(NEUTRAL) or schema.polar)[0]
        by_party = {
            party: _most_common([v for v in labels if v != schema.not_source], source)
            for party, labels in _labels_by_party(data, rows)
        }
        return _KeywordRule(by_party)


@dataclass
class _Pipelines:
    pipelines: dict

    def predict(self, data: Dataset, rows):
        rows = np.asarray(rows, dtype=int)
        stance = self.pipelines["stance"].predict(data.pairs.iloc[data.pair_rows(rows)])
        sentiment = self.pipelines["sentiment"].predict(data.inputs.iloc[rows])
        return np.asarray(stance, dtype=object), np.asarray(sentiment, dtype=object)


@dataclass
class PipelineCandidate:
    """A model configuration, refitted (cloned) on each fold's training rows.

    `trained_on`, for the current model, are the sentence ids it was trained on: on each fold
    it is refitted on the training rows it had seen, so the comparison shows what the new labels
    and the new configuration bring, without letting it see a test fold it was trained on. A
    model trained on none of these sentences is used as it is (it cannot have seen a test fold).
    """

    name: str
    pipelines: dict
    trained_on: frozenset | None = None

    def fit(self, data: Dataset, rows):
        rows = np.asarray(rows, dtype=int)
        if self.trained_on is not None:
            seen = data.sentences["sentence_id"].astype(str).isin(self.trained_on).to_numpy()
            if not seen.any():
                return _Pipelines(self.pipelines)
            rows = rows[seen[rows]]
            if not len(rows):
                raise ModelError("it was trained on none of this fold's training sentences")
        return _Pipelines(fit_pipelines(self.pipelines, data, rows))

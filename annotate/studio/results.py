"""Label Studio result JSON, both ways: what mauqif sends (predictions) and what it reads back
(annotations in exports), in one place, with the offset conversion between the two.

A *result* is the list Label Studio keeps in a prediction or an annotation: one item per region
or answer, e.g. a mention span ``{"from_name": "mentions", "to_name": "text", "type": "labels",
"value": {"start": 2, "end": 5, "text": "روس", "labels": ["russia"]}}`` or a choice
``{"from_name": "stance_russia", "to_name": "text", "type": "choices", "value": {"choices":
["against"]}}``. The tag names come from the schema (`MENTIONS_TAG`, `stance_tag`,
`SENTIMENT_TAG`, `TEXT_TAG`).

Offsets. Python counts code points; JavaScript strings count UTF-16 code units, so every
character outside the Basic Multilingual Plane (an emoji, a flag, some CJK) counts 1 in Python
and 2 in the browser. Label Studio 1.23.2's `Text` tag counts code points, both ways: a
prediction at Python offsets highlights exactly the mention after and between emoji, and a span
an annotator draws is stored at Python offsets (checked in Chromium by
tests/integration/test_spans_browser.py). Earlier Label Studio versions stored UTF-16 offsets
for such text, so exports from elsewhere may hold them: `parse_result` checks every span
against the task's text and converts UTF-16 offsets when that is what the span's own `text`
says, so a mention read back always indexes the text it names.

Building: `prediction(unit, schema, model_version, answers)` (a whole prediction, with its
score), `prediction_result(unit, answers, schema)` (its result list), `mention_results`,
`choice_result`. Parsing: `parse_result(result, schema, text)` → `ParsedResult` (labels,
mentions at Python offsets, unknown). Used by `push`, `labels` (exports → labels table) and the
ML backend.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..schema import MENTIONS_TAG, SENTIMENT_TAG, TEXT_TAG, Schema, stance_tag

CODE_POINTS = "code_points"  # Python's str indices; Label Studio 1.23's Text tag
UTF16 = "utf16"  # JavaScript string indices; older Label Studio, HTML/HyperText offsets
OFFSET_UNITS = (CODE_POINTS, UTF16)


# ---- offsets -----------------------------------------------------------------------------------


def utf16_offset(text: str, index: int) -> int:
    """The UTF-16 offset of code point `index` of `text` (JavaScript's index of it).

    >>> utf16_offset("😀 روس", 2)
    3
    """
    return index + sum(1 for ch in text[:index] if ord(ch) > 0xFFFF)


def code_point_offset(text: str, offset: int) -> int | None:
    """The code point index of UTF-16 `offset` in `text`; None when the offset falls inside a
    surrogate pair or past the end (it cannot be a UTF-16 offset of this text).

    >>> code_point_offset("😀 روس", 3)
    2
    """
    units = 0
    for i, ch in enumerate(text):
        if units == offset:
            return i
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > offset:
            return None
    return len(text) if units == offset else None


def to_studio(text: str, start: int, end: int, unit: str = CODE_POINTS) -> tuple[int, int]:
    """Python offsets of a span of `text` → the offsets Label Studio expects in `unit`."""
    if unit == UTF16:
        return utf16_offset(text, start), utf16_offset(text, end)
    if unit != CODE_POINTS:
        raise ValueError(f"offset unit must be one of {', '.join(OFFSET_UNITS)}, not {unit!r}")
    return start, end


def from_studio(text: str, value: dict) -> tuple[int, int] | None:
    """Python offsets of a span Label Studio stored (`value` has start, end and usually text).

    The offsets are taken as code points when they index the span's own text (Label Studio
    1.23), as UTF-16 units when those do (older versions, text with emoji). Without a `text` in
    the value the offsets are taken as they are. None when the offsets are not integers or fall
    outside `text`, or when neither reading gives the span's text.
    """
    start, end = value.get("start"), value.get("end")
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
        return None
    said = value.get("text")
    if 0 <= start <= end <= len(text) and (not isinstance(said, str) or text[start:end] == said):
        return start, end
    if isinstance(said, str):
        a, b = code_point_offset(text, start), code_point_offset(text, end)
        if a is not None and b is not None and text[a:b] == said:
            return a, b
    return None


# ---- building: what push and the ML backend send ----------------------------------------------


def mention_results(text: str, mentions: Iterable[dict], unit: str = CODE_POINTS) -> list[dict]:
    """One `labels` region per mention (`{party, start, end}` at Python offsets into `text`)."""
    results = []
    for i, m in enumerate(mentions):
        start, end = int(m["start"]), int(m["end"])
        studio_start, studio_end = to_studio(text, start, end, unit)
        results.append(
            {
                "id": f"m{i}",
                "from_name": MENTIONS_TAG,
                "to_name": TEXT_TAG,
                "type": "labels",
                "value": {
                    "start": studio_start,
                    "end": studio_end,
                    "text": text[start:end],
                    "labels": [m["party"]],
                },
            }
        )
    return results


def choice_result(from_name: str, value: str) -> dict:
    """One single-choice answer (a party's stance or the sentiment)."""
    return {
        "from_name": from_name,
        "to_name": TEXT_TAG,
        "type": "choices",
        "value": {"choices": [value]},
    }


Thresholds = float | Mapping[str, float]


def threshold_of(min_confidence: Thresholds, value) -> float:
    """The least probability at which a stance `value` is pre-selected: `min_confidence` is one
    number for every value, or {value: threshold} (a model's `stance_thresholds`: a polar value
    needs more than a neutral one); a value the mapping lacks is always pre-selected."""
    if isinstance(min_confidence, Mapping):
        return float(min_confidence.get(str(value), 0.0))
    return float(min_confidence)


def confident_stance(predicted: dict, party_ids: Iterable[str], min_confidence: Thresholds) -> dict:
    """The parties whose predicted stance is pre-selected: those the model gives at least
    the threshold of the predicted value (`threshold_of`). The others are left open for the
    annotator to decide."""
    stance = predicted.get("stance") or {}
    proba = predicted.get("stance_proba") or {}
    out = {}
    for party in party_ids:
        value = stance.get(party)
        if value is None:
            continue
        sure = (proba.get(party) or {}).get(value)
        if sure is None or sure >= threshold_of(min_confidence, value):
            out[party] = value
    return out


def lowest_confidence(
    stance_proba: dict[str, dict[str, float]], sentiment_proba: dict[str, float]
) -> float:
    """The model's confidence in its least sure answer among the questions of a sentence (the
    probability of its best answer to that question). The `score` of predictions before issue
    20, kept for comparison: `uncertainty_score` is what push sends now."""
    tops = [max(p.values()) for p in stance_proba.values() if p]
    if sentiment_proba:
        tops.append(max(sentiment_proba.values()))
    return float(min(tops)) if tops else 0.0


def margin(proba: dict[str, float]) -> float:
    """How far the model's best answer leads its second: 1 when it is sure, 0 on a tie.

    >>> margin({"favor": 0.5, "neutral": 0.3, "none": 0.2})
    0.2
    """
    top = sorted(proba.values(), reverse=True)
    return float(top[0] - top[1]) if len(top) > 1 else 1.0


def uncertainty_score(
    stance_proba: dict[str, dict[str, float]], sentiment_proba: dict[str, float] | None = None
) -> float:
    """A prediction's `score`: the smallest margin between the model's two best answers over
    the parties' stance questions (low = the model hesitates on some party).

    Label Studio's uncertainty sampling serves tasks in ascending score, so the sentences where
    the model is torn on a party come first. The stance questions are the ones that matter
    here: a party named nowhere near is `none` with a margin near 1 and never lowers the score,
    and a party the model hesitates over (source or not, favor or neutral) does, whatever its
    best answer's probability (a 0.45 / 0.44 split is closer than 0.45 / 0.20). The
    learning-loop benchmark (`bench/bench_learning.py`) chooses its units with this function.
    `sentiment_proba` is accepted and not used: with it in the score, the benchmark's held-out
    outlets' stance macro-F1 gained less.
    """
    margins = [margin(p) for p in stance_proba.values() if p]
    return float(min(margins)) if margins else 0.0


def prediction_result(
    unit: dict,
    answers: dict | None,
    schema: Schema,
    min_confidence: Thresholds = 0.0,
    offsets: str = CODE_POINTS,
) -> list[dict]:
    """The result list of one prediction for a sentence unit.

    `unit` has `text` and `mentions` (`{party, start, end}` at Python offsets into the text);
    `answers` is the model's row for it (`stance` {party: value}, `stance_proba` {party: {value:
    p}}, `sentiment`), or None for mention spans only. A party's stance is included only when the
    model is at least `min_confidence` sure of it, so the annotator decides the rest. `offsets`
    is the unit Label Studio counts spans in (code points for 1.23's `Text`, see above).
    """
    result = mention_results(unit["text"], unit.get("mentions") or [], offsets)
    if answers is None:
        return result
    stance = confident_stance(answers, schema.party_ids, min_confidence)
    for party in schema.party_ids:
        if party in stance:
            result.append(choice_result(stance_tag(party), str(stance[party])))
    if answers.get("sentiment") is not None:
        result.append(choice_result(SENTIMENT_TAG, str(answers["sentiment"])))
    return result


def prediction(
    unit: dict,
    schema: Schema,
    model_version: str,
    predicted: dict | None = None,
    min_confidence: Thresholds = 0.0,
) -> dict:
    """One Label Studio prediction for a unit: mention spans, and the model's answers if any
    (a party's stance only when the model is at least `min_confidence` sure of it), with the
    model version and, with answers, the `score` uncertainty sampling orders tasks by."""
    result = prediction_result(unit, predicted, schema, min_confidence)
    out: dict = {"model_version": model_version, "result": result}
    if predicted is not None:
        out["score"] = uncertainty_score(
            predicted.get("stance_proba") or {}, predicted.get("sentiment_proba") or {}
        )
    return out


# ---- parsing: what pull and training read -----------------------------------------------------


@dataclass
class ParsedResult:
    """An annotation's result read against the schema.

    `labels`: {question column: value id or None}; `mentions`: `{party, start, end, alias}` at
    Python offsets into the task's text; `unknown`: everything the schema does not know or that
    could not be placed in the text, `{"from_name", "value"}`, never silently dropped.
    """

    labels: dict[str, str | None]
    mentions: list[dict] = field(default_factory=list)
    unknown: list[dict] = field(default_factory=list)


def accepted_choices(schema: Schema) -> dict[str, dict[str, str]]:
    """from_name → {accepted choice text → value id}. The id is what Label Studio exports; the
    English and Urdu names are accepted too, in case a label config shows them as values."""

    def accepted(values) -> dict[str, str]:
        out = {}
        for v in values:
            out.update({v.en: v.value, v.ur: v.value})
        out.update({v.value: v.value for v in values})
        return out

    questions = {stance_tag(p): accepted(schema.stance) for p in schema.party_ids}
    questions[SENTIMENT_TAG] = accepted(schema.sentiment)
    return questions


def parse_result(
    result: list,
    schema: Schema,
    text: str | None = None,
    questions: dict[str, dict[str, str]] | None = None,
) -> ParsedResult:
    """Read an annotation's (or a prediction's) result list.

    With the task's `text`, each span is placed by `from_studio` (code points or UTF-16, checked
    against the span's own text) and its `alias` is the text at those offsets; a span that
    cannot be placed goes to `unknown`. Without `text`, offsets are taken as they are.
    `questions` is `accepted_choices(schema)`, passed in when parsing many results.
    """
    questions = questions if questions is not None else accepted_choices(schema)
    parsed = ParsedResult({q: None for q in questions})
    party_ids = set(schema.party_ids)
    for item in result:
        if not isinstance(item, dict):
            parsed.unknown.append({"from_name": None, "value": item})
            continue
        name, value = item.get("from_name"), item.get("value") or {}
        if name == MENTIONS_TAG and "labels" in value:
            _read_span(value, party_ids, text, parsed)
            continue
        choices = value.get("choices")
        if name in questions and isinstance(choices, list) and len(choices) == 1:
            known = questions[name].get(choices[0])
            if known is not None:
                parsed.labels[name] = known
                continue
        parsed.unknown.append(
            {"from_name": name, "value": choices if choices is not None else value}
        )
    parsed.mentions.sort(key=lambda m: (m["start"], m["party"]))
    return parsed


def _read_span(value: dict, party_ids: set[str], text: str | None, parsed: ParsedResult) -> None:
    if text is None:
        placed = (value["start"], value.get("end")) if isinstance(value.get("start"), int) else None
        alias = value.get("text", "")
    else:
        placed = from_studio(text, value)
        alias = text[placed[0] : placed[1]] if placed else ""
    for label in value.get("labels") or []:
        if label not in party_ids:
            parsed.unknown.append({"from_name": MENTIONS_TAG, "value": label})
        elif placed is None:  # offsets that index no such text: kept for a person to look at
            parsed.unknown.append({"from_name": MENTIONS_TAG, "value": dict(value)})
        else:
            parsed.mentions.append(
                {"party": label, "start": placed[0], "end": placed[1], "alias": alias}
            )

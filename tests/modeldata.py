"""Small labelled data for the model tests: invented Urdu sentences (written for these tests, not
taken from any article) assembled from templates, written as a Label Studio JSON export.

`labelled_tasks(seed)` gives tasks whose labels follow the guidelines by construction: a party
that reports with a favour / against / neutral phrase is `favor` / `against` / `neutral`, a party
that only acts or is acted on is `none`, a pronoun speaker (`انھوں نے کہا`) takes the party of the
context sentence.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

SPEAKERS = {
    "russia": ["روس", "روسی وزیر خارجہ", "ماسکو", "کریملن کے ترجمان", "صدر پوتن"],
    "north_korea": ["شمالی کوریا", "پیانگ یانگ", "کم جونگ اُن", "شمالی کوریائی وزارت خارجہ"],
    "south_korea": ["جنوبی کوریا", "سیئول", "جنوبی کوریائی وزارت دفاع", "جنوبی کوریا کے صدر"],
    "japan": ["جاپان", "ٹوکیو", "جاپانی حکومت", "جاپان کے وزیر دفاع"],
}
# Which stances each party takes, and how often (Japan and South Korea rarely favour, ...).
LEANING = {
    "russia": ["favor"] * 5 + ["neutral"] * 2 + ["against"],
    "north_korea": ["favor"] * 5 + ["neutral"] * 2 + ["against"],
    "south_korea": ["against"] * 5 + ["neutral"] * 2 + ["favor"],
    "japan": ["against"] * 5 + ["neutral"] * 2 + ["favor"],
}
SAYS = {
    "favor": [
        ("نے کہا کہ دونوں ملکوں کی دوستی نئی بلندیوں کو چھو رہی ہے۔", "positive"),
        ("نے اس معاہدے کا خیرمقدم کیا اور اسے تاریخی قرار دیا۔", "positive"),
        ("نے شراکت داری کو مزید مضبوط بنانے کے عزم کا اظہار کیا۔", "positive"),
        ("نے ساتھ دینے پر شکریہ ادا کیا اور تعاون کو کامیاب قرار دیا۔", "positive"),
    ],
    "against": [
        ("نے خبردار کیا کہ یہ گٹھ جوڑ خطے کے امن کے لیے خطرہ ہے۔", "negative"),
        ("نے ہتھیاروں کی منتقلی پر گہری تشویش کا اظہار کیا۔", "negative"),
        ("نے اس فوجی تعاون کی سخت مذمت کی۔", "negative"),
        ("نے کہا کہ اس معاہدے کا جواب دیا جائے گا اور پابندیاں سخت ہوں گی۔", "negative"),
    ],
    "neutral": [
        ("نے بتایا کہ وفد منگل کے روز روانہ ہوگا۔", "neutral"),
        ("نے تصدیق کی کہ ملاقات دو گھنٹے جاری رہی۔", "neutral"),
        ("کے مطابق اس ماہ تین پروازیں چلائی گئیں۔", "neutral"),
        ("کے مطابق سرحد پر تقریباً دس ہزار اہلکار موجود ہیں۔", "neutral"),
    ],
}
PRONOUN_SAYS = {
    "favor": [("انھوں نے کہا کہ ہم ہمیشہ ایک دوسرے کے ساتھ کھڑے رہیں گے۔", "positive")],
    "against": [("انھوں نے کہا کہ یہ اقدام ناقابل قبول اور خطرناک ہے۔", "negative")],
    "neutral": [("انھوں نے بتایا کہ اگلا اجلاس اگلے ماہ ہوگا۔", "neutral")],
}
ACTS = [  # the party only acts or is acted on: not a source
    ("{p} نے پچھلے سال سرحد کے قریب فوجی مشقیں کیں۔", "neutral"),
    ("{p} پر نئی پابندیاں عائد کر دی گئیں۔", "negative"),
    ("{p} کا ایک وفد کل دارالحکومت پہنچا۔", "neutral"),
    ("اجلاس میں {p} کے ساتھ تجارت پر بات ہوئی۔", "neutral"),
    ("{p} میں میزائل حملے سے کئی عمارتیں تباہ ہو گئیں۔", "negative"),
]
VISITS = [  # context sentences that name a speaker for the next (pronoun) sentence
    "{p} نے آج ایک اہم ملاقات کی۔",
    "{p} نے صحافیوں سے مختصر گفتگو کی۔",
]
FILLER = [
    ("موسم سرد رہا اور بازار معمول کے مطابق کھلے رہے۔", "neutral"),
    ("تقریب میں فنکاروں نے خوبصورت گیت پیش کیے اور سب خوش نظر آئے۔", "positive"),
    ("سیلاب سے کئی دیہات کو شدید نقصان پہنچا۔", "negative"),
]
PARTIES = list(SPEAKERS)


def _none_labels() -> dict:
    return {p: "none" for p in PARTIES}


def _sentence(rng: random.Random) -> list[tuple[str, dict, str, list]]:
    """One or two sentences: (text, stance labels, sentiment, [(alias, party)])."""
    kind = rng.choice(["says", "says", "says", "acts", "pronoun", "filler"])
    party = rng.choice(PARTIES)
    alias = rng.choice(SPEAKERS[party])
    labels = _none_labels()
    if kind == "says":
        stance = rng.choice(LEANING[party])
        phrase, sentiment = rng.choice(SAYS[stance])
        labels[party] = stance
        return [(f"{alias} {phrase}", labels, sentiment, [(alias, party)])]
    if kind == "acts":
        template, sentiment = rng.choice(ACTS)
        return [(template.format(p=alias), labels, sentiment, [(alias, party)])]
    if kind == "pronoun":
        stance = rng.choice(LEANING[party])
        phrase, sentiment = rng.choice(PRONOUN_SAYS[stance])
        context = rng.choice(VISITS).format(p=alias)
        labels[party] = stance
        return [
            (context, _none_labels(), "neutral", [(alias, party)]),
            (phrase, labels, sentiment, []),
        ]
    text, sentiment = rng.choice(FILLER)
    return [(text, labels, sentiment, [])]


def labelled_tasks(
    seed: int = 0, articles: int = 30, per_article: int = 6, double: float = 0.25
) -> list[dict]:
    """Label Studio tasks with one ground-truth annotation each; a share `double` of them also
    has a second annotator's pass (which sometimes disagrees, and is then adjudicated)."""
    rng = random.Random(seed)
    tasks, next_annotation = [], 1
    for a in range(articles):
        article_id = f"art{a:03d}"
        units = []
        while len(units) < per_article:
            units.extend(_sentence(rng))
        previous = ""
        for index, (text, labels, sentiment, aliases) in enumerate(units):
            result = [_choice(f"stance_{p}", labels[p]) for p in PARTIES] + [
                _choice("sentiment", sentiment)
            ]
            result += [_span(text, alias, party) for alias, party in aliases]
            annotations = []
            if rng.random() < double:
                other = [dict(r) for r in result]
                if (
                    rng.random() < 0.4
                ):  # disagree on sentiment; the adjudicator keeps the first pass
                    flipped = "neutral" if sentiment != "neutral" else "positive"
                    other[len(PARTIES)] = _choice("sentiment", flipped)
                annotations.append(_annotation(next_annotation, 2, other, ground_truth=False))
                next_annotation += 1
                annotations.append(_annotation(next_annotation, 1, result, ground_truth=False))
                next_annotation += 1
                annotations.append(_annotation(next_annotation, 3, result, ground_truth=True))
            else:
                annotations.append(_annotation(next_annotation, 1, result, ground_truth=True))
            next_annotation += 1
            tasks.append(
                {
                    "id": len(tasks) + 1,
                    "data": {
                        "text": text,
                        "context": previous,
                        "article_id": article_id,
                        "sentence_id": f"{article_id}-{index}",
                        "index": index,
                        "kind": "sentence",
                        "title": None,
                        "url": None,
                    },
                    "annotations": annotations,
                    "predictions": [],
                }
            )
            previous = text
    return tasks


def _choice(name: str, value: str) -> dict:
    return {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [value]}}


def _span(text: str, alias: str, party: str) -> dict:
    start = text.index(alias)
    return {
        "from_name": "mentions",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": start + len(alias), "text": alias, "labels": [party]},
    }


def _annotation(annotation_id: int, user: int, result: list, ground_truth: bool) -> dict:
    return {
        "id": annotation_id,
        "completed_by": user,
        "result": result,
        "was_cancelled": False,
        "ground_truth": ground_truth,
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": f"2025-01-01T00:00:{annotation_id % 60:02d}Z",
        "lead_time": 12.5,
    }


USERS = {"1": "first@example.org", "2": "second@example.org", "3": "adjudicator@example.org"}


def write_export(
    directory: Path, tasks: list[dict], name: str = "gold", meta: dict | None = None
) -> Path:
    """`<directory>/<name>.json` and its `<name>.meta.json`, as `mauqif pull` writes them."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False), "utf-8")
    sidecar = {
        "project_id": 1,
        "project_title": "test",
        "label_studio_version": "1.23.2",
        "schema_hash": None,
        "exported_at": "2025-01-01T00:00:00Z",
        "users": USERS,
    }
    sidecar.update(meta or {})
    (directory / f"{name}.meta.json").write_text(json.dumps(sidecar), "utf-8")
    return path


def small_model(schema, seed: int = 0, **kwargs):
    """A model trained on `labelled_tasks(seed)` (a few seconds)."""
    from mauqif.annotate.labels import aggregate, labels_table
    from mauqif.model import train_model

    sentences, _ = aggregate(labels_table(labelled_tasks(seed), schema), schema)
    return train_model(sentences, schema, **kwargs)


def same_matrix(a, b) -> None:
    """Assert two sparse matrices are the same, to the last bit (mauqif's vectorisers against
    scikit-learn's)."""
    assert a.dtype == b.dtype
    np.testing.assert_array_equal(a.toarray(), b.toarray())

"""Build the gold set (exports/gold/gold.json) from our own labelled sample articles.

Sources, all written for this project (see exports/README.md):
- annotate/samples/articles/: the sample articles;
- exports/gold/labels/<article>.jsonl: the first pass, one line per unit, in order;
- exports/gold/labels_pass2/<article>.jsonl: an independent second pass over some articles;
- exports/gold/adjudicated/<article>.jsonl: the lead's decision for every unit where the passes differ.

The output is Label Studio's JSON export with a .meta.json sidecar, exactly as `mauqif pull` writes
a snapshot, so training reads the gold set and real pulls through one reader. The build is
deterministic: the same sources give the same bytes. Run with `make gold`.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.reader import iter_articles
from mauqif.annotate.schema import MENTIONS_TAG, SENTIMENT_TAG, TEXT_TAG, load_schema, stance_tag
from mauqif.annotate.tables import write_bytes_atomic

HERE = Path(__file__).resolve().parent
GOLD = HERE / "gold"
ARTICLES = Path(str(resources.files("mauqif.annotate").joinpath("samples/articles")))
EPOCH = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)

# First-pass annotator by article-id prefix; the second pass and the adjudicator are one person each.
USERS = {
    1: "annotator.a@mauqif.local",
    2: "annotator.b@mauqif.local",
    3: "annotator.c@mauqif.local",
    4: "annotator.d@mauqif.local",
    5: "lead@mauqif.local",
}
FIRST_PASS = {"a": 1, "b": 2, "c": 3, "d": 1, "e": 2, "f": 3, "g": 1}
SECOND_PASS, ADJUDICATOR = 4, 5


class GoldError(Exception):
    pass


def read_labels(path: Path) -> list[dict]:
    if not path.exists():
        return []
    rows = []
    for lineno, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise GoldError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from None
    return rows


def check_label(row: dict, schema, where: str) -> None:
    stance = row.get("stance", {})
    if set(stance) != set(schema.party_ids):
        raise GoldError(
            f"{where}: stance must name exactly {schema.party_ids}, got {sorted(stance)}"
        )
    bad = {p: v for p, v in stance.items() if v not in schema.stance_values}
    if bad or row.get("sentiment") not in schema.sentiment_values:
        raise GoldError(f"{where}: unknown value(s) {bad or row.get('sentiment')!r}")


def same_labels(a: dict, b: dict) -> bool:
    return a["stance"] == b["stance"] and a["sentiment"] == b["sentiment"]


def result_items(unit: dict, label: dict, schema) -> list[dict]:
    items = [
        {
            "id": f"m{i}",
            "from_name": MENTIONS_TAG,
            "to_name": TEXT_TAG,
            "type": "labels",
            "origin": "manual",
            "value": {
                "start": m["start"],
                "end": m["end"],
                "text": m["alias"],
                "labels": [m["party"]],
            },
        }
        for i, m in enumerate(unit["mentions"])
    ]
    for party in schema.party_ids:
        items.append(
            {
                "id": f"s_{party}",
                "from_name": stance_tag(party),
                "to_name": TEXT_TAG,
                "type": "choices",
                "origin": "manual",
                "value": {"choices": [label["stance"][party]]},
            }
        )
    items.append(
        {
            "id": "sentiment",
            "from_name": SENTIMENT_TAG,
            "to_name": TEXT_TAG,
            "type": "choices",
            "origin": "manual",
            "value": {"choices": [label["sentiment"]]},
        }
    )
    return items


def build(strict: bool = True) -> tuple[list[dict], dict, dict]:
    schema = load_schema()
    segmenter = Segmenter.default(schema)
    tasks: list[dict] = []
    stats = Counter()
    pairs: list[tuple[dict, dict]] = []
    annotation_id = 0
    problems: list[str] = []
    for article in iter_articles([ARTICLES]):
        units = segmenter.units(article)
        first = read_labels(GOLD / "labels" / f"{article.id}.jsonl")
        second = read_labels(GOLD / "labels_pass2" / f"{article.id}.jsonl")
        decided = {
            row["text"]: row for row in read_labels(GOLD / "adjudicated" / f"{article.id}.jsonl")
        }
        texts = [u["text"] for u in units]
        if [r.get("text") for r in first] != texts:
            problems.append(_mismatch(article.id, "labels", texts, [r.get("text") for r in first]))
            continue
        if second and [r.get("text") for r in second] != texts:
            problems.append(
                _mismatch(article.id, "labels_pass2", texts, [r.get("text") for r in second])
            )
            continue
        annotator = FIRST_PASS[article.id[0]]
        for i, unit in enumerate(units):
            where = f"{article.id}[{i}]"
            check_label(first[i], schema, f"labels/{where}")
            passes = [(annotator, first[i])]
            truth = first[i]
            if second:
                check_label(second[i], schema, f"labels_pass2/{where}")
                passes.append((SECOND_PASS, second[i]))
                pairs.append((first[i], second[i]))
                stats["double"] += 1
                if not same_labels(first[i], second[i]):
                    stats["disagreements"] += 1
                    if unit["text"] not in decided:
                        problems.append(
                            f"{where}: the passes differ and there is no adjudication: {unit['text']}"
                        )
                        continue
                    truth = decided[unit["text"]]
                    check_label(truth, schema, f"adjudicated/{where}")
                    passes.append((ADJUDICATOR, truth))
            created = EPOCH + timedelta(minutes=len(tasks))
            annotations = []
            for user, label in passes:
                annotation_id += 1
                is_truth = (
                    label is truth
                    and (user == ADJUDICATOR or len(passes) < 3)
                    and not any(a["ground_truth"] for a in annotations)
                )
                annotations.append(
                    {
                        "id": annotation_id,
                        "completed_by": user,
                        "result": result_items(unit, label, schema),
                        "was_cancelled": False,
                        "ground_truth": is_truth,
                        "created_at": (created + timedelta(seconds=user)).isoformat(),
                        "updated_at": (created + timedelta(seconds=user)).isoformat(),
                        "lead_time": round(15 + len(unit["text"]) / 8, 1),
                    }
                )
            tasks.append(
                {
                    "id": len(tasks) + 1,
                    "data": {
                        "text": unit["text"],
                        "context": unit["context"],
                        "article_id": unit["article_id"],
                        "sentence_id": unit["sentence_id"],
                        "index": unit["index"],
                        "kind": unit["kind"],
                        "title": unit["title"],
                        "url": unit["url"],
                    },
                    "annotations": annotations,
                    "predictions": [],
                }
            )
    if problems and strict:
        raise GoldError("\n".join(problems))
    meta = {
        "project_id": None,
        "project_title": "mauqif gold set",
        "label_studio_version": None,
        "schema_hash": schema.digest(),
        "exported_at": EPOCH.isoformat(),
        "users": {str(k): v for k, v in USERS.items()},
        "written_by": "exports/build_gold.py from our own labelled sample articles (not real news)",
    }
    return tasks, meta, {"stats": stats, "pairs": pairs, "problems": problems}


def _mismatch(article_id: str, folder: str, expected: list[str], got: list[str]) -> str:
    for i, (e, g) in enumerate(zip(expected, got, strict=False)):
        if e != g:
            return f"{folder}/{article_id}.jsonl line {i + 1}: tool unit {e!r} but label for {g!r}"
    return f"{folder}/{article_id}.jsonl: {len(got)} labels for {len(expected)} units"


def main() -> int:
    try:
        tasks, meta, info = build(strict="--check" not in sys.argv)
    except GoldError as exc:
        print(f"Error: the gold set cannot be built:\n{exc}", file=sys.stderr)
        return 1
    for problem in info["problems"]:
        print(f"problem: {problem}", file=sys.stderr)
    if "--check" in sys.argv:
        # A check lists every problem and writes nothing: gold.json is only written whole.
        print(f"checked {len(tasks)} units; {len(info['problems'])} problem(s)")
        return 1 if info["problems"] else 0
    write_bytes_atomic(
        GOLD / "gold.json", json.dumps(tasks, ensure_ascii=False, indent=1).encode() + b"\n"
    )
    write_bytes_atomic(
        GOLD / "gold.meta.json", json.dumps(meta, ensure_ascii=False, indent=1).encode() + b"\n"
    )
    n_articles = len({t["data"]["article_id"] for t in tasks})
    print(
        f"wrote {GOLD / 'gold.json'}: {len(tasks)} sentences of {n_articles} articles; "
        f"{info['stats']['double']} labelled twice, {info['stats']['disagreements']} adjudicated"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

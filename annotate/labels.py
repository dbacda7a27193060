"""Label Studio exports → a tidy labels table; aggregation of several annotations; agreement.

One reader for the gold set (`exports/gold/gold.json`) and for the snapshots `mauqif pull`
writes (`exports/snapshots/<project>-<ts>.json`): both are Label Studio JSON exports with a
sidecar `<name>.meta.json`. Everything below `read_export` is pure: tasks in, tables out.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pandas as pd

from .exceptions import InputError, raise_input_error
from .schema import SENTIMENT_TAG, Schema, load_schema, stance_tag
from .tables import jsonl_objects

META_SUFFIX = ".meta.json"

BASE_COLUMNS = [
    "sentence_id",
    "article_id",
    "text",
    "context",
    "mentions",
    "annotator",
    "annotation_id",
    "created_at",
    "updated_at",
    "lead_time",
]
TAIL_COLUMNS = [
    "sentiment",
    "cancelled",
    "ground_truth",
    "unknown",
    "task_id",
    "project",
    "export",
    "updated_by",
    "changed_by",
    "restored",
]


def question_columns(schema: Schema) -> list[str]:
    """The table's label columns: `stance_<party>` for each party, then `sentiment`."""
    return [stance_tag(p) for p in schema.party_ids] + [SENTIMENT_TAG]


def label_columns(schema: Schema) -> list[str]:
    return BASE_COLUMNS + [stance_tag(p) for p in schema.party_ids] + TAIL_COLUMNS


# ---------------------------------------------------------------------------------------------
# Reading files (the I/O edge)


def meta_path(path: str | Path) -> Path:
    """`x.json` → `x.meta.json`, the sidecar `mauqif pull` writes beside each snapshot."""
    path = Path(path)
    return path.with_name(path.name.removesuffix(".json") + META_SUFFIX)


def read_export(path: str | Path) -> tuple[list[dict], dict]:
    """Read one Label Studio JSON export and its sidecar metadata (`{}` when it has none)."""
    path = Path(path)
    tasks = _read_json(path)
    if not isinstance(tasks, list):
        raise InputError(str(path), "is not a Label Studio JSON export (expected a list of tasks)")
    for i, task in enumerate(tasks):
        problem = _task_problem(task)
        if problem:
            raise InputError(str(path), f"task #{i} {problem}; export the project again as JSON")
    sidecar = meta_path(path)
    meta = _read_json(sidecar) if sidecar.exists() else {}
    if not isinstance(meta, dict):
        raise InputError(str(sidecar), "is not a JSON object")
    return tasks, meta


def _read_json(path: Path):
    try:
        return json.loads(path.read_text("utf-8-sig"))
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "is not UTF-8; Label Studio exports are UTF-8 JSON") from None
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror or exc})") from None


def _task_problem(task) -> str | None:
    if not isinstance(task, dict):
        return "is not a JSON object"
    if not isinstance(task.get("data"), dict):
        return "has no `data` object"
    if not isinstance(task.get("annotations", []), list):
        return "has `annotations` that is not a list"
    return None


def export_files(paths: Iterable[str | Path]) -> list[Path]:
    """The export files among `paths`: files as given; directories give their `*.json` (not
    recursively, and not the `*.meta.json` sidecars)."""
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_dir():
            found.extend(
                p
                for p in sorted(path.glob("*.json"))
                if p.is_file() and not p.name.endswith(META_SUFFIX)
            )
        else:
            found.append(path)
    return found


def read_exports(
    paths: Iterable[str | Path],
    schema: Schema | None = None,
    on_skip: Callable[[InputError], None] = raise_input_error,
) -> pd.DataFrame:
    """The labels table of every export among `paths` (files or directories).

    An annotation that appears in several snapshots of one project (each pull exports all of
    them) is kept once, in its latest version. Unreadable files go to `on_skip`.
    `table.attrs["exports"]` lists what was read from each file.
    """
    schema = schema or load_schema()
    frames, sources = [], []
    for path in export_files(paths):
        try:
            tasks, meta = read_export(path)
        except InputError as exc:
            on_skip(exc)
            continue
        table = labels_table(
            tasks,
            schema,
            users=meta.get("users"),
            leads=meta.get("leads"),
            held=meta.get("held"),
            originals=meta.get("originals"),
        )
        project = str(meta["project_id"]) if meta.get("project_id") is not None else str(path)
        table["project"] = project
        table["export"] = str(path)
        frames.append(table)
        sources.append(
            {
                "path": str(path),
                "project": project,
                "tasks": len(tasks),
                "annotations": len(table),
                "schema_hash": meta.get("schema_hash"),
                "schema_matches": meta.get("schema_hash") in (None, schema.digest()),
            }
        )
    if not frames:
        table = pd.DataFrame({c: pd.Series(dtype=object) for c in label_columns(schema)})
    else:
        table = pd.concat(frames, ignore_index=True)
        table = _latest_versions(table)
    table.attrs["exports"] = sources
    return table


def _latest_versions(table: pd.DataFrame) -> pd.DataFrame:
    order = table.assign(
        _updated=table["updated_at"].fillna("").astype(str), _pos=range(len(table))
    )
    order = order.sort_values(["_updated", "_pos"], kind="stable")
    # Annotation ids are unique within one Label Studio project; the sentence id guards against
    # two unrelated exports that happen to reuse a project id.
    keep = ~order.duplicated(["project", "annotation_id", "sentence_id"], keep="last")
    return order[keep].sort_values("_pos").drop(columns=["_updated", "_pos"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# JSONL label rows: the dev set's shape and the gold set's `labels/*.jsonl` shape

LABEL_ROW_COLUMNS = ["sentence_id", "article_id", "text", "context", "kind", "note"]


def read_label_rows(
    path: str | Path,
    schema: Schema | None = None,
    on_skip: Callable[[InputError], None] = raise_input_error,
) -> pd.DataFrame:
    """One row per sentence of a JSONL file of labelled sentences, as `aggregate` makes them
    from an export (sentence_id, article_id, text, context, stance_<party>…, sentiment) plus
    `kind` and `note`. Each line is one of

    - `{"id", "article", "text", "context", "kind", "note", "gold": {party: value, …,
      "sentiment": value}}` (the dev set, `../shared/dev/seeds_labelled.jsonl`), or
    - `{"text", "stance": {party: value, …}, "sentiment": value}` (`exports/gold/labels/`).

    Only `text` and at least one label are required. A party left out is unlabelled. Without
    an `id` a row is named `<file name>:<line>`; without an `article` it belongs to the file.
    A file whose first row is not a labelled row raises `InputError`; a later bad line goes to
    `on_skip` and is left out.
    """
    schema = schema or load_schema()
    path = Path(path)
    try:
        lines = path.read_bytes().splitlines()
    except FileNotFoundError:
        raise InputError(str(path), "no such file") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    questions = _questions(schema)
    rows = []
    for lineno, parsed in jsonl_objects(lines, str(path)):
        try:
            if isinstance(parsed, InputError):
                raise ValueError(parsed.reason)
            row = label_row(parsed, questions, f"{path.name}:{lineno}", path.stem)
        except ValueError as exc:
            reason = str(exc)
            if not rows:
                raise InputError(
                    str(path), f"is not JSONL label rows (line {lineno} {reason})"
                ) from None
            on_skip(InputError(f"{path}:{lineno}", f"{reason}; line left out"))
            continue
        rows.append(row)
    if not rows:
        raise InputError(str(path), "is empty")
    columns = [*LABEL_ROW_COLUMNS[:4], *question_columns(schema), *LABEL_ROW_COLUMNS[4:]]
    return pd.DataFrame(rows, columns=columns)


def label_row(row, questions: dict, default_id: str, default_article: str) -> dict:
    """One JSONL label row as a labels-table row; `ValueError` says what is wrong with it.
    `questions` is `_questions(schema)`: question column → {accepted choice → value}."""
    if not isinstance(row, dict):
        raise ValueError("is not a JSON object")
    if not isinstance(row.get("text"), str) or not row["text"].strip():
        raise ValueError("has no `text` (a non-empty string)")
    if isinstance(row.get("gold"), dict):
        given = {
            (SENTIMENT_TAG if key == SENTIMENT_TAG else stance_tag(key)): (f"gold.{key}", value)
            for key, value in row["gold"].items()
        }
    elif isinstance(row.get("stance"), dict) or "sentiment" in row:
        stance = row.get("stance") or {}
        if not isinstance(stance, dict):
            raise ValueError("has a `stance` that is not an object {party: value}")
        given = {stance_tag(key): (f"stance.{key}", value) for key, value in stance.items()}
        given[SENTIMENT_TAG] = ("sentiment", row.get("sentiment"))
    else:
        raise ValueError(
            "has no labels: give `gold` {party: value, …, sentiment: value}, or `stance` "
            "{party: value, …} and `sentiment`"
        )
    labels = {q: None for q in questions}
    for column, (name, value) in given.items():
        if column not in questions:
            parties = [q.removeprefix(stance_tag("")) for q in questions if q != SENTIMENT_TAG]
            raise ValueError(
                f"has `{name}`, but the schema's parties are {', '.join(parties)} (and sentiment)"
            )
        if value is None:
            continue
        known = questions[column].get(value) if isinstance(value, str) else None
        if known is None:
            allowed = list(dict.fromkeys(questions[column].values()))
            raise ValueError(f"has `{name}` {value!r}, not one of {', '.join(allowed)}")
        labels[column] = known
    if all(v is None for v in labels.values()):
        raise ValueError("has no labels (every question is empty)")
    article = row.get("article", row.get("article_id"))
    context = row.get("context")
    return {
        "sentence_id": str(row["id"]) if row.get("id") not in (None, "") else default_id,
        "article_id": str(article) if article not in (None, "") else default_article,
        "text": row["text"],
        "context": context if isinstance(context, str) else "",
        **labels,
        "kind": row.get("kind") if isinstance(row.get("kind"), str) else None,
        "note": row.get("note") if isinstance(row.get("note"), str) else "",
    }


# ---------------------------------------------------------------------------------------------
# Export → table (pure)


def labels_table(
    tasks: Sequence[dict],
    schema: Schema,
    users: dict | None = None,
    leads: Iterable | None = None,
    held: dict | None = None,
    originals: dict | None = None,
) -> pd.DataFrame:
    """One row per task × annotation, with one column per question of the schema.

    A stance choice missing from an annotation is unlabelled (NaN), not `none`: the label config
    makes every stance choice required, so a missing one means the annotator never gave it.
    Choices the schema does not know are listed in `unknown`, never silently dropped.

    `changed_by` names the member who last changed an annotation that is not theirs (Label
    Studio's `updated_by` is neither its author nor one of the `leads`' user ids), or who took
    it over (`held`: {annotation id: member}, what `mauqif pull` found against its record and
    wrote in the snapshot's metadata). Where `originals` ({annotation id: result}) has the
    author's own last answer of such an annotation, that answer is the row's (`restored`);
    `trusted` leaves the other changed rows out.
    """
    from .studio.results import parse_result  # see _questions

    users = {str(k): v for k, v in (users or {}).items()}
    leads = {str(x) for x in leads or ()}
    held = {str(k): v for k, v in (held or {}).items()}
    originals = {str(k): v for k, v in (originals or {}).items()}
    questions = _questions(schema)
    rows = []
    for task in tasks:
        data = task.get("data", {})
        sentence_id = data.get("sentence_id")
        sentence_id = (
            str(sentence_id) if sentence_id not in (None, "") else f"task-{task.get('id')}"
        )
        article_id = data.get("article_id")
        text = data.get("text") if isinstance(data.get("text"), str) else None
        for annotation in task.get("annotations", []) or []:
            change = _changer(annotation, users, leads, held)
            result = annotation.get("result") or []
            if change["changed_by"] and str(annotation.get("id")) in originals:
                result, change["restored"] = originals[str(annotation.get("id"))] or [], True
            parsed = parse_result(result, schema, text=text, questions=questions)
            labels, mentions, unknown = parsed.labels, parsed.mentions, parsed.unknown
            row = {
                "sentence_id": sentence_id,
                "article_id": str(article_id) if article_id not in (None, "") else sentence_id,
                "text": data.get("text", ""),
                "context": data.get("context") or "",
                "mentions": mentions,
                "annotator": _annotator(annotation.get("completed_by"), users),
                "annotation_id": annotation.get("id"),
                "created_at": annotation.get("created_at"),
                "updated_at": annotation.get("updated_at"),
                "lead_time": annotation.get("lead_time"),
                "cancelled": bool(annotation.get("was_cancelled", False)),
                "ground_truth": bool(annotation.get("ground_truth", False)),
                "unknown": unknown,
                "task_id": task.get("id"),
                "project": None,
                "export": None,
                **change,
            }
            row.update(labels)
            rows.append(row)
    columns = label_columns(schema)
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    table = pd.DataFrame(rows)
    for column in question_columns(schema):
        if column not in table:
            table[column] = None
    return table[columns]


def _questions(schema: Schema) -> dict[str, dict[str, str]]:
    """from_name → {accepted choice text → value id} (see `results.accepted_choices`)."""
    # Imported here, not at the top: the studio package imports this module for its tables.
    from .studio.results import accepted_choices

    return accepted_choices(schema)


def _changer(annotation: dict, users: dict, leads: set, held: dict) -> dict:
    def ident(value):
        return str(value.get("id")) if isinstance(value, dict) else str(value)

    updated = annotation.get("updated_by")
    row = {
        "updated_by": None,
        "changed_by": held.get(str(annotation.get("id"))),
        "restored": False,
    }
    if updated is None:
        return row
    row["updated_by"] = _annotator(updated, users)
    if row["changed_by"] is None and ident(updated) not in leads | {
        ident(annotation.get("completed_by"))
    }:
        row["changed_by"] = row["updated_by"]
    return row


def _changed(table: pd.DataFrame) -> pd.Series:
    return table["changed_by"].map(lambda v: isinstance(v, str) and v != "")


def trusted(table: pd.DataFrame) -> pd.DataFrame:
    """The rows that are their author's answers: what agreement and the majority count. An
    annotation someone else changed stays out until a lead confirms it, unless the row is the
    author's own answer given back by the record (`restored`)."""
    if not len(table) or "changed_by" not in table:
        return table
    restored = table["restored"].fillna(False).astype(bool) if "restored" in table else False
    return table[~_changed(table) | restored]


def held_line(table: pd.DataFrame) -> str:
    """One line naming the annotations `trusted` leaves out and who changed them ('' if none)."""
    if not len(table) or "changed_by" not in table:
        return ""
    changed = table[_changed(table)]
    if not len(changed):
        return ""
    parts = [
        f"{name} changed {len(group)} ({', '.join(str(i) for i in group['annotation_id'])})"
        for name, group in changed.groupby("changed_by")
    ]
    restored = int(changed["restored"].fillna(False).astype(bool).sum())
    return (
        f"{len(changed)} annotation(s) changed by someone other than their author: "
        f"{'; '.join(parts)}; {restored} counted as their author answered them (the record "
        f"has it), {len(changed) - restored} left out until a lead confirms them "
        "(mauqif team confirm ID)"
    )


def _annotator(completed_by, users: dict) -> str:
    if isinstance(completed_by, dict):
        return str(
            completed_by.get("email") or completed_by.get("username") or completed_by.get("id")
        )
    return str(users.get(str(completed_by), completed_by))


# ---------------------------------------------------------------------------------------------
# Aggregation (pure)


def independent_passes(table: pd.DataFrame) -> pd.DataFrame:
    """The annotations that are independent passes: not cancelled, and not an adjudication.

    An adjudication is a ground-truth annotation created after at least two other live
    annotations of the same sentence (the reviewer's verdict `mauqif adjudicate` brings back, the
    lead's decision in the gold set): it settles a disagreement and is no new pass. A ground-truth
    first pass (the gold set marks the first pass ground truth where the passes agreed) is a pass.
    """
    table = trusted(table)
    if not len(table):
        return table
    live = table[~table["cancelled"].astype(bool)]
    order = live.assign(
        _created=live["created_at"].fillna("").astype(str),
        _id=pd.to_numeric(live["annotation_id"], errors="coerce"),
        _pos=range(len(live)),
    ).sort_values(["_created", "_id", "_pos"], kind="stable")
    earlier = order.groupby("sentence_id", sort=False).cumcount()
    adjudication = order["ground_truth"].astype(bool) & (earlier >= 2)
    kept = order[~adjudication].sort_values("_pos")
    return kept.drop(columns=["_created", "_id", "_pos"])


LABEL_SOURCES = ("agreement", "adjudication", "majority", "single annotator")


def label_sources_line(report: dict) -> str:
    """One line saying where the labels of an `aggregate` report come from."""
    sources = report.get("label_sources") or {}
    parts = ", ".join(f"{sources.get(k, 0)} {k}" for k in LABEL_SOURCES)
    return f"sentences labelled by: {parts}"


def _label_source(records: list[dict], passes: list[dict], questions: list[str]) -> str:
    """Where a sentence's labels come from: an adjudication, annotators who all agree, a majority
    of annotators who do not, or a single annotator."""
    if len(passes) < len(records) and any(r["ground_truth"] for r in records):
        return "adjudication"
    annotators = {str(r["annotator"]) for r in passes}
    if len(annotators) < 2:
        return "single annotator"
    for q in questions:
        if len({r[q] for r in passes if _present(r[q])}) > 1:
            return "majority"
    return "agreement"


def aggregate(table: pd.DataFrame, schema: Schema) -> tuple[pd.DataFrame, dict]:
    """One row per sentence: its labels and where they came from.

    Cancelled annotations are ignored. An annotation marked ground truth (the adjudicated one)
    decides every question it answers; otherwise each question takes the majority of the
    annotations that answer it. A tie leaves the question unlabelled (NaN) and is counted in the
    report, with the sentence ids. `report["label_sources"]` counts the sentences whose labels
    come from annotators who all agree, an adjudication, a majority, or a single annotator.
    Annotations changed by someone other than their author (`trusted`) are left out and
    counted in `report["held"]`, until a lead confirms them.
    """
    questions = question_columns(schema)
    everything, table = table, trusted(table)
    held_out = len(everything) - len(table)
    live = table[~table["cancelled"].astype(bool)] if len(table) else table
    report = {
        "annotations": int(len(everything)),
        "cancelled": int(len(table) - len(live)),  # of the trusted ones
        "sentences": 0,
        "ground_truth": 0,
        "majority": 0,
        "several_ground_truth": 0,
        "ties": {q: 0 for q in questions},
        "tied_sentences": {q: [] for q in questions},
        "unknown_choices": int(sum(len(u) for u in table["unknown"])) if len(table) else 0,
        "label_sources": dict.fromkeys(LABEL_SOURCES, 0),
        "held": int(held_out),
    }
    passes = independent_passes(table)
    pass_ids = (
        set(zip(passes["sentence_id"], passes["annotation_id"], strict=True))
        if len(passes)
        else set()
    )
    rows = []
    for sentence_id, group in live.groupby("sentence_id", sort=False):
        records = group.to_dict("records")
        independent = [r for r in records if (sentence_id, r["annotation_id"]) in pass_ids]
        report["label_sources"][_label_source(records, independent, questions)] += 1
        truth = [r for r in records if r["ground_truth"]]
        if len(truth) > 1:
            report["several_ground_truth"] += 1
            truth.sort(key=lambda r: str(r["updated_at"] or ""))
        chosen = truth[-1] if truth else None
        report["ground_truth" if chosen else "majority"] += 1
        row = {
            "sentence_id": sentence_id,
            "article_id": records[0]["article_id"],
            "text": records[0]["text"],
            "context": records[0]["context"],
            "mentions": (chosen or _with_mentions(records))["mentions"],
            "n_annotations": len(records),
            "annotators": sorted({str(r["annotator"]) for r in records}),
            "source": "ground_truth" if chosen else "majority",
        }
        for q in questions:
            if chosen is not None and _present(chosen[q]):
                row[q] = chosen[q]
                continue
            value, tied = majority([r[q] for r in records])
            if tied:
                report["ties"][q] += 1
                report["tied_sentences"][q].append(sentence_id)
            row[q] = value
        rows.append(row)
    report["sentences"] = len(rows)
    columns = [
        "sentence_id",
        "article_id",
        "text",
        "context",
        "mentions",
        *questions,
        "n_annotations",
        "annotators",
        "source",
    ]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns}), report
    return pd.DataFrame(rows)[columns], report


def _with_mentions(records: list[dict]) -> dict:
    with_spans = [r for r in records if r["mentions"]]
    return max(with_spans or records, key=lambda r: str(r["updated_at"] or ""))


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def majority(values: Iterable) -> tuple[str | None, bool]:
    """(most frequent answer, whether the top was tied). Unanswered values are ignored."""
    counts = Counter(v for v in values if _present(v)).most_common()
    if not counts:
        return None, False
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return None, True
    return counts[0][0], False


# ---------------------------------------------------------------------------------------------
# Agreement (pure)


def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Cohen's kappa of two annotators' answers to the same items: scikit-learn's
    `cohen_kappa_score`, NaN when it is undefined (no items, or both gave one and the same label
    to everything, so that chance agreement is total)."""
    if len(a) != len(b):
        raise ValueError("both annotators must answer the same items")
    if len(a) == 0 or len(set(a) | set(b)) < 2:
        return float("nan")
    from sklearn.metrics import cohen_kappa_score

    return float(cohen_kappa_score(a, b))


def agreement(
    table: pd.DataFrame, schema: Schema, by: str = "passes", min_shared: int = 1
) -> pd.DataFrame:
    """Cohen's kappa per question between two annotations of the same sentences.

    `by="passes"`: the first two annotations of each sentence by different annotators (in order
    of creation), pooled over sentences: first pass against second pass, whoever did them. An
    adjudicator's later annotation is not a pass. `by="annotators"`: every pair of annotators, on
    the sentences both answered (their latest answer), pairs sharing fewer than `min_shared`
    sentences left out.

    Columns: annotator_a, annotator_b, question, n (sentences both answered), observed (share
    of equal answers), kappa.
    """
    if by not in ("passes", "annotators"):
        raise ValueError(f"by must be 'passes' or 'annotators', not {by!r}")
    questions = question_columns(schema)
    columns = ["annotator_a", "annotator_b", "question", "n", "observed", "kappa"]
    live = table[~table["cancelled"].astype(bool)] if len(table) else table
    if not len(live):
        return pd.DataFrame(columns=columns)
    if by == "passes":
        comparisons = [("first pass", "second pass", _passes(live))]
    else:
        comparisons = _annotator_pairs(live, min_shared)
    rows = []
    for a, b, pairs in comparisons:
        for q in questions:
            answered = [(x[q], y[q]) for x, y in pairs if _present(x[q]) and _present(y[q])]
            if not answered:
                continue
            xs, ys = zip(*answered, strict=True)
            observed = sum(x == y for x, y in answered) / len(answered)
            rows.append([a, b, q, len(answered), observed, cohen_kappa(xs, ys)])
    return pd.DataFrame(rows, columns=columns)


def _passes(live: pd.DataFrame) -> list[tuple[dict, dict]]:
    ordered = live.assign(
        _created=live["created_at"].fillna("").astype(str),
        _id=pd.to_numeric(live["annotation_id"], errors="coerce"),
    ).sort_values(["_created", "_id"], kind="stable")
    pairs = []
    for _, group in ordered.groupby("sentence_id", sort=False):
        records = group.to_dict("records")
        first = records[0]
        second = next((r for r in records[1:] if r["annotator"] != first["annotator"]), None)
        if second is not None:
            pairs.append((first, second))
    return pairs


def _annotator_pairs(live: pd.DataFrame, min_shared: int) -> list[tuple[str, str, list]]:
    # One answer per annotator and sentence: their latest annotation.
    latest = (
        live.assign(_updated=live["updated_at"].fillna("").astype(str))
        .sort_values("_updated", kind="stable")
        .drop_duplicates(["sentence_id", "annotator"], keep="last")
    )
    by_annotator = {
        name: {r["sentence_id"]: r for r in g.to_dict("records")}
        for name, g in latest.groupby("annotator")
    }
    names = sorted(by_annotator)
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            shared = [s for s in by_annotator[a] if s in by_annotator[b]]
            if len(shared) >= max(min_shared, 1):
                out.append((a, b, [(by_annotator[a][s], by_annotator[b][s]) for s in shared]))
    return out

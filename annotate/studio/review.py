"""Adjudication: disagreements go to a review project; the reviewer's verdict comes back as truth.

Why a separate review project and not a filtered view of the main one: Label Studio's Community
edition has no reviewer role, and a view is a tab every member of the project sees, so
annotators would find the other annotators' answers there, and a reviewer's annotation in the
main project would be one more annotation, counted against the overlap. A review project keeps
the annotators' project blind and untouched: the reviewer works in the ordinary labelling stream
of `<title> (review)`, one task per disagreement, sees the competing answers above the
questions (annotators as A, B, C…, so that nobody defers to a name), finds the answers everyone
agreed on and the mention spans already selected, and submits the final answer.

`adjudicate` is idempotent and does both directions in one run:

1. every verdict submitted in the review project is copied into the main project's task as an
   annotation by the reviewer marked **ground truth** (updated if the reviewer changed it), so
   the next `pull` has it and `train`, which takes ground truth first, learns from it;
2. every task of the main project whose independent passes disagree on any question, and that
   is neither settled nor already queued, is imported into the review project.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape
from xml.etree import ElementTree as ET

from ..exceptions import StudioError
from ..labels import independent_passes, labels_table, question_columns
from ..schema import SENTIMENT_TAG, Schema, stance_tag
from .client import Studio
from .config import label_config
from .push import TASK_FIELDS
from .results import choice_result, mention_results
from .team import completed_by, project_tasks

REVIEW_SUFFIX = " (review)"
REVIEW_VERSION = "mauqif-review"
COMPETING_TAG = "competing"
REVIEWER_INSTRUCTIONS = """<h3>Adjudication</h3>
<p>Each task is a sentence on which the annotators disagree. Their answers are shown above the
questions (annotators as A, B, C…); the answers they agreed on are already selected.
Choose the answer the guidelines give for every question marked ≠, check the rest, and submit.
Your answer becomes the ground truth of the sentence in the main project.</p>"""


# ---- pure: which tasks disagree, and what the reviewer sees ------------------------------------


def passes_of(task: dict, schema: Schema) -> list[dict]:
    """The independent answers of a task (`labels.independent_passes`), latest per annotator."""
    passes = independent_passes(labels_table([task], schema)).to_dict("records")
    latest: dict[str, dict] = {}
    for r in sorted(passes, key=lambda r: str(r["updated_at"] or "")):
        latest[str(r["annotator"])] = r
    return sorted(latest.values(), key=lambda r: (str(r["created_at"] or ""), r["annotation_id"]))


def settled(task: dict, schema: Schema) -> bool:
    """Whether the task already has an adjudication (a ground-truth annotation after two others)."""
    table = labels_table([task], schema)
    live = table[~table["cancelled"].astype(bool)] if len(table) else table
    return len(independent_passes(table)) < len(live)


def disagreements(passes: list[dict], schema: Schema) -> list[str]:
    """The questions on which two or more answers differ."""
    out = []
    for q in question_columns(schema):
        given = {p[q] for p in passes if _present(p[q])}
        if len(given) > 1:
            out.append(q)
    return out


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _caption(schema: Schema, question: str, value) -> str:
    if not _present(value):
        return "–"
    values = schema.sentiment if question == SENTIMENT_TAG else schema.stance
    for v in values:
        if v.value == value:
            return f"{v.ur} · {v.en}"
    return str(value)


def _question_name(schema: Schema, question: str) -> str:
    for party in schema.parties:
        if stance_tag(party.id) == question:
            return f"{party.ur} · {party.en}"
    return "جذبات · Sentiment"


def competing_html(passes: list[dict], schema: Schema) -> str:
    """The annotators' answers as a small table, one row per question, ≠ where they differ."""
    letters = [chr(ord("A") + i) for i in range(len(passes))]
    cell = 'style="padding:1px 12px;text-align:left"'
    differ = set(disagreements(passes, schema))
    head = "".join(f"<th {cell}>{letter}</th>" for letter in letters)
    rows = []
    for q in question_columns(schema):
        mark = "≠" if q in differ else ""
        cells = "".join(f"<td {cell}>{escape(_caption(schema, q, p[q]))}</td>" for p in passes)
        style = ' style="background:#fde2e1;font-weight:bold"' if mark else ""
        rows.append(
            f"<tr{style}><td {cell}>{mark}</td><th {cell}>{escape(_question_name(schema, q))}</th>"
            f"{cells}</tr>"
        )
    return (
        '<table class="mauqif-competing" style="border-collapse:collapse;margin:4px 0">'
        f"<tr><th></th><th {cell}>Answers of the annotators</th>{head}</tr>{''.join(rows)}</table>"
    )


def review_config(schema: Schema) -> str:
    """The main label config with the competing answers shown under the sentence."""
    root = ET.fromstring(label_config(schema))
    block = ET.Element("View", className="mauqif-review")
    ET.SubElement(block, "Header", value="Competing answers · مختلف جوابات", size="5")
    ET.SubElement(block, "HyperText", name=COMPETING_TAG, value=f"${COMPETING_TAG}", inline="true")
    position = next(
        (i + 1 for i, child in enumerate(root) if child.get("className") == "mauqif-sentence"),
        len(root),
    )
    root.insert(position, block)
    return ET.tostring(root, encoding="unicode")


def review_task(task: dict, passes: list[dict], schema: Schema, project_id: int) -> dict:
    """The review project's task for a disagreeing main task, with a prediction that selects
    what every annotator agreed on and the mention spans, leaving the disputed questions open."""
    data = {k: task["data"][k] for k in TASK_FIELDS if k in task.get("data", {})}
    data.update(
        {
            COMPETING_TAG: competing_html(passes, schema),
            "main_task_id": int(task["id"]),
            "main_project_id": int(project_id),
            "disagreements": ", ".join(disagreements(passes, schema)),
        }
    )
    return {
        "data": data,
        "predictions": [{"model_version": REVIEW_VERSION, "result": _agreed(task, passes, schema)}],
    }


def _agreed(task: dict, passes: list[dict], schema: Schema) -> list[dict]:
    text = task["data"].get("text", "")
    spans = next((p["mentions"] for p in reversed(passes) if p["mentions"]), [])
    results = mention_results(text, spans)
    differ = set(disagreements(passes, schema))
    for q in question_columns(schema):
        given = {p[q] for p in passes if _present(p[q])}
        if q not in differ and len(given) == 1:
            results.append(choice_result(q, given.pop()))
    return results


# ---- I/O ---------------------------------------------------------------------------------------


@dataclass
class Adjudication:
    """What one `adjudicate` run did."""

    review_project_id: int
    review_title: str
    review_url: str
    disagreeing: list[int] = field(default_factory=list)  # main task ids that disagree, unsettled
    queued: list[int] = field(default_factory=list)  # imported into the review project this run
    waiting: list[int] = field(default_factory=list)  # queued earlier, no verdict yet
    copied: list[int] = field(default_factory=list)  # verdicts copied back as ground truth
    updated: list[int] = field(default_factory=list)  # verdicts the reviewer changed since

    def lines(self) -> list[str]:
        out = []
        if self.copied or self.updated:
            n = len(self.copied) + len(self.updated)
            out.append(
                f"{n} verdict{'s' if n != 1 else ''} from the review brought back as ground truth "
                f"({len(self.copied)} new, {len(self.updated)} changed)"
            )
        out.append(
            f"{len(self.disagreeing)} task{'s' if len(self.disagreeing) != 1 else ''} with "
            f"disagreeing annotators and no verdict: {len(self.queued)} queued now, "
            f"{len(self.waiting)} already waiting"
        )
        out.append(
            f"review project {self.review_project_id} {self.review_title!r}: {self.review_url}"
        )
        return out


def review_project(studio: Studio, project, schema: Schema):
    """The review project of `project` (made from the schema on first use; kept in step)."""
    title = review_title(project)
    settings = {
        "title": title,
        "description": f"Adjudication of project {project.id} ({project.title}): "
        "the tasks whose annotators disagree. Made by `mauqif adjudicate`.",
        "label_config": review_config(schema),
        "expert_instruction": REVIEWER_INSTRUCTIONS,
        "show_instruction": False,
        "show_skip_button": False,
        "enable_empty_annotation": False,
        "maximum_annotations": 1,
        "show_collab_predictions": True,
        "model_version": REVIEW_VERSION,
    }
    existing = studio.find_project(title)
    with studio.errors("setting up the review project"):
        if existing is None:
            return studio.sdk.projects.create(**settings)
        studio.sdk.projects.update(id=existing.id, **settings)
        return studio.sdk.projects.get(id=existing.id)


def adjudicate(
    studio: Studio, project, schema: Schema, on_progress: Callable[[str], None] | None = None
) -> Adjudication:
    """Bring verdicts back as ground truth, then queue the new disagreements (see the module)."""
    say = on_progress or (lambda _message: None)
    if project.title.endswith(REVIEW_SUFFIX):
        raise StudioError(
            f"project {project.id} {project.title!r} is a review project; "
            "adjudicate the annotators' project"
        )
    review = review_project(studio, project, schema)
    result = Adjudication(review.id, review.title, f"{studio.url}/projects/{review.id}/data")
    say(f"reading the tasks of project {project.id}")
    main_tasks = {int(t["id"]): t for t in project_tasks(studio, project.id)}
    queued = _queued(studio, review.id, main_tasks)
    result.copied, result.updated = _bring_back_all(studio, main_tasks, queued)
    if result.copied or result.updated:
        main_tasks = {int(t["id"]): t for t in project_tasks(studio, project.id)}

    new = []
    for main_id, task in main_tasks.items():
        if settled(task, schema):
            continue
        passes = passes_of(task, schema)
        if len(passes) < 2 or not disagreements(passes, schema):
            continue
        result.disagreeing.append(main_id)
        if main_id in queued:
            result.waiting.append(main_id)
        else:
            new.append(review_task(task, passes, schema, project.id))
    if new:
        say(f"queuing {len(new)} tasks for review")
        with studio.errors(f"importing {len(new)} tasks into the review project"):
            studio.sdk.projects.import_tasks(
                id=review.id, request=new, request_options={"max_retries": 0}
            )
        result.queued = [t["data"]["main_task_id"] for t in new]
    return result


def review_title(project) -> str:
    return f"{project.title}{REVIEW_SUFFIX}"


def bring_back_verdicts(studio: Studio, project) -> tuple[list[int], list[int]]:
    """Copy the review project's verdicts into `project` as ground truth (what `adjudicate` does
    first; `pull` does it too, so that a snapshot has every verdict submitted so far).

    Returns the main task ids whose verdict was (copied, updated); nothing without a review
    project."""
    review = studio.find_project(review_title(project))
    if review is None:
        return [], []
    main_tasks = {int(t["id"]): t for t in project_tasks(studio, project.id)}
    return _bring_back_all(studio, main_tasks, _queued(studio, review.id, main_tasks))


def _queued(studio: Studio, review_id: int, main_tasks: dict[int, dict]) -> dict[int, dict]:
    """{main task id: its review task} of the review project."""
    queued = {}
    for task in project_tasks(studio, review_id):
        main_id = (task.get("data") or {}).get("main_task_id")
        if main_id is not None and int(main_id) in main_tasks:
            queued[int(main_id)] = task
    return queued


def _bring_back_all(
    studio: Studio, main_tasks: dict[int, dict], queued: dict[int, dict]
) -> tuple[list[int], list[int]]:
    copied, updated = [], []
    for main_id, task in queued.items():
        verdict = _verdict(task)
        if verdict is None:
            continue
        outcome = _bring_back(studio, main_tasks[main_id], verdict)
        if outcome == "copied":
            copied.append(main_id)
        elif outcome == "updated":
            updated.append(main_id)
    return copied, updated


def _verdict(task: dict) -> dict | None:
    """The reviewer's latest submitted annotation of a review task (None before there is one)."""
    live = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not live:
        return None
    return max(live, key=lambda a: (str(a.get("updated_at") or ""), a.get("id") or 0))


def _bring_back(studio: Studio, main_task: dict, verdict: dict) -> str | None:
    """Copy a verdict into the main task as the reviewer's ground-truth annotation.
    Returns "copied", "updated", or None when the main task already has it."""
    reviewer = completed_by(verdict)
    result = [r for r in verdict.get("result") or [] if r.get("from_name") != COMPETING_TAG]
    mine = [
        a
        for a in main_task.get("annotations") or []
        if a.get("ground_truth") and completed_by(a) == reviewer and not a.get("was_cancelled")
    ]
    with studio.errors(f"bringing back the verdict on task {main_task['id']}"):
        if mine:
            current = max(mine, key=lambda a: a.get("id") or 0)
            if _choices(current.get("result")) == _choices(result):
                return None
            studio.sdk.annotations.update(id=current["id"], result=result, ground_truth=True)
            return "updated"
        studio.sdk.annotations.create(
            id=int(main_task["id"]),
            result=result,
            completed_by=reviewer,
            ground_truth=True,
            lead_time=verdict.get("lead_time"),
        )
    return "copied"


def _choices(result) -> list:
    return sorted(
        (
            r.get("from_name"),
            tuple(r.get("value", {}).get("choices") or r.get("value", {}).get("labels") or []),
            r.get("value", {}).get("start"),
        )
        for r in result or []
        if isinstance(r, dict)
    )

"""Push sentences to Label Studio as tasks with pre-annotations: in bulk, idempotent, visible.

The pure part turns sentence units (and the model's predictions, when there is a model) into
Label Studio tasks. The I/O part lists what the project already holds, imports the rest one
request per batch, and refreshes the predictions of unlabelled tasks when the model changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from ..exceptions import StudioError
from ..schema import Schema
from ..tables import chunks
from .client import PAGE_SIZE, Studio, json_body
from .exceptions import RequestRefused
from .results import (  # noqa: F401  (re-exported: push's API before results.py)
    Thresholds,
    choice_result,
    confident_stance,
    lowest_confidence,
    mention_results,
    prediction,
    prediction_result,
    threshold_of,
)

TASK_FIELDS = (
    "text",
    "context",
    "article_id",
    "sentence_id",
    "index",
    "kind",
    "title",
    "url",
    "published",
    "author",
)
DEFAULT_BATCH = 1000
# The first request's tasks: batches start here and double up to --batch, so the server is busy
# importing after one small prediction instead of a whole batch's.
FIRST_BATCH = 100


class Model(Protocol):
    """What push (and the ML backend) needs of a model (see `mauqif.model.Model`): `answers`
    gives, for each row of a frame (text, context, mentions), the model's stance, stance_proba,
    sentiment and sentiment_proba."""

    version: str
    min_confidence: float
    # {stance value: threshold} (optional): a polar value may need more than `min_confidence`.
    # stance_thresholds: dict[str, float]

    def answers(self, frame) -> list[dict]: ...


def mentions_version(schema: Schema) -> str:
    """The model version of predictions that carry only the mention spans (no model yet)."""
    return f"mentions-{schema.digest()}"


# ---- pure: units → tasks -----------------------------------------------------------------------
# The result JSON itself (mention spans, choices, offsets) is built in `results`.


def task(
    unit: dict,
    schema: Schema,
    model_version: str,
    predicted: dict | None = None,
    min_confidence: Thresholds = 0.0,
) -> dict:
    data = {key: unit.get(key) for key in TASK_FIELDS}
    data["context"] = data["context"] or ""
    return {
        "data": data,
        "predictions": [prediction(unit, schema, model_version, predicted, min_confidence)],
    }


def predict_units(units: list[dict], model: Model | None) -> list[dict | None]:
    """The model's answers for each unit (None for each when there is no model)."""
    if model is None or not units:
        return [None] * len(units)
    import pandas as pd

    frame = pd.DataFrame(
        {
            "text": [u["text"] for u in units],
            "context": [u.get("context") or "" for u in units],
            "mentions": [u.get("mentions") or [] for u in units],
            # a pronoun speaker is resolved across the article (the model reads these)
            "article_id": [u.get("article_id") for u in units],
            "index": [u.get("index") for u in units],
        }
    )
    return model.answers(frame)


# ---- what the project already holds ------------------------------------------------------------


@dataclass(frozen=True)
class ExistingTask:
    id: int
    annotated: bool
    model_versions: frozenset[str]


def existing_tasks(studio: Studio, project_id: int) -> dict[str, ExistingTask]:
    """{sentence_id: task} of the project (tasks without a sentence_id are left out)."""
    found: dict[str, ExistingTask] = {}
    with studio.errors("listing the project's tasks"):
        pager = studio.sdk.tasks.list(
            project=project_id,
            page_size=PAGE_SIZE,
            fields="all",
            include="id,data,total_annotations,cancelled_annotations,predictions_model_versions",
        )
        for task in pager:
            sid = (task.data or {}).get("sentence_id")
            if sid is None:
                continue
            versions = getattr(task, "predictions_model_versions", None) or []
            if isinstance(versions, str):
                versions = [v.strip() for v in versions.split(",") if v.strip()]
            done = (getattr(task, "total_annotations", 0) or 0) + (
                getattr(task, "cancelled_annotations", 0) or 0
            )
            found[str(sid)] = ExistingTask(int(task.id), done > 0, frozenset(versions))
    return found


# ---- push --------------------------------------------------------------------------------------


@dataclass
class PushSummary:
    project_id: int
    model_version: str
    added: int = 0
    skipped: int = 0
    refreshed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    suggested: int = 0  # party choices the model pre-selected
    left_open: int = 0  # party choices left for the annotator (the model was less sure)
    min_confidence: float | None = None
    # {stance value: threshold} when the model's per-value thresholds were applied.
    thresholds: dict[str, float] | None = None

    def line(self) -> str:
        line = (
            f"project {self.project_id}: {self.added} added, {self.skipped} skipped (already there), "
            f"{self.refreshed} refreshed, {self.failed} failed; model version {self.model_version}"
        )
        if self.min_confidence is not None and (self.suggested or self.left_open):
            line += (
                f"; {self.left_open} of {self.suggested + self.left_open} party choices left open "
                f"(model less than {self._sure_enough()} sure)"
            )
        return line

    def _sure_enough(self) -> str:
        if not self.thresholds:
            return f"{self.min_confidence:.2f}"
        return ", ".join(
            f"{value} {'never pre-selected' if t > 1 else f'{t:.2f}'}"
            for value, t in self.thresholds.items()
        )


def push(
    studio: Studio,
    project_id: int,
    units: Iterable[dict],
    schema: Schema,
    model: Model | None = None,
    batch: int = DEFAULT_BATCH,
    refresh: bool = True,
    on_progress: Callable[[int], None] | None = None,
    min_confidence: float | None = None,
) -> PushSummary:
    """Import the units as tasks, one request per batch; sentences already there are skipped.

    The project's model version is set to this push's (the model's, or the mentions-only version
    when there is no model) so that annotators see these predictions. With `refresh`, tasks of
    these units that exist, have no annotation and lack this version's prediction get it through
    the predictions import endpoint; annotated tasks are never touched.

    A party's predicted stance is pre-selected only when the model is at least `min_confidence`
    sure of it; by default each stance value has the model's own threshold (its manifest's
    `stance_thresholds`: a pre-selected favor or against must be right often enough, so it
    needs more than `min_confidence`). The summary counts the choices left open.
    """
    if batch < 1:
        raise StudioError(f"--batch must be at least 1, got {batch}")
    if min_confidence is not None and not 0.0 <= min_confidence <= 1.0:
        raise StudioError(f"--min-confidence must be between 0 and 1, got {min_confidence}")
    version = model.version if model is not None else mentions_version(schema)
    threshold: Thresholds = min_confidence or 0.0
    per_value = None
    if model is not None and min_confidence is None:
        min_confidence = float(getattr(model, "min_confidence", 0.0))
        per_value = getattr(model, "stance_thresholds", None)
        threshold = dict(per_value) if per_value else min_confidence
    summary = PushSummary(
        project_id,
        version,
        min_confidence=min_confidence if model else None,
        thresholds=dict(per_value) if per_value else None,
    )
    existing = existing_tasks(studio, project_id)
    # Label Studio accepts a project model version only once predictions of it exist.
    version_set = False
    if any(version in t.model_versions for t in existing.values()):
        studio.set_model_version(project_id, version)
        version_set = True
    seen: set[str] = set()

    def plan(chunk: list[dict]) -> tuple[list[dict], list[tuple[int, dict]]]:
        """The chunk's new units, and its tasks to refresh (task id, unit)."""
        new, stale = [], []
        for unit in chunk:
            sid = str(unit["sentence_id"])
            if sid in seen:
                summary.skipped += 1
                continue
            seen.add(sid)
            have = existing.get(sid)
            if have is None:
                new.append(unit)
                continue
            summary.skipped += 1
            if refresh and not have.annotated and version not in have.model_versions:
                stale.append((have.id, unit))
        return new, stale

    def prepare(new: list[dict], stale: list[tuple[int, dict]]) -> Batch:
        """The batch's requests, ready to send: the model's answers, the tasks and the refreshed
        predictions, serialised. Runs one batch ahead, in a thread."""
        answers = predict_units(new + [u for _, u in stale], model)
        tasks = [
            task(u, schema, version, a, threshold)
            for u, a in zip(new, answers[: len(new)], strict=True)
        ]
        predictions = [
            {**prediction(u, schema, version, a, threshold), "task": task_id}
            for (task_id, u), a in zip(stale, answers[len(new) :], strict=True)
        ]
        return Batch(
            json_body(tasks) if tasks else None,
            len(tasks),
            json_body(predictions) if predictions else None,
            len(predictions),
            answers,
        )

    def send(batch: Batch, size: int) -> None:
        nonlocal version_set
        if batch.tasks and _import(
            studio,
            f"/api/projects/{project_id}/import",
            batch.tasks,
            batch.n_tasks,
            "tasks",
            summary,
        ):
            summary.added += batch.n_tasks
            _count_choices(summary, batch.answers[: batch.n_tasks], schema, threshold)
        if batch.predictions and _import(
            studio,
            f"/api/projects/{project_id}/import/predictions",
            batch.predictions,
            batch.n_predictions,
            "predictions",
            summary,
        ):
            summary.refreshed += batch.n_predictions
            _count_choices(summary, batch.answers[batch.n_tasks :], schema, threshold)
        if not version_set and (summary.added or summary.refreshed):
            studio.set_model_version(project_id, version)
            version_set = True
        if on_progress:
            on_progress(size)

    # The next batch is predicted, built and serialised in a thread while Label Studio imports
    # this one: the request waits on the server, so with a model push takes about as long as
    # without, and the only work between two requests is sending the body.
    with ThreadPoolExecutor(max_workers=1) as worker:
        pending = None
        for chunk in chunks(units, batch, first=FIRST_BATCH):
            current = (worker.submit(prepare, *plan(chunk)), len(chunk))
            if pending is not None:
                send(pending[0].result(), pending[1])
            pending = current
        if pending is not None:
            send(pending[0].result(), pending[1])
    return summary


@dataclass(frozen=True)
class Batch:
    """One batch's requests: the new tasks and the refreshed predictions as JSON bodies (None
    when there are none), how many of each, and the model's answers (tasks' first)."""

    tasks: bytes | None
    n_tasks: int
    predictions: bytes | None
    n_predictions: int
    answers: list


def _count_choices(
    summary: PushSummary, answers: list, schema: Schema, threshold: Thresholds
) -> None:
    for answer in answers:
        if answer is None:
            continue
        chosen = len(confident_stance(answer, schema.party_ids, threshold))
        summary.suggested += chosen
        summary.left_open += len(schema.party_ids) - chosen


def _import(studio: Studio, path: str, body: bytes, count: int, what: str, summary) -> bool:
    """One bulk request; True when Label Studio took it.

    No retries: a retried import whose first attempt was committed would add the items twice.
    A failed push is re-run instead, and the re-run skips what arrived.
    """
    try:
        studio.post_json(path, body, doing=f"importing {count} {what}")
    except RequestRefused as exc:
        # This batch is refused (the server is up): count it and go on. A lost connection is
        # raised instead: stop there, a re-run resumes.
        summary.failed += count
        summary.errors.append(str(exc))
        return False
    return True

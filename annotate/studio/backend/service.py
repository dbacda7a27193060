"""What the ML backend does, apart from HTTP: predict for Label Studio tasks, count annotations,
retrain in the background, and after a promotion bring the projects up to the new model.

It knows nothing of scikit-learn: the model is anything push can predict with (`push.Model`),
and training is a callable that the service runs in a separate process (`mauqif serve` passes
one that pulls a snapshot and runs `mauqif train`'s `retrain`). So a training never holds the
interpreter lock that /predict needs, and a crashed training never takes the service down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field

from ...exceptions import StudioError
from ...mentions import MentionFinder
from ...schema import Schema
from ..client import Studio
from ..push import Model, predict_units
from ..results import prediction as build_prediction  # the one builder, as push uses it
from .exceptions import BadPayload

log = logging.getLogger("mauqif.serve")

# Annotations created per webhook action (Label Studio 1.23 sends one of these per submit or import).
COUNTED_ACTIONS = ("ANNOTATION_CREATED", "ANNOTATIONS_CREATED")


@dataclass(frozen=True)
class TrainOutcome:
    """What one training run reports back: the new version, and whether it became current."""

    version: str
    promoted: bool
    decision: str
    model_dir: str


Trainer = Callable[[int], TrainOutcome]  # project id → outcome; must be picklable (runs in a child)


@dataclass
class TrainingState:
    running_for: int | None = None  # project id of the training under way
    started_at: float | None = None
    runs: int = 0
    last: dict | None = None  # {version, promoted, decision, project, seconds} or {error, ...}
    # new annotations per project since its last training started
    counts: Counter = field(default_factory=Counter)


class Backend:
    """The model served to Label Studio, and its retraining loop.

    `retrain_every` annotations created in one project start one training (never two at once);
    annotations that arrive during a training count toward the next. `load_model(model_dir)`
    loads a promoted model; `studio` (optional) is the Label Studio the service refreshes after a
    promotion: unlabelled tasks get the new model's predictions, and the ML backends of the
    project that point at `public_url` take the new version as their title, which Label Studio
    makes the project's model version when it was the old one.
    """

    def __init__(
        self,
        model: Model,
        schema: Schema,
        *,
        load_model: Callable[[str], Model] | None = None,
        trainer: Trainer | None = None,
        executor: Executor | None = None,
        studio: Studio | None = None,
        public_url: str | None = None,
        retrain_every: int = 0,
    ):
        self._model = model
        self.schema = schema
        self._load_model = load_model
        self._trainer = trainer
        self._executor = executor
        self.studio = studio
        self.public_url = public_url.rstrip("/") if public_url else None
        self.retrain_every = retrain_every
        self.training = TrainingState()
        self.projects: set[int] = set()  # projects that asked us something
        self.finder = MentionFinder(schema)
        self._lock = threading.Lock()

    # ---- the model -----------------------------------------------------------------------------

    @property
    def model(self) -> Model:
        return self._model

    @property
    def version(self) -> str:
        return self._model.version

    def predict(self, tasks: list[dict]) -> list[dict]:
        """One prediction per task, in the form `push` imports (the same builder)."""
        # A task is a sentence on its own: a dateline opening it (`ٹوکیو (نمائندہ خصوصی)`) names a
        # place, not a speaker, as the sentence pipeline decides at a paragraph's start.
        model = self._model  # one model for the whole request, even if a promotion swaps it
        # The model's finder knows the aliases it learned from annotators' spans.
        finder = model.finder() if callable(getattr(model, "finder", None)) else self.finder
        units = [
            {
                **u,
                "mentions": finder.find(
                    u["text"], paragraph_start=True, context=u.get("context") or ""
                ),
            }
            for u in map(task_unit, tasks)
        ]
        # Each stance value its own threshold (a pre-selected favor or against must be right
        # often enough), as push applies them; a model without them has one for all.
        threshold = getattr(model, "stance_thresholds", None) or float(model.min_confidence)
        return [
            build_prediction(unit, self.schema, model.version, answer, threshold)
            for unit, answer in zip(units, predict_units(units, model), strict=True)
        ]

    def saw_project(self, project: int | None) -> None:
        if project is not None:
            with self._lock:
                self.projects.add(project)

    # ---- retraining ----------------------------------------------------------------------------

    def annotations_created(self, project: int, count: int) -> bool:
        """Count `count` new annotations of `project`; start a training when there are enough.
        True when a training was started."""
        self.saw_project(project)
        with self._lock:
            self.training.counts[project] += count
            due = self.retrain_every > 0 and self.training.counts[project] >= self.retrain_every
        return due and self.start_training(project, "annotations") == "started"

    def start_training(self, project: int, reason: str = "asked") -> str:
        """Start one training in the background. Returns `started`, `busy` (one is under way:
        the new annotations are counted toward the next) or `unavailable` (no trainer)."""
        if self._trainer is None or self._executor is None:
            return "unavailable"
        with self._lock:
            if self.training.running_for is not None:
                return "busy"
            self.training.running_for = project
            self.training.started_at = time.monotonic()
            self.training.counts[project] = 0
        self.saw_project(project)
        log.info("training for project %s (%s)", project, reason)
        threading.Thread(
            target=self._train, args=(project,), name=f"train-{project}", daemon=True
        ).start()
        return "started"

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no training runs (for tests and a clean shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.training.running_for is None:
                return True
            time.sleep(0.1)
        return False

    def _train(self, project: int) -> None:
        started = time.monotonic()
        try:
            outcome = self._executor.submit(self._trainer, project).result()
            last = {
                "project": project,
                "version": outcome.version,
                "promoted": outcome.promoted,
                "decision": outcome.decision,
            }
            log.info("training for project %s: %s", project, outcome.decision)
            if outcome.promoted and self._load_model is not None:
                new = self._load_model(outcome.model_dir)
                old_version, self._model = self._model.version, new
                last["refreshed"] = self.follow(old_version)
        except Exception as exc:  # a failed training leaves the served model as it was
            log.error("training for project %s failed: %s", project, exc)
            last = {"project": project, "error": f"{type(exc).__name__}: {exc}"}
        last["seconds"] = round(time.monotonic() - started, 1)
        with self._lock:
            self.training.last = last
            self.training.runs += 1
            self.training.running_for = None
            self.training.started_at = None
            due = [
                p
                for p, n in self.training.counts.items()
                if self.retrain_every > 0 and n >= self.retrain_every
            ]
        if due:  # annotations kept coming during the training
            self.start_training(due[0], "annotations during the last training")

    # ---- after a promotion -------------------------------------------------------------------------

    def follow(self, old_version: str) -> dict[int, int]:
        """Bring every project we serve up to the current model: predictions for its unlabelled
        tasks, then the new version as the title of its ML backends that serve us. Returns
        {project: tasks refreshed}. Annotations are only read, never written."""
        if self.studio is None:
            return {}
        refreshed = {}
        for project in sorted(self.projects):
            try:
                refreshed[project] = refresh_predictions(self.studio, project, self)
                retitle_backends(self.studio, project, self.public_url, old_version, self.version)
            except StudioError as exc:
                log.error("project %s not refreshed: %s", project, exc)
        return refreshed

    def health(self) -> dict:
        state = self.training
        return {
            "status": "UP",
            "model_class": "mauqif",
            "model_version": self.version,
            "retrain_every": self.retrain_every,
            "training": {
                "running_for_project": state.running_for,
                "seconds": round(time.monotonic() - state.started_at, 1)
                if state.started_at
                else None,
                "runs": state.runs,
                "last": state.last,
                "new_annotations": {str(k): v for k, v in state.counts.items() if v},
            },
            "can_retrain": self._trainer is not None and self._executor is not None,
        }


# ---- tasks → units ----------------------------------------------------------------------------


def task_unit(task) -> dict:
    """The sentence of a Label Studio task: `data.text` (required) and `data.context`."""
    if not isinstance(task, dict):
        raise BadPayload(f"a task must be a JSON object, got {type(task).__name__}")
    data = task.get("data")
    where = f"task {task.get('id')}" if task.get("id") is not None else "a task"
    if not isinstance(data, dict):
        raise BadPayload(f"{where} has no `data` object")
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadPayload(
            f"{where} has no `data.text`: mauqif predicts the sentence in `text` of tasks made "
            "by `mauqif push` or imported with the same fields"
        )
    context = data.get("context")
    # The article and the unit's place in it (push writes both): a pronoun speaker of a batch of
    # one article's tasks is resolved across it.
    return {
        "text": text,
        "context": context if isinstance(context, str) else "",
        "article_id": data.get("article_id"),
        "index": data.get("index"),
    }


# ---- Label Studio side of a promotion -----------------------------------------------------------

PAGE = 500


def _unlabelled_tasks(studio: Studio, project: int, version: str) -> list[dict]:
    """Tasks of `project` with no annotation (nor skip) and no prediction of `version`."""
    out = []
    with studio.errors(f"listing the tasks of project {project}"):
        pager = studio.sdk.tasks.list(
            project=project,
            fields="all",
            page_size=PAGE,
            include="id,data,total_annotations,cancelled_annotations,predictions_model_versions",
        )
        for task in pager:
            t = task.model_dump() if hasattr(task, "model_dump") else dict(task)
            if (t.get("total_annotations") or 0) + (t.get("cancelled_annotations") or 0):
                continue
            versions = t.get("predictions_model_versions") or []
            if isinstance(versions, str):
                versions = [v.strip() for v in versions.split(",")]
            if version in versions:
                continue
            out.append(t)
    return out


def refresh_predictions(studio: Studio, project: int, backend: Backend, batch: int = 500) -> int:
    """Give the unlabelled tasks of `project` the current model's predictions (bulk import)."""
    model_version = backend.version
    todo = [t for t in _unlabelled_tasks(studio, project, model_version) if _has_text(t)]
    done = 0
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        predictions = [
            {**p, "task": t["id"]} for t, p in zip(chunk, backend.predict(chunk), strict=True)
        ]
        with studio.errors(f"importing {len(predictions)} predictions into project {project}"):
            studio.sdk.projects.import_predictions(
                id=project,
                request=predictions,
                request_options={"max_retries": 0, "timeout_in_seconds": 600},
            )
        done += len(predictions)
    return done


def _has_text(task: dict) -> bool:
    text = (task.get("data") or {}).get("text")
    return isinstance(text, str) and bool(text.strip())


def retitle_backends(
    studio: Studio, project: int, public_url: str | None, old_version: str, new_version: str
) -> int:
    """Rename the project's ML backends that serve this model (by URL, else by the old version as
    title) to `new_version`. Label Studio then moves the project's model version along when it was
    the old title. Returns how many were renamed."""
    with studio.errors(f"listing the ML backends of project {project}"):
        backends = studio.sdk.ml.list(project=project)
    ours = [
        b
        for b in backends
        if (public_url and (b.url or "").rstrip("/") == public_url) or b.title == old_version
    ]
    for b in ours:
        with studio.errors(f"updating ML backend {b.id} of project {project}"):
            # Label Studio checks the backend again on every update, and needs url and project
            # for that even when only the title changes.
            studio.sdk.ml.update(id=b.id, url=b.url, project=project, title=new_version)
    return len(ours)

"""The HTTP side of the ML backend: Label Studio 1.23's ML protocol on a small Starlette app.

What Label Studio sends (read from its `ml/api_connector.py` and `ml/models.py`, 1.23.2):

- `GET /health` before every use (1 s timeout): any JSON answer with 200 is "up";
- `POST /setup` `{project: "<id>.<created>", schema: <label config>, hostname, access_token,
  extra_params}` when a backend is connected and before every prediction; the answer's
  `model_version` becomes the backend's model version. The access token is ignored here, never
  stored nor logged: the service uses the connection it was started with;
- `POST /predict` `{tasks: [task…], project, label_config, params}`; the answer is
  `{results: [one prediction per task, in order]}`, each `{result, score, model_version}`;
- `POST /webhook` for every project event once connected (Label Studio adds that webhook
  itself), and `{action: "START_TRAINING", project: {...}}` for the "Start training" button;
- `POST /train` (the button in older versions): `{annotations, project, label_config}`.

A body that is not what the protocol says gets a 400 or 422 with one line saying why; nothing
else (no traceback) goes back to the client.
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import lru_cache

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ...schema import MENTIONS_TAG, SENTIMENT_TAG, TEXT_TAG, Schema, stance_tag
from .exceptions import BadPayload, NotJson, NotMauqifProject
from .service import COUNTED_ACTIONS, Backend

log = logging.getLogger("mauqif.serve")

MAX_TASKS = 10_000  # per /predict request


def project_id(value) -> int | None:
    """Label Studio names a project as `"<id>.<created timestamp>"` (ML calls), as `{"id": …}`
    (webhooks) or as a plain id."""
    if isinstance(value, dict):
        value = value.get("id")
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadPayload(f"`project` must name a project, got {value!r}")
    if isinstance(value, int):
        return value
    head = str(value).split(".", 1)[0]
    if not head.isdigit():
        raise BadPayload(f'`project` must be a project id like "12.1732953600", got {value!r}')
    return int(head)


def required_tags(schema: Schema) -> list[str]:
    return [*(stance_tag(p) for p in schema.party_ids), SENTIMENT_TAG, MENTIONS_TAG]


@lru_cache(maxsize=64)
def _config_problem(digest: str, config: str, wanted: tuple[str, ...]) -> str | None:
    from label_studio_sdk.label_interface import LabelInterface

    try:
        interface = LabelInterface(config)
    except Exception as exc:  # the SDK raises several kinds for a broken config
        return f"the project's label config cannot be read ({type(exc).__name__})"
    controls = {c.name: c for c in interface.controls}
    missing = [name for name in wanted if name not in controls]
    if TEXT_TAG not in {o.name for o in interface.objects}:
        missing.append(f"<Text name={TEXT_TAG!r}>")
    if missing:
        return (
            f"the project's label config lacks {', '.join(missing)}: this backend serves projects "
            "set up by `mauqif setup` with the same schema"
        )
    return None


def check_label_config(config, schema: Schema) -> None:
    """Refuse a project whose label config does not have the tags mauqif's predictions fill."""
    if config is None:
        return
    if not isinstance(config, str):
        raise BadPayload("the label config must be a string of XML")
    digest = hashlib.sha256(config.encode("utf-8")).hexdigest()
    problem = _config_problem(digest, config, tuple(required_tags(schema)))
    if problem:
        raise NotMauqifProject(problem)


async def _body(request: Request) -> dict:
    raw = await request.body()
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise NotJson("the request body is not JSON") from None
    if not isinstance(body, dict):
        raise NotJson(f"the request body must be a JSON object, got {type(body).__name__}")
    return body


def make_app(backend: Backend) -> Starlette:
    """The Starlette application serving `backend`."""

    async def health(request: Request) -> JSONResponse:
        return JSONResponse(backend.health())

    async def setup(request: Request) -> JSONResponse:
        body = await _body(request)
        check_label_config(body.get("schema"), backend.schema)
        backend.saw_project(project_id(body.get("project")))
        return JSONResponse({"model_version": backend.version})

    async def predict(request: Request) -> JSONResponse:
        body = await _body(request)
        tasks = body.get("tasks")
        if not isinstance(tasks, list) or not tasks:
            raise BadPayload("`tasks` must be a non-empty list of Label Studio tasks")
        if len(tasks) > MAX_TASKS:
            raise BadPayload(f"at most {MAX_TASKS} tasks per request, got {len(tasks)}")
        check_label_config(body.get("label_config"), backend.schema)
        backend.saw_project(project_id(body.get("project")))
        results = await run_in_threadpool(backend.predict, tasks)
        return JSONResponse({"results": results, "model_version": backend.version})

    async def webhook(request: Request) -> JSONResponse:
        body = await _body(request)
        action = body.get("action")
        if not isinstance(action, str) or not action:
            raise BadPayload("a webhook needs an `action` (e.g. ANNOTATION_CREATED)")
        project = project_id(body.get("project"))
        if action == "START_TRAINING":
            if project is None:
                raise BadPayload("START_TRAINING needs the `project`")
            return _training(backend.start_training(project, "Start training"), project)
        if action in COUNTED_ACTIONS:
            annotation = body.get("annotation")
            count = len(annotation) if isinstance(annotation, list) else 1
            if project is None:
                raise BadPayload(
                    f"{action} needs the `project` (send the payload with the webhook)"
                )
            started = backend.annotations_created(project, count)
            return JSONResponse({"status": "training" if started else "counted", "counted": count})
        return JSONResponse({"status": "ignored", "action": action})

    async def train(request: Request) -> JSONResponse:
        body = await _body(request)
        project = project_id(body.get("project"))
        if project is None:
            raise BadPayload("/train needs the `project`")
        return _training(backend.start_training(project, "/train"), project)

    async def versions(request: Request) -> JSONResponse:
        return JSONResponse({"versions": [backend.version]})

    async def refused(request: Request, exc: BadPayload) -> JSONResponse:
        log.warning("%s %s refused: %s", request.method, request.url.path, exc)
        status = (
            400 if "not JSON" in str(exc) or "must be a JSON object" in str(exc) else exc.status
        )
        return JSONResponse({"error": str(exc)}, status_code=status)

    async def failed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return JSONResponse(
            {"error": f"the backend failed ({type(exc).__name__}); see its log"}, status_code=500
        )

    return Starlette(
        routes=[
            Route("/", health, methods=["GET"]),
            Route("/health", health, methods=["GET"]),
            Route("/setup", setup, methods=["POST"]),
            Route("/predict", predict, methods=["POST"]),
            Route("/webhook", webhook, methods=["POST"]),
            Route("/train", train, methods=["POST"]),
            Route("/versions", versions, methods=["GET"]),
        ],
        exception_handlers={BadPayload: refused, Exception: failed},
    )


def _training(state: str, project: int) -> JSONResponse:
    if state == "unavailable":
        return JSONResponse(
            {
                "error": "this backend cannot retrain: it was started without a Label Studio "
                "connection (give `mauqif serve` --url and --api-key, or run it beside "
                "`mauqif studio start`)"
            },
            status_code=409,
        )
    return JSONResponse({"status": state, "project": project})

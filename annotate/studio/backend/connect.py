"""Connecting a running backend to a Label Studio project, through Label Studio's ML API.

Label Studio shows a live model's predictions when the project's model version is the *title*
of one of its ML backends (`Project.ml_backend_in_model_version` in 1.23). The backend is
connected with the served model's version as its title and the project's model version is set to
it, so the live predictions, the predictions `push` imported and those the backend imports after
a promotion all carry the same version string. After a promotion the backend renames itself to
the new version and Label Studio moves the project's model version along.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..client import Studio
from ..exceptions import RequestRefused
from .exceptions import BackendError

# Label Studio waits this long for /predict; its own default (100 s) would hold an annotator's
# next task for that long when the backend hangs.
PREDICT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Connection:
    project_id: int
    backend_id: int
    created: bool
    webhook: bool  # Label Studio sends annotation events to the backend (retraining works)

    def line(self, url: str) -> str:
        verb = "connected to" if self.created else "already connected to"
        line = (
            f"model backend {url} {verb} project {self.project_id} (ML backend {self.backend_id})"
        )
        if not self.webhook:
            line += (
                "; no webhook to it: that Label Studio blocks local addresses, so annotations will "
                "not start retraining (see `mauqif serve --help`)"
            )
        return line


def connect_backend(studio: Studio, project_id: int, url: str, model_version: str) -> Connection:
    """Connect the backend at `url` to the project (or update the connection that exists), and
    make its model version the project's. Idempotent."""
    url = url.rstrip("/")
    with studio.errors(f"listing the ML backends of project {project_id}"):
        existing = [
            b for b in studio.sdk.ml.list(project=project_id) if (b.url or "").rstrip("/") == url
        ]
    try:
        if existing:
            backend = existing[0]
            if backend.title != model_version:
                with studio.errors(f"updating ML backend {backend.id}"):
                    # Label Studio checks the backend on every update and needs url and
                    # project for it, even when only the title changes.
                    studio.sdk.ml.update(
                        id=backend.id, url=url, project=project_id, title=model_version
                    )
            backend_id, created = int(backend.id), False
        else:
            with studio.errors(f"connecting the model backend {url} to project {project_id}"):
                backend = studio.sdk.ml.create(
                    project=project_id,
                    url=url,
                    title=model_version,
                    description="mauqif serve: stance and sentiment suggestions, retrained as you label",
                    is_interactive=False,
                    auto_update=True,
                    timeout=PREDICT_TIMEOUT,
                )
            backend_id, created = int(backend.id), True
    except RequestRefused as exc:
        hint = ""
        if "reserved network" in exc.detail or "health check failed" in exc.detail:
            hint = (
                "; a Label Studio that mauqif did not start refuses local addresses unless it runs "
                "with ML_BLOCK_LOCAL_IP=false (see annotate/studio/README.md)"
            )
        raise BackendError(f"{exc}{hint}") from None
    studio.set_model_version(project_id, model_version)
    return Connection(project_id, backend_id, created, _has_webhook(studio, project_id, url))


def _has_webhook(studio: Studio, project_id: int, url: str) -> bool:
    with studio.errors(f"listing the webhooks of project {project_id}"):
        hooks = studio.sdk.webhooks.list(project=str(project_id))
    return any((h.url or "").rstrip("/") == f"{url}/webhook" for h in hooks)

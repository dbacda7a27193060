"""`mauqif serve`: the model as a Label Studio ML backend.

Label Studio asks it for predictions when an annotator opens a task that has none of the served
version (tasks imported any way, not only by `mauqif push`), sends it annotation events, and its
"Start training" button; every `retrain_every` new annotations it retrains in a separate process
with `mauqif train`'s evaluation and promotion, and after a promotion gives the unlabelled tasks
the new model's predictions. See annotate/studio/README.md.

    backend = Backend(model, schema, studio=studio, trainer=..., executor=..., retrain_every=50)
    run(make_app(backend), "127.0.0.1", 9090)
"""

from .app import make_app
from .connect import Connection, connect_backend
from .exceptions import BackendError, BadPayload, NotMauqifProject
from .process import (
    DEFAULT_PORT,
    BackendStatus,
    backend_status,
    health,
    run,
    start_backend,
    stop_backend,
)
from .service import Backend, TrainOutcome, task_unit

__all__ = [
    "DEFAULT_PORT",
    "Backend",
    "BackendError",
    "BackendStatus",
    "BadPayload",
    "Connection",
    "NotMauqifProject",
    "TrainOutcome",
    "backend_status",
    "connect_backend",
    "health",
    "make_app",
    "run",
    "start_backend",
    "stop_backend",
    "task_unit",
]

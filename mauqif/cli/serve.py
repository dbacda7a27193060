"""Command: serve, the model as a Label Studio ML backend (wires `mauqif.model` to
`mauqif.annotate.studio.backend`)."""

from __future__ import annotations

import logging
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import click

from mauqif.annotate.schema import load_schema
from mauqif.annotate.studio.backend import (
    DEFAULT_PORT,
    Backend,
    TrainOutcome,
    connect_backend,
    make_app,
    run,
)
from mauqif.annotate.studio.exceptions import ConnectionFailed, NotConfigured
from mauqif.cli.common import (
    connection_options,
    current_model,
    exports_option,
    folds_option,
    model_option,
    models_option,
    open_studio,
    schema_option,
)

# Why 50: a training cross-validates the new and the current model on every label (5 folds:
# about a dozen fits of 3-5 s each on the gold set's 1,137 sentences, so a minute or more on 2
# cores, in its own process). 50 new sentences are about 4% more labels than the gold set: fewer
# rarely move the figures, so training more often only spends the CPU that Label Studio and the
# annotators share; at 2-4 sentences a minute, it is one training every 15-25 minutes of one
# annotator's work.
DEFAULT_RETRAIN_EVERY = 50


@dataclass(frozen=True)
class RetrainFromStudio:
    """One training run, as `mauqif train --from-studio --project ID --promote auto` does it:
    pull a fresh snapshot of the project into EXPORTS/snapshots/, then cross-validate, write the
    new model and promote it only if it beats the current one on the same folds.

    Runs in a child process (it is pickled there; the API key goes through the pipe, never a
    command line or a log)."""

    url: str
    api_key: str = field(repr=False)
    schema_path: Path | None
    data: tuple[Path, ...]
    exports: Path
    models: Path
    folds: int
    learning_curve: bool

    def __call__(self, project_id: int) -> TrainOutcome:
        import warnings

        from mauqif.annotate.studio import connect, pull
        from mauqif.model.train import DEFAULT_DATA, retrain

        warnings.filterwarnings("ignore", message=".*Google will stop supporting.*")
        schema = load_schema(self.schema_path)
        studio = connect(self.url, self.api_key)
        project = studio.project(project_id=project_id)
        snapshot = pull(studio, project, schema, self.exports).snapshot
        paths = list(self.data or DEFAULT_DATA)
        if not any(_inside(snapshot, p) for p in paths):
            paths.append(snapshot)
        result = retrain(
            paths,
            self.models,
            "auto",
            schema=schema,
            n_folds=self.folds,
            with_learning_curve=self.learning_curve,
            on_skip=lambda error: None,
        )
        return TrainOutcome(result.version, result.promoted, result.decision, str(result.model_dir))


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve() == folder.resolve() or path.resolve().is_relative_to(folder.resolve())
    except OSError:
        return False


@click.command()
@model_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Keep 127.0.0.1 unless Label Studio runs on another machine.",
)
@click.option(
    "--port", type=int, default=DEFAULT_PORT, show_default=True, help="Port to listen on."
)
@click.option(
    "--public-url",
    default=None,
    help="The URL Label Studio reaches this backend at (default: http://HOST:PORT).",
)
@click.option(
    "--retrain-every",
    type=click.IntRange(min=0),
    default=DEFAULT_RETRAIN_EVERY,
    show_default=True,
    help="Retrain after this many new annotations in a project (0: only on the Start training "
    "button). About 4% more labels than the gold set; see the README.",
)
@models_option
@exports_option(
    "Exports to train on besides the project's fresh snapshot (repeatable). "
    "Default: exports/gold/ and exports/snapshots/, as `mauqif train`."
)
@click.option(
    "--exports",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("exports"),
    show_default=True,
    help="Where each training's snapshot goes (EXPORTS/snapshots/).",
)
@folds_option
@click.option(
    "--learning-curve/--no-learning-curve",
    default=True,
    show_default=True,
    help="Compute the learning curve for each training's report (slower).",
)
@connection_options
@click.option(
    "--project",
    "project_id",
    type=int,
    default=None,
    help="Connect the backend to this project once it listens (Label Studio's ML API).",
)
@schema_option
def serve(
    model_path,
    host,
    port,
    public_url,
    retrain_every,
    models,
    data,
    exports,
    folds,
    learning_curve,
    url,
    api_key,
    home,
    data_dir,
    project_id,
    schema_path,
):
    """Serve the model to Label Studio as an ML backend, and retrain it as annotators work.

    Label Studio asks it for the model's suggestions whenever an annotator opens a task without
    them (tasks imported any way, not only by `mauqif push`), in exactly the form push writes.
    Every --retrain-every new annotations in a project, and on the project's "Start training"
    button, it pulls a snapshot and trains in a separate process with `mauqif train`'s
    evaluation, promoting the new model only if it beats the current one on the same folds;
    after a promotion the project's unlabelled tasks get the new model's predictions and the
    project's model version follows. One training at a time; predictions never wait for one.

    Label Studio (--url/--api-key, default the local server of --home) is needed to retrain;
    without one the backend only predicts. `mauqif studio start` runs it for you beside the
    local Label Studio. To use it from another Label Studio, connect it in the project's
    Settings → Model with this URL; that server must run with ML_BLOCK_LOCAL_IP=false to reach
    a local address.

    Example:

        mauqif serve --port 9090 --project 1 --retrain-every 50
    """
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per call to Label Studio
    schema = load_schema(schema_path)
    _path, model = current_model(model_path, schema)
    public_url = (public_url or f"http://{host}:{port}").rstrip("/")
    log = logging.getLogger("mauqif.serve")

    studio = None
    try:
        studio = open_studio(url, api_key, home, data_dir)
    except (NotConfigured, ConnectionFailed) as exc:
        # Without --url, a missing or stopped local server is no reason not to predict.
        if url or project_id is not None:
            raise
        log.warning("%s; serving predictions only, no retraining", exc)

    trainer = executor = None
    if studio is not None:
        trainer = RetrainFromStudio(
            studio.url,
            api_key or _local_key(home, data_dir, url),
            schema_path,
            tuple(data),
            exports,
            models,
            folds,
            learning_curve,
        )
        # spawn, not fork: this process has threads (the server's), which fork does not copy safely.
        executor = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn")
        )

    from mauqif.model import load_model

    backend = Backend(
        model,
        schema,
        load_model=lambda directory: load_model(directory, schema),
        trainer=trainer,
        executor=executor,
        studio=studio,
        public_url=public_url,
        retrain_every=retrain_every,
    )

    def connect_project():
        try:
            connection = connect_backend(studio, project_id, public_url, model.version)
            backend.saw_project(project_id)
            log.info(connection.line(public_url))
        except Exception as exc:  # the server keeps serving; the UI can connect it later
            log.error("could not connect to project %s: %s", project_id, exc)

    retraining = (
        f"retrain every {retrain_every} new annotations" if retrain_every else "retrain on request"
    )
    log.info(
        "serving model %s at %s (%s)",
        model.version,
        public_url,
        retraining if trainer is not None else "no retraining",
    )
    try:
        run(make_app(backend), host, port, connect_project if project_id is not None else None)
    finally:
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


def _local_key(home: Path, data_dir: Path | None, url: str | None) -> str:
    """The API key of the local server of --home (when --api-key was not given)."""
    from mauqif.annotate.studio import LocalStudio

    credentials = LocalStudio(home, data_dir).credentials()
    if credentials is None or (url and url.rstrip("/") != credentials.url.rstrip("/")):
        raise click.ClickException("give --api-key for --url (LABEL_STUDIO_API_KEY)")
    return credentials.api_key


COMMANDS = [serve]


def start_beside_studio(home: Path, data_dir: Path | None, title: str | None) -> list[str]:
    """What `mauqif studio start` does for the model: start `mauqif serve` in the background
    beside the local Label Studio when there is a model, and connect it to the project titled
    `title` when it exists. Returns the lines to show."""
    import os

    from mauqif.annotate.studio.backend import start_backend
    from mauqif.annotate.studio.server import free_port
    from mauqif.model import current_model_dir

    if current_model_dir() is None:
        return ["no model in models/, so no model backend: train one with `mauqif train`"]
    args = ["--home", str(home)] + (["--data-dir", str(data_dir)] if data_dir else [])
    # The backend talks to the local server of --home, never to one named in the environment.
    env = {
        k: v for k, v in os.environ.items() if k not in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")
    }
    state = start_backend(home, args, free_port(DEFAULT_PORT), env)
    lines = [f"model backend at {state.url} (pid {state.pid}), model {state.model_version}"]
    studio = open_studio(None, None, home, data_dir)
    project = studio.find_project(title)
    if project is None:
        lines.append(
            f"no project titled {title or 'mauqif'!r} yet: run `mauqif setup`, then "
            "`mauqif studio start` again to connect the model to it"
        )
    else:
        lines.append(
            connect_backend(studio, project.id, state.url, state.model_version).line(state.url)
        )
    return lines

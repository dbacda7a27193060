"""Commands: studio, setup, push, pull, demo: everything that talks to Label Studio.

This is where the two halves meet: push asks the model (when there is one) for pre-annotations,
demo trains one on the gold set the way `mauqif train` does.
"""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

import click

from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.reader import iter_articles
from mauqif.annotate.schema import load_schema
from mauqif.annotate.studio import LocalStudio, connect, pull, push, start, status, stop
from mauqif.annotate.studio.locks import ProjectBusy, project_lock
from mauqif.cli.common import (
    Group,
    SkipReport,
    connection_options,
    current_model,
    home_options,
    inputs_argument,
    open_studio,
    project_options,
    sampling_option,
    schema_option,
    title_option,
    units_reporting_skips,
)

GOLD = Path("exports/gold/gold.json")
MODELS = Path("models")


# ---- studio start | stop | status --------------------------------------------------------------


@click.group(cls=Group)
def studio():
    """The local Label Studio server (embedded default): start, stop, status.

    It binds 127.0.0.1 only, keeps its data in HOME/studio/, and never contacts the internet.
    The first start creates an admin account; its password and API key are kept in
    HOME/credentials.json, readable by you only, and never printed (except by `mauqif demo`).

    Example:

        mauqif studio start && mauqif studio status --json
    """


@studio.command("start")
@home_options
@click.option(
    "--port",
    type=int,
    default=None,
    help="Port on 127.0.0.1 (default: the last one, else a free one).",
)
@click.option(
    "--timeout",
    type=float,
    default=240.0,
    show_default=True,
    help="Seconds to wait for it to answer.",
)
def studio_start(home, data_dir, port, timeout):
    """Start the local Label Studio server, or reuse the running one.

    Example:

        mauqif studio start --port 8080
    """
    local = LocalStudio(home, data_dir)
    if not status(local).running:
        click.echo("starting Label Studio (the first start takes a minute)…", err=True)
    state = start(local, port=port, timeout=timeout, base_env=dict(os.environ))
    credentials = local.credentials()
    verb = "already running" if state.reused else "running"
    click.echo(f"Label Studio is {verb} at {state.url} (pid {state.pid})")
    if credentials:
        click.echo(f"log in as {credentials.username}; the password is in {local.credentials_path}")


@studio.command("stop")
@home_options
def studio_stop(home, data_dir):
    """Stop the local server that `mauqif studio start` started (and nothing else).

    Example:

        mauqif studio stop
    """
    stopped = stop(LocalStudio(home, data_dir))
    click.echo("Label Studio stopped" if stopped else "Label Studio was not running")


@studio.command("status")
@home_options
@click.option(
    "--json", "as_json", is_flag=True, help="Print JSON: running, url, pid, data_dir, credentials."
)
def studio_status(home, data_dir, as_json):
    """Is the local server running, and where?

    Example:

        mauqif studio status --json
    """
    state = status(LocalStudio(home, data_dir))
    if as_json:
        data = state.to_dict()
        data.pop("reused", None)
        click.echo(json.dumps(data))
    elif state.running:
        click.echo(f"running at {state.url} (pid {state.pid}); data in {state.data_dir}")
    else:
        click.echo(
            f"not running{f' (last at {state.url})' if state.url else ''}; start it with `mauqif studio start`"
        )


# ---- setup / push / pull -----------------------------------------------------------------------


@click.command()
@connection_options
@title_option
@schema_option
@click.option(
    "--guidelines",
    type=click.Path(dir_okay=False, path_type=Path),
    multiple=True,
    help="Guidelines in Markdown, as LANG=FILE (en=…, ur=…); default: the packaged English and Urdu ones.",
)
@sampling_option
def setup(url, api_key, home, data_dir, title, schema_path, guidelines, sampling):
    """Create the Label Studio project from the schema, or update the one with this title.

    The label config (Urdu right-to-left, context above, party mentions as spans, one required
    stance choice per party, sentiment) and the instructions are made from the schema and
    validated by Label Studio. Running it again changes nothing unless the schema changed.

    Example:

        mauqif setup --title "stance 2025" --sampling uncertainty
    """
    from mauqif.annotate.studio.config import read_guidelines

    schema = load_schema(schema_path)
    texts = None
    if guidelines:
        pairs = {}
        for item in guidelines:
            lang, sep, path = str(item).partition("=")
            if not sep:
                raise click.BadParameter(
                    f"{item!r}: give it as LANG=FILE, e.g. ur=guidelines.ur.md",
                    param_hint="--guidelines",
                )
            pairs[lang] = path
        texts = read_guidelines(pairs)
    studio_ = open_studio(url, api_key, home, data_dir)
    result = studio_.setup_project(schema, title, texts, sampling)
    verb = "created" if result.created else ("updated" if result.config_changed else "up to date")
    click.echo(
        f"project {result.project_id} {result.title!r} {verb} at {studio_.url}/projects/{result.project_id}"
    )


@contextmanager
def _push_lock(home: Path, url: str, project_id: int, wait: bool):
    """One push per project at a time (`annotate.studio.locks`); says so when it waits."""

    def waiting(path: Path) -> None:
        click.echo(
            f"another push into project {project_id} is running (lock {path}); "
            "waiting for it to finish…",
            err=True,
        )

    try:
        with project_lock(home, url, project_id, wait=None if wait else 0, on_wait=waiting):
            yield
    except ProjectBusy as exc:
        raise click.ClickException(str(exc)) from None


@click.command("push")
@inputs_argument
@connection_options
@project_options
@schema_option
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Tasks per import request.",
)
@click.option(
    "--model",
    "model_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Model directory (default: models/current).",
)
@click.option(
    "--no-model", is_flag=True, help="Push mention spans only, without the model's suggestions."
)
@click.option(
    "--min-confidence",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    metavar="P",
    help="Pre-select a party's stance only when the model is at least P sure of it; below, the "
    "choice is left open for the annotator. Default: the model's own, from its manifest "
    "(chosen on real news). 0 pre-selects every answer.",
)
@click.option(
    "--wait/--no-wait",
    default=True,
    show_default=True,
    help="When another push into the same project is running: wait for it to finish, or stop "
    "at once with an error.",
)
@click.option(
    "--refresh/--no-refresh",
    default=True,
    show_default=True,
    help="Give unlabelled tasks of these inputs this model's predictions when theirs are older.",
)
@sampling_option
def push_command(
    inputs,
    url,
    api_key,
    home,
    data_dir,
    project_id,
    title,
    schema_path,
    batch,
    model_dir,
    no_model,
    min_confidence,
    wait,
    refresh,
    sampling,
):
    """Send the sentences of INPUTS to Label Studio as tasks with pre-annotations.

    Sentences already in the project (same sentence_id) are skipped, so pushing twice adds
    nothing and an interrupted push can simply be run again. The current model's suggestions
    (stance per party, sentiment) are pre-selected; the project's model version is set to the
    model's so annotators see them. A party's stance is pre-selected only when the model is sure
    enough (--min-confidence); the summary says how many choices were left open. Without a model
    the mentions alone are pre-annotated.

    Example:

        mauqif push articles/ --title "stance 2025" --batch 2000 --min-confidence 0.6
    """
    from tqdm import tqdm

    schema = load_schema(schema_path)
    studio_ = open_studio(url, api_key, home, data_dir)
    project = studio_.project(title, project_id)
    model = None if no_model else current_model(model_dir, schema, required=False)[1]
    report = SkipReport()
    segmenter = Segmenter.default(schema)
    units = units_reporting_skips(segmenter, iter_articles(inputs, on_skip=report), report)
    with (
        _push_lock(home, studio_.url, project.id, wait),
        tqdm(unit=" sentences", file=sys.stderr, desc="push", disable=None) as bar,
    ):
        summary = push(
            studio_,
            project.id,
            units,
            schema,
            model=model,
            batch=batch,
            refresh=refresh,
            on_progress=bar.update,
            min_confidence=min_confidence,
        )
    if sampling:
        studio_.set_sampling(project.id, sampling)
    click.echo(summary.line())
    for error in summary.errors:
        click.echo(f"failed: {error}", err=True)
    report.finish()
    if summary.failed:
        raise click.ClickException(
            f"{summary.failed} tasks were refused (see above); fix and push again"
        )


@click.command("pull")
@connection_options
@project_options
@schema_option
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("exports"),
    show_default=True,
)
def pull_command(url, api_key, home, data_dir, project_id, title, schema_path, out_dir):
    """Export the project's annotations to a new snapshot and a tidy labels table.

    Writes OUT/snapshots/<project>-<UTC time>.json (Label Studio's JSON export, never
    overwritten) with a .meta.json beside it, and OUT/labels/<same name>.csv and .parquet (one
    row per task and annotation).

    Example:

        mauqif pull --title "stance 2025" -o exports/
    """
    schema = load_schema(schema_path)
    studio_ = open_studio(url, api_key, home, data_dir)
    project = studio_.project(title, project_id)
    result = pull(studio_, project, schema, out_dir)
    click.echo(f"snapshot {result.snapshot} ({result.tasks} tasks)")
    click.echo(f"labels {result.csv} and {result.parquet} ({result.rows} rows)")
    if result.unknown:
        click.echo(
            f"{result.unknown} annotations have choices the schema does not know; they are kept in the "
            "`unknown` column: add them to the schema or correct them in Label Studio",
            err=True,
        )


# ---- demo --------------------------------------------------------------------------------------


@click.command()
@home_options
@click.option(
    "--port",
    type=int,
    default=None,
    help="Port of the local server (default: the last one, else a free one).",
)
@title_option
def demo(home, data_dir, port, title):
    """The main job: local Label Studio, the project, a model, the sample articles pushed.

    Starts the local server (or reuses it), sets up the project, trains a model on the gold set
    (exports/gold/) when there is none in models/, pushes the sample articles with the model's
    suggestions, and prints the URL, the login and how to stop. Running it again changes nothing.

    Example:

        mauqif demo
    """
    schema = load_schema()
    local = LocalStudio(home, data_dir)
    if not status(local).running:
        click.echo("1/4 starting Label Studio (the first start takes a minute)…", err=True)
    state = start(local, port=port, base_env=dict(os.environ))
    click.echo(
        f"1/4 Label Studio {'was already running' if state.reused else 'started'} at {state.url}",
        err=True,
    )
    credentials = local.credentials()
    studio_ = connect(credentials.url, credentials.api_key)
    setup = studio_.setup_project(schema, title)
    click.echo(
        f"2/4 project {setup.project_id} {'created' if setup.created else 'ready'}", err=True
    )

    _path, model = current_model(None, schema, required=False)
    if model is None:
        if not GOLD.exists():
            raise click.ClickException(
                f"no model in {MODELS}/ and no gold set at {GOLD}; run the demo from the repository root"
            )
        from mauqif.model.train import retrain

        click.echo(
            f"3/4 training a model on {GOLD} (cross-validated, as `mauqif train` does)…", err=True
        )
        result = retrain([GOLD], MODELS, "always", schema=schema, with_learning_curve=False)
        click.echo(f"3/4 model {result.version}; report {result.report}", err=True)
        _path, model = current_model(None, schema)
    else:
        click.echo(f"3/4 model {model.version}", err=True)

    with resources.as_file(
        resources.files("mauqif.annotate").joinpath("samples", "articles")
    ) as samples:
        units = Segmenter.default(schema).iter_units(iter_articles([samples]))
        summary = push(studio_, setup.project_id, units, schema, model=model)
    click.echo(f"4/4 {summary.line()}", err=True)

    # The one place the password is shown: the user needs it to log in.
    click.echo("")
    click.echo(f"Label Studio: {state.url}/projects/{setup.project_id}/data")
    click.echo(f"  log in as:  {credentials.username}")
    click.echo(f"  password:   {credentials.password}")
    click.echo(f"  (both kept in {local.credentials_path})")
    click.echo(
        f"Stop it with: mauqif studio stop{'' if home == Path('.mauqif') else f' --home {home}'}"
    )


COMMANDS = [studio, setup, push_command, pull_command, demo]

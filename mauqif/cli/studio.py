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

from mauqif.annotate.dedupe import project_units
from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.reader import iter_articles
from mauqif.annotate.schema import load_schema
from mauqif.annotate.studio import LocalStudio, connect, pull, push, start, status, stop
from mauqif.annotate.studio.locks import ProjectBusy, project_lock
from mauqif.cli.common import (
    Group,
    SkipReport,
    article_inputs,
    article_inputs_argument,
    connection_options,
    current_model,
    dedupe_options,
    drop_near_duplicates,
    echo_changes,
    home_options,
    intake_options,
    model_option,
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
@title_option
@click.option(
    "--model-backend/--no-model-backend",
    default=True,
    show_default=True,
    help="Also start `mauqif serve` (when models/current exists) and connect it to the project "
    "titled --title, so tasks imported any way get the model's suggestions and annotations "
    "retrain it.",
)
@click.option(
    "--database",
    default=None,
    metavar="URL",
    help="Keep Label Studio's data in PostgreSQL: postgresql://USER:PASSWORD@HOST:PORT/NAME "
    "(remembered, mode 0600, never printed with its password); `sqlite` for the default.",
)
def studio_start(home, data_dir, port, timeout, title, model_backend, database):
    """Start the local Label Studio server, or reuse the running one, and the model backend.

    With --database it keeps its data in PostgreSQL (what a team of annotators working at
    once needs; SQLite locks), and starts there again next time; `--database sqlite` goes
    back to the default.

    Example:

        mauqif studio start --port 8080

        mauqif studio start --database postgresql://ls:secret@127.0.0.1:5432/labelstudio
    """
    local = LocalStudio(home, data_dir)
    if not status(local).running:
        click.echo("starting Label Studio (the first start takes a minute)…", err=True)
    state = start(local, port=port, timeout=timeout, base_env=dict(os.environ), database=database)
    credentials = local.credentials()
    verb = "already running" if state.reused else "running"
    click.echo(
        f"Label Studio is {verb} at {state.url} (pid {state.pid}), database {state.database}"
    )
    if credentials:
        click.echo(f"log in as {credentials.username}; the password is in {local.credentials_path}")
    if model_backend:
        from mauqif.cli.serve import start_beside_studio

        for line in start_beside_studio(home, data_dir, title):
            click.echo(line)


@studio.command("stop")
@home_options
def studio_stop(home, data_dir):
    """Stop the local server that `mauqif studio start` started (and nothing else).

    Example:

        mauqif studio stop
    """
    from mauqif.annotate.studio.backend import stop_backend
    from mauqif.annotate.studio.door import stop_door

    if stop_backend(home):
        click.echo("model backend stopped")
    if stop_door(home):
        click.echo("the annotators' door stopped")
    stopped = stop(LocalStudio(home, data_dir))
    click.echo("Label Studio stopped" if stopped else "Label Studio was not running")


@studio.command("status")
@home_options
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON: running, url, pid, data_dir, credentials, database, and backend (the model backend: "
    "running, url, pid, model_version, training, problem; null when none was started).",
)
def studio_status(home, data_dir, as_json):
    """Is the local server running, and where?

    Example:

        mauqif studio status --json
    """
    from mauqif.annotate.studio.backend import backend_status

    state = status(LocalStudio(home, data_dir))
    backend = backend_status(home)
    if as_json:
        data = state.to_dict()
        data.pop("reused", None)
        data["backend"] = backend.to_dict() if backend else None
        click.echo(json.dumps(data))
        return
    if state.running:
        click.echo(
            f"running at {state.url} (pid {state.pid}); data in {state.data_dir}, "
            f"database {state.database}"
        )
    else:
        click.echo(
            f"not running{f' (last at {state.url})' if state.url else ''}; start it with `mauqif studio start`"
        )
    if backend is not None:
        click.echo(
            f"model backend running at {backend.url} (pid {backend.pid}), model {backend.model_version}"
            if backend.running
            else backend.problem
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
@click.option(
    "--overlap",
    type=click.IntRange(min=1),
    default=None,
    metavar="N",
    help="Give tasks to N different annotators, each blind to the others' answers (the "
    "project's maximum annotations per task). 1 turns overlap off.",
)
@click.option(
    "--overlap-share",
    type=click.FloatRange(0, 1, min_open=True),
    default=1.0,
    show_default=True,
    metavar="S",
    help="With --overlap: the share of tasks (0-1) that go to N annotators; the rest go to one.",
)
def setup(
    url, api_key, home, data_dir, title, schema_path, guidelines, sampling, overlap, overlap_share
):
    """Create the Label Studio project from the schema, or update the one with this title.

    The label config (Urdu right-to-left, context above, party mentions as spans, one required
    stance choice per party, sentiment) and the instructions are made from the schema and
    validated by Label Studio. Running it again changes nothing unless the schema changed.

    Example:

        mauqif setup --title "stance 2025" --sampling uncertainty --overlap 2 --overlap-share 0.2
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
    if overlap is not None:
        from mauqif.annotate.studio.team import set_overlap

        click.echo(set_overlap(studio_, result.project_id, overlap, overlap_share).line())


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
@article_inputs_argument
@connection_options
@project_options
@schema_option
@intake_options(with_home=False)
@dedupe_options(default=True)
@click.option(
    "--batch",
    type=click.IntRange(min=1),
    default=1000,
    show_default=True,
    help="Tasks per import request (the first requests take 100, 200, … up to N, so that Label "
    "Studio starts importing while the model predicts the next batch).",
)
@model_option
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
    model_path,
    no_model,
    min_confidence,
    wait,
    refresh,
    sampling,
    dedupe,
    dedupe_threshold,
    **web,
):
    """Send the sentences of INPUTS to Label Studio as tasks with pre-annotations.

    Sentences already in the project (same sentence_id) are skipped, so pushing twice adds
    nothing and an interrupted push can simply be run again. The current model's suggestions
    (stance per party, sentiment) are pre-selected; the project's model version is set to the
    model's so annotators see them. A party's stance is pre-selected only when the model is sure
    enough (--min-confidence); the summary says how many choices were left open. Without a model
    the mentions alone are pre-annotated.

    INPUTS are read as `mauqif sentences` reads them, web pages, --urls, --feed and --sitemap
    included (fetched politely and kept in HOME/cache/: a re-run fetches nothing it has). With
    --dedupe (the default) a sentence that nearly repeats one already in the project, or one
    earlier in this push, is not sent: the same wire story on three sites is labelled once, and
    each article that mostly repeats another is reported with its duplicate_of.

    Example:

    \b
        mauqif push articles/ --title "stance 2025" --batch 2000 --min-confidence 0.6
        mauqif push --feed https://www.example.com/urdu/rss.xml --title "stance 2025"
    """
    from tqdm import tqdm

    schema = load_schema(schema_path)
    studio_ = open_studio(url, api_key, home, data_dir)
    project = studio_.project(title, project_id)
    model = None if no_model else current_model(model_path, schema, required=False)[1]
    report = SkipReport()
    # The model's segmenter finds mentions with the aliases it learned from annotators' spans.
    segmenter = model.segmenter() if model is not None else Segmenter.default(schema)
    sources = article_inputs(inputs, home, **web)
    units = units_reporting_skips(segmenter, iter_articles(sources, on_skip=report), report)
    if dedupe:
        # Seeded from the project's tasks when the first unit is asked for: inside the lock.
        units = drop_near_duplicates(
            units, dedupe_threshold, seed=lambda: project_units(studio_, project.id)
        )
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
    from mauqif.annotate.studio.tampering import record_directory

    result = pull(studio_, project, schema, out_dir, record_dir=record_directory(home, url))
    if result.verdicts:
        click.echo(f"{result.verdicts} reviewers' verdicts brought back as ground truth")
    click.echo(f"snapshot {result.snapshot} ({result.tasks} tasks)")
    click.echo(f"labels {result.csv} and {result.parquet} ({result.rows} rows)")
    if result.changes:
        echo_changes(result.changes)
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
    suggestions, starts the live model backend connected to the project (so tasks imported in
    Label Studio's own page get suggestions), writes a trends report of the sample articles
    (HOME/trends/trends.html), and prints the URL, the login and how to stop. Running it again
    changes nothing.

    Example:

        mauqif demo
    """
    schema = load_schema()
    local = LocalStudio(home, data_dir)
    if not status(local).running:
        click.echo("1/6 starting Label Studio (the first start takes a minute)…", err=True)
    state = start(local, port=port, base_env=dict(os.environ))
    click.echo(
        f"1/6 Label Studio {'was already running' if state.reused else 'started'} at {state.url}",
        err=True,
    )
    credentials = local.credentials()
    studio_ = connect(credentials.url, credentials.api_key)
    setup = studio_.setup_project(schema, title)
    click.echo(
        f"2/6 project {setup.project_id} {'created' if setup.created else 'ready'}", err=True
    )

    _path, model = current_model(None, schema, required=False)
    if model is None:
        if not GOLD.exists():
            raise click.ClickException(
                f"no model in {MODELS}/ and no gold set at {GOLD}; run the demo from the repository root"
            )
        from mauqif.model.train import retrain

        click.echo(
            f"3/6 training a model on {GOLD} (cross-validated, as `mauqif train` does)…", err=True
        )
        result = retrain([GOLD], MODELS, "always", schema=schema, with_learning_curve=False)
        click.echo(f"3/6 model {result.version}; report {result.report}", err=True)
        _path, model = current_model(None, schema)
    else:
        click.echo(f"3/6 model {model.version}", err=True)

    with resources.as_file(
        resources.files("mauqif.annotate").joinpath("samples", "articles")
    ) as samples:
        units = model.segmenter().iter_units(iter_articles([samples]))
        summary = push(studio_, setup.project_id, units, schema, model=model)
        click.echo(f"4/6 {summary.line()}", err=True)
        from mauqif.cli.serve import start_beside_studio

        for line in start_beside_studio(home, data_dir, title):
            click.echo(f"5/6 {line}", err=True)
        from mauqif.cli.trends import sample_trends

        trends_report, trends_line = sample_trends(model, _path, samples, home / "trends")
    click.echo(f"6/6 trends of the sample articles ({trends_line})", err=True)

    # The one place the password is shown: the user needs it to log in.
    click.echo("")
    click.echo(f"Label Studio: {state.url}/projects/{setup.project_id}/data")
    click.echo(f"  log in as:  {credentials.username}")
    click.echo(f"  password:   {credentials.password}")
    click.echo(f"  (both kept in {local.credentials_path})")
    click.echo(f"Trends report: {trends_report}")
    click.echo(
        f"Stop it with: mauqif studio stop{'' if home == Path('.mauqif') else f' --home {home}'}"
    )


COMMANDS = [studio, setup, push_command, pull_command, demo]

"""What every command shares: options, the skip report, errors, the server and model named.

Environment variables are read here (by click) and nowhere else in mauqif.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import click

from mauqif.annotate.exceptions import InputError, MauqifError
from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.studio import (
    DEFAULT_TITLE,
    SAMPLING,
    LocalStudio,
    NotConfigured,
    Studio,
    connect,
)
from mauqif.annotate.tables import FORMATS

# The SDK pulls in google-api-core, which warns about this Python's end of life on every import.
warnings.filterwarnings("ignore", message=".*Google will stop supporting.*", category=FutureWarning)


class Group(click.Group):
    """A command group whose commands may raise mauqif's own errors: each becomes one
    `Error: …` line and exit status 1 (anything else is a bug and keeps its traceback)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except MauqifError as exc:
            raise click.ClickException(str(exc)) from None


class SkipReport:
    """Collects inputs that could not be read; each is printed once, as it happens."""

    def __init__(self):
        self.skipped: list[InputError] = []

    def __call__(self, error: InputError) -> None:
        self.skipped.append(error)
        click.echo(f"skipped: {error}", err=True)

    def finish(self, what: str = "input") -> None:
        """Exit non-zero, after the work is written, when anything was skipped."""
        if self.skipped:
            n = len(self.skipped)
            raise click.ClickException(
                f"{n} {what}{'s' if n != 1 else ''} skipped (see the lines above)"
            )


def units_reporting_skips(segmenter: Segmenter, articles, report: SkipReport):
    """The units of `articles`; an article with nothing left to annotate goes to `report`."""
    for article in articles:
        try:
            yield from segmenter.units(article)
        except InputError as exc:
            report(exc)


# ---- options ------------------------------------------------------------------------------------

schema_option = click.option(
    "--schema",
    "schema_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Schema TOML (parties, stance and sentiment values, topic). Default: the packaged one.",
)

inputs_argument = click.argument("inputs", nargs=-1, required=True)

model_option = click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Model directory, or a models directory to use its current model (default: models/current).",
)


def with_output(f):
    """-o/--output and --format, for commands that write one table."""
    f = click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="Output format (default: from the -o suffix, else jsonl).",
    )(f)
    return click.option(
        "-o",
        "--output",
        "output",
        default=None,
        help="Output file (default: stdout). Written atomically.",
    )(f)


def home_options(f):
    """--home (the mauqif home: credentials, local server, caches) and --data-dir."""
    f = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Label Studio's data directory (default: HOME/studio).",
    )(f)
    return click.option(
        "--home",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(".mauqif"),
        envvar="MAUQIF_HOME",
        show_default=True,
        help="Where the local server's credentials and data live (env MAUQIF_HOME).",
    )(f)


def connection_options(f):
    """--url and --api-key of a Label Studio, else the local server of --home."""
    f = click.option(
        "--api-key",
        envvar="LABEL_STUDIO_API_KEY",
        default=None,
        help="API key: legacy token or personal access token (env LABEL_STUDIO_API_KEY). Never printed.",
    )(f)
    f = click.option(
        "--url",
        envvar="LABEL_STUDIO_URL",
        default=None,
        help="Label Studio URL (env LABEL_STUDIO_URL). Default: the local server of --home.",
    )(f)
    return home_options(f)


def title_option(f):
    return click.option(
        "--title", default=None, help=f"Project title (default: {DEFAULT_TITLE!r})."
    )(f)


def project_options(f):
    """--title or --project: which project of the server."""
    f = title_option(f)
    return click.option(
        "--project", "project_id", type=int, default=None, help="Project id (instead of --title)."
    )(f)


def sampling_option(f):
    return click.option(
        "--sampling",
        type=click.Choice(list(SAMPLING)),
        default=None,
        help="Order tasks are served in; `uncertainty` serves the model's least sure sentences first.",
    )(f)


# ---- what the options name ----------------------------------------------------------------------


def open_studio(url: str | None, api_key: str | None, home: Path, data_dir: Path | None) -> Studio:
    """The server the options name: --url/--api-key, else the local one of --home."""
    if not url:
        local = LocalStudio(home, data_dir)
        credentials = local.credentials()
        if credentials is None:
            raise NotConfigured(
                f"no Label Studio to talk to: no --url given and no local server in {local.home}; "
                "start one with `mauqif studio start`, or give --url and --api-key"
            )
        url, api_key = credentials.url, api_key or credentials.api_key
    return connect(url, api_key)


def current_model(model_path: Path | None, schema, *, required: bool = True):
    """(where, the model) of --model, else of models/current.

    Without either: a clean error when `required`, else (None, None).
    """
    from mauqif.model import current_model_dir, load_model

    path = model_path or current_model_dir()
    if path is None:
        if not required:
            return None, None
        raise click.ClickException("no model: train one with `mauqif train`, or give --model DIR")
    return path, load_model(path, schema)

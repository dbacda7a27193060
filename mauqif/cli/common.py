"""What every command shares: options, the skip report, errors, the server and model named.

Environment variables are read here (by click) and nowhere else in mauqif.
"""

from __future__ import annotations

import sys
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
from mauqif.annotate.studio.client import DEFAULT_TIMEOUT
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
        # Through tqdm: a progress bar on stderr is cleared first, so the line stands alone.
        from tqdm import tqdm

        tqdm.write(f"skipped: {error}", file=sys.stderr)

    def finish(self, what: str = "input") -> None:
        """Exit non-zero, after the work is written, when anything was skipped."""
        if self.skipped:
            n = len(self.skipped)
            raise click.ClickException(
                f"{n} {what}{'s' if n != 1 else ''} skipped (see the lines above)"
            )


def units_reporting_skips(segmenter: Segmenter, articles, report: SkipReport):
    """The units of `articles`, each site's repeated lines dropped (`Segmenter.iter_units`); an
    article with nothing left to annotate goes to `report`."""
    yield from segmenter.iter_units(articles, on_error=report)


# ---- options ------------------------------------------------------------------------------------

schema_option = click.option(
    "--schema",
    "schema_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Schema TOML (parties, stance and sentiment values, topic). Default: the packaged one.",
)

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


def home_option(help: str):
    """--home: the mauqif home (credentials, local server, caches), env MAUQIF_HOME."""
    return click.option(
        "--home",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path(".mauqif"),
        envvar="MAUQIF_HOME",
        show_default=True,
        help=help,
    )


def home_options(f):
    """--home (the mauqif home: credentials, local server, caches) and --data-dir."""
    f = click.option(
        "--data-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Label Studio's data directory (default: HOME/studio).",
    )(f)
    return home_option("Where the local server's credentials and data live (env MAUQIF_HOME).")(f)


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
    f = click.option(
        "--timeout",
        type=click.FloatRange(min=1),
        default=DEFAULT_TIMEOUT,
        show_default=True,
        envvar="LABEL_STUDIO_TIMEOUT",
        expose_value=False,  # kept in the context for open_studio: no command signature changes
        callback=lambda ctx, param, value: ctx.meta.__setitem__(TIMEOUT_KEY, value),
        help="Seconds to wait for Label Studio to answer one request before giving up with an "
        "error (env LABEL_STUDIO_TIMEOUT). The first request waits 30 s at most.",
    )(f)
    return home_options(f)


TIMEOUT_KEY = "mauqif.studio_timeout"


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


# ---- options of the model's commands ------------------------------------------------------------

models_option = click.option(
    "--models",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("models"),
    show_default=True,
    help="Where model versions live (MODELS/<version>/, MODELS/current).",
)

folds_option = click.option(
    "--folds",
    type=click.IntRange(min=2),
    default=5,
    show_default=True,
    help="Cross-validation folds (grouped by article).",
)


def exports_option(help: str):
    """--data EXPORT (repeatable): Label Studio exports to train on."""
    return click.option("--data", "data", multiple=True, type=click.Path(path_type=Path), help=help)


def report_option(what: str):
    """--report FILE.html: `what`, as one self-contained page written atomically."""
    return click.option(
        "--report",
        "report_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"Also write {what} as one self-contained HTML page (written atomically).",
    )


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
    context = click.get_current_context(silent=True)
    timeout = context.meta.get(TIMEOUT_KEY, DEFAULT_TIMEOUT) if context else DEFAULT_TIMEOUT
    return connect(url, api_key, timeout=timeout)


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


def echo_changes(changes) -> None:
    """The annotations someone other than their author changed, one line each, on stderr."""
    click.echo(
        f"{len(changes)} annotation(s) changed by someone other than their author, left out of "
        "agreement and of the majority until a lead confirms them (mauqif team confirm ID):",
        err=True,
    )
    for change in changes:
        click.echo(f"  {change.line()}", err=True)


# ---- news intake: web inputs and near-duplicates ------------------------------------------------


def article_inputs_argument(f):
    """INPUTS of the commands that read articles: optional when --urls/--feed/--sitemap give some."""
    return click.argument("inputs", nargs=-1)(f)


def intake_options(*, with_home: bool):
    """--urls, --feed, --sitemap (web inputs beside INPUTS) and how politely to fetch them.

    Fetched pages are kept in HOME/cache/, so `with_home` adds --home to a command that has none.
    """

    def decorate(f):
        options = [
            click.option(
                "--urls",
                "urls",
                multiple=True,
                type=click.Path(dir_okay=False, path_type=Path),
                help="A text file of article URLs, one a line (# comments). Repeatable.",
            ),
            click.option(
                "--feed",
                "feeds",
                multiple=True,
                metavar="URL",
                help="An RSS or Atom feed: its entries' articles are read. Repeatable.",
            ),
            click.option(
                "--sitemap",
                "sitemaps",
                multiple=True,
                metavar="URL",
                help="A sitemap or sitemap index: the pages it lists are read. Repeatable.",
            ),
            click.option(
                "--delay",
                "fetch_delay",
                type=click.FloatRange(min=0.0),
                default=1.0,
                show_default=True,
                metavar="SECONDS",
                help="Seconds between two requests to one site (longer if its robots.txt asks).",
            ),
            click.option(
                "--feed-max-age",
                type=click.FloatRange(min=0.0),
                default=900.0,
                show_default=True,
                metavar="SECONDS",
                help="A feed or sitemap fetched less than this long ago is read from the cache; "
                "article pages always are, once fetched (HOME/cache/).",
            ),
        ]
        if with_home:
            options.append(
                home_option(
                    "The mauqif home; fetched pages are cached in HOME/cache/ (env MAUQIF_HOME)."
                )
            )
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def article_inputs(inputs, home: Path, urls, feeds, sitemaps, fetch_delay, feed_max_age) -> list:
    """INPUTS and the web inputs, as `iter_articles` reads them. At least one is needed."""
    if not (inputs or urls or feeds or sitemaps):
        raise click.UsageError(
            "give INPUTS (files, directories, URLs or -), --urls, --feed or --sitemap"
        )
    from mauqif.annotate.intake import Fetcher, FetchPolicy, Intake, is_url

    if not (urls or feeds or sitemaps or any(is_url(str(i)) for i in inputs)):
        return list(inputs)
    import logging

    # ultimate-sitemap-parser logs each failed fetch; we report them ourselves, once.
    logging.getLogger("usp").setLevel(logging.CRITICAL)

    def retrying(url: str, problem: str, pause: float) -> None:
        click.echo(f"retrying {url} in {pause:.1f} s: {problem}", err=True)

    policy = FetchPolicy(delay=fetch_delay, max_age=feed_max_age)
    fetcher = Fetcher.for_home(home, policy, on_retry=retrying)
    stats = fetcher.stats

    def summary() -> None:
        click.echo(
            f"web: {stats.requests} requests, {stats.cached} answers from {fetcher.cache.directory}",
            err=True,
        )

    click.get_current_context().call_on_close(summary)
    intake = Intake(fetcher)
    return intake.sources([str(i) for i in inputs], urls=urls, feeds=feeds, sitemaps=sitemaps)


def dedupe_options(*, default: bool):
    """--dedupe/--no-dedupe and --dedupe-threshold."""

    def decorate(f):
        from mauqif.annotate.dedupe import DEFAULT_THRESHOLD

        f = click.option(
            "--dedupe-threshold",
            type=click.FloatRange(0.0, 1.0, min_open=True),
            default=DEFAULT_THRESHOLD,
            show_default=True,
            metavar="J",
            help="Similarity (Jaccard of normalised word pairs) from which a unit is a near-duplicate.",
        )(f)
        return click.option(
            "--dedupe/--no-dedupe",
            default=default,
            show_default=True,
            help="Drop units that nearly repeat one seen before"
            + (" (in the project or earlier in this run)" if default else " (earlier in this run)")
            + "; an article that mostly repeats another is reported with duplicate_of.",
        )(f)

    return decorate


def drop_near_duplicates(units, threshold: float, seed=None):
    """`units` without near-duplicates (`annotate.dedupe`), reporting repeated articles on stderr.

    `seed`, when given, is called when the first unit is asked for (inside push's project lock)
    and returns the (sentence_id, text, article_id) of the units already there.
    """
    from mauqif.annotate.dedupe import DedupeConfig, NearDuplicateIndex, UnitDeduper

    def said(duplicate) -> None:
        click.echo(
            f"duplicate: {duplicate.article_id} duplicate_of {duplicate.duplicate_of} "
            f"({duplicate.dropped} of {duplicate.units} units seen before, dropped)",
            err=True,
        )

    deduper = UnitDeduper(NearDuplicateIndex(DedupeConfig(threshold=threshold)), on_article=said)
    if seed is not None:
        deduper.seed(seed())
    yield from deduper.filter(units)
    if deduper.dropped:
        click.echo(
            f"dedupe: {deduper.dropped} near-duplicate units dropped "
            f"({len(deduper.articles)} articles repeat another)",
            err=True,
        )

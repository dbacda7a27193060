"""The `mauqif` command line: thin wrappers over library calls.

Every command parses its options, calls one library function and turns mauqif's own errors into
one `Error: …` line and a non-zero exit. Environment variables are read here and nowhere else.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mauqif.annotate.exceptions import InputError, MauqifError
from mauqif.annotate.pipeline import UNIT_COLUMNS, Segmenter
from mauqif.annotate.reader import iter_articles
from mauqif.annotate.schema import load_schema
from mauqif.annotate.tables import FORMATS, infer_format, write_rows


class SkipReport:
    """Collects inputs that could not be read; each is printed once, as it happens."""

    def __init__(self):
        self.skipped: list[InputError] = []

    def __call__(self, error: InputError) -> None:
        self.skipped.append(error)
        click.echo(f"skipped: {error}", err=True)

    def finish(self, what: str = "input") -> None:
        if self.skipped:
            n = len(self.skipped)
            raise click.ClickException(
                f"{n} {what}{'s' if n != 1 else ''} skipped (see the lines above)"
            )


def run(function, *args, **kwargs):
    """Call a library function; mauqif's errors become a clean `Error:` line, exit 1."""
    try:
        return function(*args, **kwargs)
    except MauqifError as exc:
        raise click.ClickException(str(exc)) from None


schema_option = click.option(
    "--schema",
    "schema_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Schema TOML (parties, stance and sentiment values, topic). Default: the packaged one.",
)
inputs_argument = click.argument("inputs", nargs=-1, required=True)
output_options = [
    click.option(
        "-o",
        "--output",
        "output",
        default=None,
        help="Output file (default: stdout). Written atomically.",
    ),
    click.option(
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default=None,
        help="Output format (default: from the -o suffix, else jsonl).",
    ),
]


def with_output(f):
    for option in reversed(output_options):
        f = option(f)
    return f


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mauqif")
def cli():
    """mauqif (موقف): stance and sentiment annotation for Urdu news.

    Articles are split into sentences, the parties they quote are found, a classifier
    pre-annotates them, and annotators correct the suggestions in Label Studio.
    """


@cli.command()
@inputs_argument
@with_output
@schema_option
def sentences(inputs, output, fmt, schema_path):
    """Split articles into units (sentences, headings, captions) with their party mentions.

    INPUTS are .txt files (one article each), .jsonl files (one article per line with `id`
    and `text`, optional `title`, `url`, `published`), .html pages, directories (searched
    recursively) or `-` for stdin. One row per unit: article_id, index, sentence_id, kind,
    text, context, start, end, mentions.

    A file that cannot be read is reported with the reason and skipped; the others go on,
    and the command then exits non-zero.

    Example:

        mauqif sentences articles/ -o units.csv
    """
    schema = run(load_schema, schema_path)
    segmenter = Segmenter.default(schema)
    report = SkipReport()
    rows = units_reporting_skips(segmenter, iter_articles(inputs, on_skip=report), report)
    run(write_rows, rows, output, infer_format(output, fmt), UNIT_COLUMNS)
    report.finish()


def units_reporting_skips(segmenter: Segmenter, articles, report: SkipReport):
    """The units of `articles`; an article with nothing left to annotate goes to `report`."""
    for article in articles:
        try:
            yield from segmenter.units(article)
        except InputError as exc:
            report(exc)


def _register_commands() -> None:
    # Commands of the model and Label Studio halves live in their own modules; each lists its
    # click commands in COMMANDS.
    from mauqif import cli_model, cli_studio

    for module in (cli_model, cli_studio):
        for command in module.COMMANDS:
            cli.add_command(command)


_register_commands()


def main():
    cli(prog_name="mauqif")


if __name__ == "__main__":
    sys.exit(main())

"""Command: sentences (articles in, units with their party mentions out)."""

from __future__ import annotations

import click

from mauqif.annotate.pipeline import UNIT_COLUMNS, Segmenter
from mauqif.annotate.reader import iter_articles
from mauqif.annotate.schema import load_schema
from mauqif.annotate.tables import infer_format, write_rows
from mauqif.cli.common import (
    SkipReport,
    inputs_argument,
    schema_option,
    units_reporting_skips,
    with_output,
)


@click.command()
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
    schema = load_schema(schema_path)
    segmenter = Segmenter.default(schema)
    report = SkipReport()
    rows = units_reporting_skips(segmenter, iter_articles(inputs, on_skip=report), report)
    write_rows(rows, output, infer_format(output, fmt), UNIT_COLUMNS)
    report.finish()


COMMANDS = [sentences]

"""Command: sentences (articles in, units with their party mentions out)."""

from __future__ import annotations

from pathlib import Path

import click

from mauqif.annotate.alignment import gold_units, segmentation_report
from mauqif.annotate.pipeline import UNIT_COLUMNS, Segmenter
from mauqif.annotate.reader import iter_articles
from mauqif.annotate.schema import load_schema
from mauqif.annotate.tables import infer_format, write_rows
from mauqif.cli.common import (
    SkipReport,
    article_inputs,
    article_inputs_argument,
    dedupe_options,
    drop_near_duplicates,
    intake_options,
    schema_option,
    units_reporting_skips,
    with_output,
)


@click.command()
@article_inputs_argument
@with_output
@schema_option
@intake_options(with_home=True)
@dedupe_options(default=False)
@click.option(
    "--check",
    "gold_path",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Compare the units with GOLD's (JSONL with `article` and `text`, as the dev sets) and "
    "print the segmentation report: gold units found exactly, split, merged, truncated, "
    "missed, and units that are not news text. Units are written only with -o.",
)
def sentences(inputs, output, fmt, schema_path, home, dedupe, dedupe_threshold, gold_path, **web):
    """Split articles into units (sentences, headings, captions) with their party mentions.

    INPUTS are .txt files (one article each), .jsonl files (one article per line with `id`
    and `text`, optional `title`, `url`, `published`), .html pages, directories (searched
    recursively), `-` for stdin, or `http(s)://` article URLs; --urls, --feed and --sitemap
    add more from the web. One row per unit: article_id, index, sentence_id, kind, text,
    context, start, end, mentions, title, url, published, author, note (why a unit longer
    than the cleaning rules' max_unit_chars was cut, and which part it is; nothing is dropped).

    Web pages are fetched politely (robots.txt, --delay between requests to a site, retries
    with backoff) and kept in HOME/cache/, so a second run fetches nothing it already has; a
    web article's id is its URL, and its title, date and author come from the page.

    A file or page that cannot be read is reported with the reason and skipped; the others go
    on, and the command then exits non-zero.

    Example:

    \b
        mauqif sentences articles/ -o units.csv
        mauqif sentences --feed https://www.example.com/urdu/rss.xml --dedupe -o units.jsonl
        mauqif sentences --check ../shared/dev/real/gold.jsonl ../shared/dev/real/articles/
    """
    schema = load_schema(schema_path)
    segmenter = Segmenter.default(schema)
    report = SkipReport()
    sources = article_inputs(inputs, home, **web)
    articles = iter_articles(sources, on_skip=report)
    pages: dict[str, str] = {}
    if gold_path is not None:
        articles = _kept(articles, pages)
    rows = units_reporting_skips(segmenter, articles, report)
    if dedupe:
        rows = drop_near_duplicates(rows, dedupe_threshold)
    if gold_path is None:
        write_rows(rows, output, infer_format(output, fmt), UNIT_COLUMNS)
    else:
        rows = list(rows)
        if output:
            write_rows(rows, output, infer_format(output, fmt), UNIT_COLUMNS)
        gold = gold_units(gold_path, on_skip=report)
        click.echo(segmentation_report(pages, rows, gold).text(), nl=False)
    report.finish()


def _kept(articles, pages: dict[str, str]):
    """The articles, each one's page text kept in `pages` by id (what --check aligns against)."""
    for article in articles:
        pages[article.id] = article.text
        yield article


COMMANDS = [sentences]

"""Command: sentences (articles in, units with their party mentions out)."""

from __future__ import annotations

import click

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
def sentences(inputs, output, fmt, schema_path, home, dedupe, dedupe_threshold, **web):
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
    """
    schema = load_schema(schema_path)
    segmenter = Segmenter.default(schema)
    report = SkipReport()
    sources = article_inputs(inputs, home, **web)
    rows = units_reporting_skips(segmenter, iter_articles(sources, on_skip=report), report)
    if dedupe:
        rows = drop_near_duplicates(rows, dedupe_threshold)
    write_rows(rows, output, infer_format(output, fmt), UNIT_COLUMNS)
    report.finish()


COMMANDS = [sentences]

"""Command: trends (stance and sentiment shares by period and group, counted or corrected for the
model's error rates; a thin wrapper over `mauqif.model.trends`)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mauqif.cli.common import SkipReport, schema_option

# quantify.METHODS and DEFAULT_METHOD, written out: importing mauqif.model here would load
# scikit-learn for every command (0.4 s -> 1.8 s); tests/test_trends.py checks they agree.
METHODS = ("cc", "pcc", "acc", "pacc", "ppi")
DEFAULT_METHOD = "cc"


@click.command()
@click.argument("predictions", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--by",
    type=click.Choice(["month", "week", "day"]),
    default="month",
    show_default=True,
    help="Period, from each row's `published` date.",
)
@click.option(
    "--group",
    default=None,
    metavar="COLUMN",
    help="Group the periods by a column too: `outlet` (the URL's host) or any other.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the plots, table and examples as one self-contained HTML page.",
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the table as CSV (`-`: to stdout, instead of the summary).",
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(path_type=Path),
    default=None,
    help="The model that made the predictions (its manifest holds the error rates). "
    "Default: models/current.",
)
@click.option(
    "--rates-from",
    "rates_from",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Labelled units of your own (exports, JSONL label rows) the model did not train on: "
    "error rates measured on them replace the cross-validated ones; --method ppi needs them "
    "(at least 100; repeatable).",
)
@click.option(
    "--method",
    type=click.Choice(METHODS),
    default=DEFAULT_METHOD,
    show_default=True,
    help="cc: count the model's labels (closest to the truth in `python -m bench quantify`); "
    "pcc: sum its posteriors; acc/pacc: adjust for its error rates (by labels / probabilistic), "
    "1.3-1.6 times cc's error there; ppi: add its mean error on the lab's labelled units "
    "(--rates-from), 1.3-1.5 times cc's error there.",
)
@click.option(
    "--progress/--no-progress", default=True, show_default=True, help="Progress bar on stderr."
)
@schema_option
def trends(
    predictions,
    by,
    group,
    report_path,
    csv_path,
    model_path,
    rates_from,
    method,
    progress,
    schema_path,
):
    """Each party's stance shares (and sentiment) by period and group, from PREDICTIONS.

    PREDICTIONS are outputs of `mauqif predict`: Parquet or CSV files (flat columns), JSONL,
    or the directory a `--dask` run wrote. For each party, period and group: the sentences, the
    estimated number in which the party is a source, and each stance value's estimated count
    and share, with 90% bootstrap intervals. Rows without a date are counted and reported.

    By default the model's labels are counted (cc): on our labelled news that is closer to the
    truth than any correction. --method acc or pacc corrects for the model's error rates, from
    its manifest (cross-validation at training) or, with --rates-from, your own labelled units.
    --method ppi (prediction-powered) adds to each cell's counted shares the model's mean error
    on your labelled units (--rates-from, required), its interval widened by their number.

    Example:

    \b
        mauqif trends predictions.parquet --by month --group outlet --report trends.html
        mauqif trends predictions.parquet --method pacc   # corrected for the error rates
        mauqif trends predictions.parquet --method ppi --rates-from lab_labels.jsonl
    """
    from tqdm import tqdm

    from mauqif.annotate.schema import load_schema
    from mauqif.annotate.tables import write_bytes_atomic
    from mauqif.model import current_model_dir
    from mauqif.model.artifact import read_manifest, resolve_model_dir
    from mauqif.model.exceptions import ModelError
    from mauqif.model.quantify import NEEDS_LAB_LABELS, NEEDS_RATES
    from mauqif.model.rates import model_rates
    from mauqif.model.trends import compute_trends
    from mauqif.model.trends_report import render_trends

    schema = load_schema(schema_path)
    model_dir = model_path or current_model_dir()
    if model_dir is None and method in NEEDS_RATES:
        raise click.ClickException(
            "no model: give the model that made the predictions with --model DIR "
            "(or --method cc for raw counts)"
        )
    report = SkipReport()
    rates, version, notes = ({}, None, [])
    if model_dir is not None:
        try:
            rates, version, notes = model_rates(
                model_dir, rates_from, schema, report, lab_only=method in NEEDS_LAB_LABELS
            )
        except ModelError:
            if method in NEEDS_RATES:
                raise
            # Raw counts need no error rates; the model's version is still checked.
            version = read_manifest(resolve_model_dir(model_dir)).get("version")
    if rates_from and method not in NEEDS_RATES:
        notes = [
            *notes,
            f"--rates-from changes nothing with --method {method}; use acc, pacc or ppi",
        ]
    for note in notes:
        click.echo(f"note: {note}", err=True)
    with tqdm(unit=" rows", file=sys.stderr, desc="trends", disable=not progress) as bar:
        result = compute_trends(
            predictions,
            rates,
            by,
            group,
            method=method,
            not_source=schema.not_source,
            on_skip=report,
            progress=bar.update,
        )
    others = [v for v in result.model_versions if version and v != version]
    if others:
        raise click.ClickException(
            f"the predictions come from model {', '.join(others)}, the error rates from model "
            f"{version}: give that model with --model, or predict again with this one"
        )
    if csv_path is not None:
        text = result.table.to_csv(index=False, float_format="%.4g")
        if str(csv_path) == "-":
            click.echo(text, nl=False)
        else:
            write_bytes_atomic(csv_path, text.encode("utf-8"))
            click.echo(f"csv    {csv_path}", err=True)
    if str(csv_path) != "-":
        click.echo(_summary(result))
    if report_path is not None:
        write_bytes_atomic(report_path, render_trends(result).encode("utf-8"))
        click.echo(f"report {report_path}", err=True)
    report.finish("file")


def _summary(result) -> str:
    lines = [f"{result.rows} sentences, {result.undated} without a date; estimator {result.method}"]
    for question, used in result.rates.items():
        lines.append(f"rates {question}: {used['source']}, {used['labels']} labels")
    table = result.overall if result.overall is not None else result.table
    if len(table):
        shown = table[["question", "period", "value", "counted", "count", "share"]].copy()
        shown["count"] = shown["count"].round(1)
        shown["share"] = shown["share"].round(2)
        lines.append(shown.to_string(index=False))
    return "\n".join(lines)


COMMANDS = [trends]


def sample_trends(model, model_dir: Path, articles: Path, out_dir: Path) -> tuple[Path, str]:
    """What `mauqif demo` shows of trends: predict `articles` into OUT/predictions.parquet (flat
    columns) and write OUT/trends.html by month. Returns (the report, a one-line summary)."""
    from mauqif.annotate.tables import write_bytes_atomic, write_rows
    from mauqif.model.predict import flat_columns, flat_rows, flat_types, predict_articles
    from mauqif.model.quantify import NEEDS_RATES
    from mauqif.model.rates import model_rates
    from mauqif.model.trends import compute_trends
    from mauqif.model.trends_report import render_trends

    out_dir.mkdir(parents=True, exist_ok=True)
    predictions = out_dir / "predictions.parquet"
    rows = flat_rows(predict_articles(model, [articles], on_skip=lambda error: None))
    write_rows(rows, predictions, "parquet", flat_columns(model), flat_types(model))
    from mauqif.model.exceptions import ModelError

    rates, method = {}, DEFAULT_METHOD
    if method in NEEDS_RATES:
        try:
            rates = model_rates(model_dir, schema=model.schema)[0]
        except ModelError:  # a model trained before error rates were stored: raw counts
            method = "cc"
    result = compute_trends(
        [predictions], rates, "month", method=method, not_source=model.schema.not_source
    )
    report = out_dir / "trends.html"
    write_bytes_atomic(
        report, render_trends(result, "Stance trends of the sample articles").encode()
    )
    return report, f"{result.rows} sentences, {result.undated} without a date"

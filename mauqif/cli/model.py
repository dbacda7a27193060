"""Commands: train, predict, agreement, evaluate (the model half; thin wrappers over `mauqif.model`)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from mauqif.annotate.exceptions import InputError
from mauqif.annotate.schema import load_schema
from mauqif.cli.common import (
    SkipReport,
    connection_options,
    current_model,
    inputs_argument,
    model_option,
    open_studio,
    project_options,
    schema_option,
    with_output,
)


@click.command()
@click.option(
    "--data",
    "data",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Export file or directory (repeatable). Default: exports/gold/ and exports/snapshots/.",
)
@click.option(
    "--from-studio",
    is_flag=True,
    help="Pull a fresh snapshot from Label Studio first, and train on it too.",
)
@click.option(
    "--promote",
    "promote_mode",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="auto: only if the new model beats the current one on the same folds.",
)
@click.option(
    "--models",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("models"),
    show_default=True,
    help="Where model versions live (MODELS/<version>/, MODELS/current).",
)
@click.option(
    "--folds",
    type=click.IntRange(min=2),
    default=5,
    show_default=True,
    help="Cross-validation folds.",
)
@click.option(
    "--mentions",
    type=click.Choice(["finder", "annotated"]),
    default="finder",
    show_default=True,
    help="Party mentions to learn from: found as prediction finds them, or the annotated spans.",
)
@click.option("--no-learning-curve", is_flag=True, help="Skip the learning curve (faster).")
@schema_option
@connection_options
@project_options
def train(
    data,
    from_studio,
    promote_mode,
    models,
    folds,
    mentions,
    no_learning_curve,
    schema_path,
    url,
    api_key,
    home,
    data_dir,
    project_id,
    title,
):
    """Train a model on the labels in exports/, evaluate it, and promote it if it is better.

    Several annotations of one sentence are aggregated (an adjudicated, ground-truth annotation
    wins, otherwise the majority; ties are left out and counted). The new model, the current
    one and two baselines (majority class, keyword rule) are cross-validated on the same folds,
    grouped by article. Writes MODELS/<version>/ with model.joblib, manifest.json and
    report.html; MODELS/current names the promoted version.

    Example:

        mauqif train --data exports/gold --promote auto
    """
    schema = load_schema(schema_path)
    paths = list(data)
    if from_studio:
        snapshot = _pull(url, api_key, home, data_dir, project_id, title, schema)
        click.echo(f"pulled {snapshot}", err=True)
        if paths:
            paths.append(snapshot)
    from mauqif.model.train import DEFAULT_DATA, retrain

    report = SkipReport()
    for path in data:
        if not path.exists():
            report(InputError(str(path), "no such file or directory"))
    result = retrain(
        paths or DEFAULT_DATA,
        models,
        promote_mode,
        schema=schema,
        n_folds=folds,
        mentions=mentions,
        with_learning_curve=not no_learning_curve,
        on_skip=report,
        log=lambda message: click.echo(message, err=True),
    )
    click.echo(_figures_table(result.evaluation.figures, schema.party_ids))
    for note in result.evaluation.notes:
        click.echo(f"note: {note}")
    click.echo(result.decision)
    click.echo(f"model  {result.model_dir}")
    click.echo(f"report {result.report}")
    report.finish("export")


def _pull(url, api_key, home, data_dir, project_id, title, schema) -> Path:
    """Pull a fresh snapshot of the project into exports/."""
    from mauqif.annotate.studio import pull

    studio = open_studio(url, api_key, home or Path(".mauqif"), data_dir)
    project = studio.project(title, project_id)
    return pull(studio, project, schema, "exports").snapshot


def _fmt(x) -> str:
    return "   –  " if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:6.3f}"


def _figures_table(figures: dict, parties: list[str]) -> str:
    """Candidates × (score, stance F_avg / macro-F1 pooled and per party, sentiment macro-F1)."""
    head = f"{'':14} {'score':>6} {'F_avg':>6} {'macro':>6} " + " ".join(
        f"{p[:11]:>11}" for p in parties
    )
    head += f" {'sentiment':>9}"
    lines = [
        head,
        f"{'':14} {'':6} {'stance':>6} {'stance':>6} "
        + " ".join(f"{'macro/F_avg':>11}" for _ in parties),
    ]
    for name, fig in figures.items():
        per_party = " ".join(
            f"{_fmt(fig['stance'][p]['macro_f1']).strip():>5}/{_fmt(fig['stance'][p]['f_avg']).strip():<5}"
            for p in parties
        )
        lines.append(
            f"{name:14} {_fmt(fig['score'])} {_fmt(fig['stance']['all']['f_avg'])} "
            f"{_fmt(fig['stance']['all']['macro_f1'])} {per_party} {_fmt(fig['sentiment']['macro_f1']):>9}"
        )
    return "\n".join(lines)


@click.command()
@inputs_argument
@with_output
@model_option
@click.option(
    "-j",
    "--jobs",
    type=int,
    default=1,
    show_default=True,
    help="Worker processes (-1: one per core).",
)
@click.option(
    "--sentences",
    "as_sentences",
    is_flag=True,
    help="INPUTS are sentence JSONL (`text`, optional `context`, `id`).",
)
@click.option(
    "--chunk-size",
    type=click.IntRange(min=1),
    default=2000,
    show_default=True,
    help="Sentences per chunk.",
)
@click.option(
    "--progress/--no-progress", default=True, show_default=True, help="Progress bar on stderr."
)
@schema_option
def predict(inputs, output, fmt, model_path, jobs, as_sentences, chunk_size, progress, schema_path):
    """Predict each party's stance and the sentiment of every sentence of INPUTS.

    INPUTS are articles, read exactly as `mauqif sentences` reads them, or with --sentences
    JSONL files whose every row is one sentence (`text` required; `context`, `id` and
    `article_id` optional; `id` passed through unchanged; never re-split). One row per
    sentence: id, article_id, text, mentions, stance {party: label}, stance_proba
    {party: {label: p}}, sentiment, sentiment_proba {label: p}, model_version.

    Input is streamed in chunks, so memory stays flat; -j spreads chunks over processes. A file
    that cannot be read is reported and skipped; the others go on, and the command then exits
    non-zero.

    Example:

        mauqif predict articles/ -o predictions.parquet -j 2
    """
    from tqdm import tqdm

    from mauqif.annotate.tables import infer_format, write_rows
    from mauqif.model.predict import PREDICTION_COLUMNS, predict_articles, predict_sentences

    if jobs == 0:
        raise click.BadParameter(
            "give a number of processes (-1 for one per core), not 0", param_hint="-j"
        )
    schema = load_schema(schema_path)
    path, model = current_model(model_path, schema)
    report = SkipReport()
    predict_rows = predict_sentences if as_sentences else predict_articles
    with tqdm(unit=" sentences", file=sys.stderr, desc="predict", disable=not progress) as bar:
        rows = predict_rows(
            model, inputs, on_skip=report, chunk_size=chunk_size, n_jobs=jobs, progress=bar.update
        )
        count = write_rows(rows, output, infer_format(output, fmt), PREDICTION_COLUMNS)
    click.echo(f"{count} sentences predicted with model {model.version}", err=True)
    report.finish()


@click.command()
@click.argument("exports", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--by",
    type=click.Choice(["passes", "annotators"]),
    default="passes",
    show_default=True,
    help="passes: first vs second annotation of each sentence; annotators: every pair of annotators.",
)
@schema_option
def agreement(exports, by, schema_path):
    """Cohen's kappa per question between two annotations of the same sentences.

    EXPORTS are Label Studio JSON exports (files or directories), e.g. the gold set or a
    pulled snapshot. With --by passes (default) the first two annotations of each sentence by
    different annotators are compared (an adjudicator's later annotation is not a pass); with
    --by annotators, every pair of annotators on the sentences they share.

    Example:

        mauqif agreement exports/gold/gold.json
    """
    from mauqif.annotate.labels import agreement as kappa_table
    from mauqif.annotate.labels import read_exports

    schema = load_schema(schema_path)
    report = SkipReport()
    table = read_exports(exports, schema, report)
    result = kappa_table(table, schema, by=by)
    if result.empty:
        click.echo("no sentence has two annotations by different annotators")
    else:
        click.echo(f"{'annotators':40} {'question':20} {'n':>5} {'agree':>7} {'kappa':>7}")
        for row in result.itertuples():
            kappa = "n/a" if math.isnan(row.kappa) else f"{row.kappa:.3f}"
            pair = f"{row.annotator_a} / {row.annotator_b}"
            click.echo(f"{pair:40} {row.question:20} {row.n:5d} {row.observed:7.1%} {kappa:>7}")
    report.finish("export")


@click.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@model_option
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write the figures, plots and errors as one self-contained HTML page (written "
    "atomically; an existing file is replaced).",
)
@click.option(
    "--json",
    "json_path",
    default=None,
    help="Also write the figures and errors as JSON to this file (`-`: to stdout, instead of the table).",
)
@schema_option
def evaluate(data, model_path, report_path, json_path, schema_path):
    """Score a saved model on labelled DATA, without training.

    DATA are Label Studio JSON exports (exports/gold/gold.json, `mauqif pull` snapshots),
    JSONL files of labelled rows (the dev set's shape: `text`, `context`, `gold` {party:
    value, …, sentiment: value}, optional `id`, `note`; or `text`, `stance` {party: value},
    `sentiment`), or directories of them. Each file's format is read from its content.
    Annotations in exports are aggregated as for training.

    Prints stance P / R / F1 per party and value, F_avg (mean F1 of favor and against),
    macro-F1, sentiment P / R / F1, the confusion matrices and every unit predicted wrongly.
    A file that cannot be read is reported and skipped; the others are scored, and the
    command then exits non-zero.

    Example:

        mauqif evaluate ../shared/dev/seeds_labelled.jsonl --report dev.html
    """
    import json
    from datetime import UTC, datetime

    from mauqif.annotate.tables import write_bytes_atomic
    from mauqif.model.report import render_evaluation_html, render_evaluation_text
    from mauqif.model.scoring import evaluate_files

    schema = load_schema(schema_path)
    path, model = current_model(model_path, schema)
    click.echo(f"model {model.version} ({path})", err=True)
    report = SkipReport()
    result = evaluate_files(model, data, on_skip=report)
    files = len(result.sources)
    click.echo(f"{result.units} units from {files} file{'s' if files != 1 else ''}", err=True)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    as_json = json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n"
    if json_path == "-":
        click.echo(as_json, nl=False)
    else:
        click.echo(render_evaluation_text(result, schema))
        if json_path:
            write_bytes_atomic(json_path, as_json.encode("utf-8"))
            click.echo(f"json   {json_path}", err=True)
    if report_path:
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        html = render_evaluation_html(result, schema, created_at)
        write_bytes_atomic(report_path, html.encode("utf-8"))
        click.echo(f"report {report_path}", err=True)
    report.finish("file")


COMMANDS = [train, predict, agreement, evaluate]

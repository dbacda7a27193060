"""Commands: train, predict, evaluate (the model half; thin wrappers over `mauqif.model`)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import click

from mauqif.annotate.exceptions import InputError
from mauqif.annotate.schema import load_schema
from mauqif.cli.common import (
    SkipReport,
    article_inputs,
    article_inputs_argument,
    connection_options,
    current_model,
    exports_option,
    folds_option,
    intake_options,
    model_option,
    models_option,
    open_studio,
    project_options,
    report_option,
    schema_option,
    with_output,
)


@click.command()
@exports_option(
    "Export file or directory (repeatable). Default: exports/gold/ and exports/snapshots/."
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
@models_option
@folds_option
@click.option(
    "--mentions",
    type=click.Choice(["finder", "annotated"]),
    default="finder",
    show_default=True,
    help="Party mentions to learn from: found as prediction finds them, or the annotated spans.",
)
@click.option("--no-learning-curve", is_flag=True, help="Skip the learning curve (faster).")
@click.option(
    "--lab-weight",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Weight of each sentence of the lab's own exports against one of the sample gold "
    "(exports/gold). Default: mauqif.model.train.DEFAULT_LAB_WEIGHT (5), chosen by the "
    "learning-loop benchmark.",
)
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
    lab_weight,
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

        mauqif train --from-studio --lab-weight 3
    """
    schema = load_schema(schema_path)
    paths = list(data)
    if from_studio:
        snapshot = _pull(url, api_key, home, data_dir, project_id, title, schema)
        click.echo(f"pulled {snapshot}", err=True)
        if paths:
            paths.append(snapshot)
    from mauqif.model.train import DEFAULT_DATA, DEFAULT_LAB_WEIGHT, learned_aliases_line, retrain

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
        lab_weight=DEFAULT_LAB_WEIGHT if lab_weight is None else lab_weight,
        on_skip=report,
        log=lambda message: click.echo(message, err=True),
    )
    click.echo(_figures_table(result.evaluation.figures, schema.party_ids))
    for note in result.evaluation.notes:
        click.echo(f"note: {note}")
    click.echo(learned_aliases_line(result.learned_aliases))
    click.echo(result.decision)
    click.echo(f"model  {result.model_dir}")
    click.echo(f"report {result.report}")
    report.finish("export")


def _pull(url, api_key, home, data_dir, project_id, title, schema) -> Path:
    """Pull a fresh snapshot of the project into exports/."""
    from mauqif.annotate.studio import pull
    from mauqif.annotate.studio.tampering import record_directory
    from mauqif.cli.common import echo_changes

    home = home or Path(".mauqif")
    studio = open_studio(url, api_key, home, data_dir)
    project = studio.project(title, project_id)
    result = pull(studio, project, schema, "exports", record_dir=record_directory(home, url))
    if result.changes:
        echo_changes(result.changes)
    return result.snapshot


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
@article_inputs_argument
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
@click.option(
    "--dask",
    "dask_address",
    default=None,
    metavar="ADDRESS|local:N",
    help="Run on a Dask cluster: a scheduler address (tcp://host:8786) or local:N (N worker "
    "processes here). -o names a directory: one Parquet file per input partition; a re-run "
    "skips the partitions already written.",
)
@click.option(
    "--partition-lines",
    type=click.IntRange(min=1),
    default=None,
    help="With --dask: JSONL lines per partition (default 20000 sentences, 2000 articles).",
)
@schema_option
@intake_options(with_home=True)
def predict(
    inputs,
    output,
    fmt,
    model_path,
    jobs,
    as_sentences,
    chunk_size,
    progress,
    dask_address,
    partition_lines,
    schema_path,
    home,
    **web,
):
    """Predict each party's stance and the sentiment of every sentence of INPUTS.

    INPUTS are articles, read exactly as `mauqif sentences` reads them (web pages, --urls,
    --feed and --sitemap included, fetched politely into HOME/cache/), or with --sentences
    JSONL files whose every row is one sentence (`text` required; `context`, `id` and
    `article_id` optional; `id` passed through unchanged; never re-split). One row per
    sentence. JSONL keeps answers nested: id, article_id, url, published, text, mentions,
    stance {party: label}, stance_proba {party: {label: p}}, sentiment, sentiment_proba
    {label: p}, model_version. Parquet and CSV get flat, typed columns: id, article_id, url,
    outlet, published (UTC timestamp), text, stance_<party>, p_<party>_<value>, sentiment,
    p_sentiment_<value>, model_version.

    Input is streamed in chunks, so memory stays flat; -j spreads chunks over processes. A file
    that cannot be read is reported and skipped; the others go on, and the command then exits
    non-zero.

    With --dask the input is cut into partitions (ranges of JSONL lines, Parquet row groups,
    groups of article files), each predicted by a worker that loaded the model once, and
    written to OUT/part-NNNNNN-<key>.parquet atomically; run the same command again after an
    interruption and only the missing partitions are computed. Workers must see the inputs
    and OUT at the same paths.

    Example:

        mauqif predict articles/ -o predictions.parquet -j 2

        mauqif predict --sentences big/*.jsonl --dask local:2 -o predictions/
    """
    from tqdm import tqdm

    from mauqif.annotate.tables import infer_format, write_rows
    from mauqif.model.predict import (
        PREDICTION_COLUMNS,
        flat_columns,
        flat_rows,
        flat_types,
        predict_articles,
        predict_sentences,
    )

    if jobs == 0:
        raise click.BadParameter(
            "give a number of processes (-1 for one per core), not 0", param_hint="-j"
        )
    if as_sentences:
        if not inputs or any(web[k] for k in ("urls", "feeds", "sitemaps")):
            raise click.UsageError(
                "--sentences reads sentence JSONL files (or -) given as INPUTS; "
                "--urls, --feed and --sitemap give articles"
            )
        sources = inputs
    else:
        sources = article_inputs(inputs, home, **web)
    schema = load_schema(schema_path)
    path, model = current_model(model_path, schema)
    report = SkipReport()
    if dask_address:
        _predict_on_dask(
            path,
            sources,
            output,
            fmt,
            dask_address,
            as_sentences,
            partition_lines,
            schema,
            report,
            progress,
            jobs,
        )
        return
    if partition_lines is not None:
        raise click.UsageError("--partition-lines goes with --dask")
    predict_rows = predict_sentences if as_sentences else predict_articles
    with tqdm(unit=" sentences", file=sys.stderr, desc="predict", disable=not progress) as bar:
        rows = predict_rows(
            model, sources, on_skip=report, chunk_size=chunk_size, n_jobs=jobs, progress=bar.update
        )
        out_format = infer_format(output, fmt)
        if out_format == "jsonl":
            count = write_rows(rows, output, out_format, PREDICTION_COLUMNS)
        else:  # tables get flat, typed columns
            columns, types = flat_columns(model), flat_types(model)
            count = write_rows(flat_rows(rows), output, out_format, columns, types)
    click.echo(f"{count} sentences predicted with model {model.version}", err=True)
    report.finish()


def _predict_on_dask(
    model_dir,
    sources,
    output,
    fmt,
    address,
    as_sentences,
    partition_lines,
    schema,
    report,
    progress,
    jobs,
):
    from tqdm import tqdm

    try:
        from mauqif.model.distributed import predict_dataset
    except ImportError as exc:
        raise click.ClickException(
            f"--dask needs Dask's distributed scheduler ({exc}); install it with "
            "`pip install 'mauqif[dask]'`"
        ) from None

    if output is None or str(output) == "-":
        raise click.UsageError("--dask writes a directory of Parquet files: give it with -o DIR")
    if fmt not in (None, "parquet"):
        raise click.UsageError("--dask writes Parquet files; leave out --format")
    if jobs != 1:
        raise click.UsageError("-j is for one machine; with --dask the cluster's workers run")
    if not all(isinstance(s, (str, Path)) for s in sources):
        raise click.UsageError(
            "--dask reads files and directories, not --urls, --feed or --sitemap"
        )
    with tqdm(unit=" sentences", file=sys.stderr, desc="predict", disable=not progress) as bar:
        result = predict_dataset(
            model_dir,
            sources,
            output,
            address,
            sentences=as_sentences,
            schema=schema,
            lines_per_partition=partition_lines,
            on_skip=report,
            progress=bar.update,
        )
    click.echo(
        f"{result.rows} sentences predicted in {result.computed} partition(s), "
        f"{result.skipped} already written; dataset: {result.out_dir}/",
        err=True,
    )
    report.finish()


@click.command()
@click.argument("data", nargs=-1, required=True, type=click.Path(path_type=Path))
@model_option
@report_option("the figures, plots and errors")
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
    macro-F1, sentiment P / R / F1, the confusion matrices, the stance errors by kind (speaker
    not found, wrong speaker, act taken for a statement, off the topic, wrong polarity,
    furniture: `mauqif.model.scoring.ERROR_KINDS`) and every unit predicted wrongly.
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


COMMANDS = [train, predict, evaluate]

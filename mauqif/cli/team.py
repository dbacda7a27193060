"""Commands: team add / list, agreement, adjudicate: several annotators on one project."""

from __future__ import annotations

from pathlib import Path

import click

from mauqif.annotate.schema import load_schema
from mauqif.cli.common import (
    SkipReport,
    connection_options,
    home_options,
    open_studio,
    project_options,
    report_option,
    schema_option,
)


@click.group()
def team():
    """The annotators of a Label Studio project: add accounts, see who did what.

    Example:

        mauqif team add ayesha@example.org bilal@example.org && mauqif team list
    """


@team.command("add")
@click.argument("emails", nargs=-1, required=True)
@connection_options
@click.option(
    "--invite",
    is_flag=True,
    help="Print the organisation's invite link instead of creating accounts (the default for "
    "a server given by --url: people sign up themselves).",
)
def team_add(emails, url, api_key, home, data_dir, invite):
    """Create annotator accounts on the local Label Studio, one per EMAIL.

    Each new account gets a random password, printed here once and kept nowhere: give it to
    its owner, who can change it under Account & Settings. An address that is already a member
    is left as it is. For another instance (--url) or with --invite, the invite link is printed
    instead: whoever opens it signs up as a member.

    Example:

        mauqif team add ayesha@example.org bilal@example.org chen@example.org
    """
    from mauqif.annotate.studio.team import add_annotators, invite_url

    studio = open_studio(url, api_key, home, data_dir)
    if invite or url:
        link = invite_url(studio)
        click.echo(f"Send this sign-up link to {', '.join(emails)}:")
        click.echo(f"  {link}")
        click.echo("Whoever opens it joins the organisation; `mauqif team list` shows them then.")
        return
    refused = 0
    created = 0
    for account in add_annotators(studio, emails):
        if account.status == "created":
            created += 1
            click.echo(f"created  {account.email}  password: {account.password}")
        elif account.status == "exists":
            click.echo(f"exists   {account.email} (already a member; password unchanged)")
        else:
            refused += 1
            click.echo(f"refused: {account.email}: {account.reason}", err=True)
    if created:
        click.echo(
            f"Log in at {studio.url}/user/login/ . These passwords are shown only now and kept "
            "nowhere: hand each to its owner."
        )
    if refused:
        raise click.ClickException(
            f"{refused} address{'es' if refused != 1 else ''} refused (see above)"
        )


@team.command("list")
@connection_options
@project_options
def team_list(url, api_key, home, data_dir, project_id, title):
    """The members with their submitted, skipped and pending tasks in the project, and the
    annotations someone other than their author changed.

    Pending: tasks not yet finished (given the project's overlap) that the member has neither
    submitted nor skipped. Changed: others' annotations the member changed or took over (Label
    Studio lets any member do it); each is listed below the table until a lead confirms it
    (`mauqif team confirm`).

    Example:

        mauqif team list --title "stance 2025"
    """
    from mauqif.annotate.studio.tampering import record_directory
    from mauqif.annotate.studio.team import team_report

    studio = open_studio(url, api_key, home, data_dir)
    project = studio.project(title, project_id)
    report = team_report(studio, project.id, record_directory(home, url))
    rows = report.rows
    click.echo(f"project {project.id} {project.title!r}")
    width = max([9, *(len(r.email) for r in rows)])
    click.echo(
        f"{'annotator':{width}} {'submitted':>9} {'skipped':>8} {'pending':>8} {'changed':>8}"
    )
    for r in rows:
        changed = report.changed.get(r.email, 0)
        click.echo(f"{r.email:{width}} {r.submitted:9d} {r.skipped:8d} {r.pending:8d} {changed:8d}")
    if report.changes:
        click.echo(
            f"{len(report.changes)} annotation(s) changed by someone other than their author "
            "(left out of agreement and of the majority until a lead confirms them):"
        )
        for change in report.changes:
            click.echo(f"  {change.line()}")


@team.command("confirm")
@click.argument("annotation_ids", nargs=-1, required=True, type=int)
@connection_options
@click.option(
    "--project",
    "project_id",
    type=int,
    default=None,
    help="The project (needed only to confirm a deletion the record noted).",
)
def team_confirm(annotation_ids, url, api_key, home, data_dir, project_id):
    """Accept annotations someone other than their author changed, as they are now.

    The lead (the account of the API key) saves each one unchanged, so Label Studio names the
    lead as its last changer: from then on every export, `agreement` and `train` count it
    again. The record under HOME/record/ keeps who had changed it. To undo the change
    instead, correct the answer in Label Studio as the lead (that counts as confirmed too).

    Example:

        mauqif team confirm 1234 1240
    """
    from mauqif.annotate.studio.tampering import record_directory
    from mauqif.annotate.studio.team import confirm

    studio = open_studio(url, api_key, home, data_dir)
    for annotation_id in annotation_ids:
        done = confirm(studio, annotation_id, project_id, record_directory(home, url))
        if done.outcome == "already":
            click.echo(f"annotation {annotation_id}: a lead saved it last; nothing to confirm")
        elif done.outcome == "deletion confirmed":
            click.echo(f"annotation {annotation_id}: its deletion is confirmed in the record")
        else:
            click.echo(
                f"annotation {annotation_id}: confirmed as it is (last changed by "
                f"{done.changed_by}); agreement and train count it again"
            )


@team.group("door")
def door():
    """The annotators' door: Label Studio behind nginx, annotators limited to their own work.

    Community Label Studio lets every member read, change, delete and export every answer. The
    door (Debian's nginx, asking mauqif's checker about each request) lets an annotator log in,
    label in the stream and read or change their own annotations, and refuses the rest: the
    task list, other members' answers, exports, settings, deletion. The lead (the account of
    HOME's API key, and any --lead) passes everywhere. Give annotators the door's address, not
    Label Studio's (which stays on 127.0.0.1). Refusals are kept in HOME/door/refused.jsonl.

    Example:

        mauqif team door start --host 0.0.0.0 --port 8090
    """


@door.command("start")
@home_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Where the door listens.")
@click.option("--port", type=int, default=None, help="Its port (default: a free one).")
@click.option("--lead", "leads", multiple=True, help="Another lead's e-mail (repeatable).")
def door_start(home, data_dir, host, port, leads):
    """Start the door in front of the local Label Studio (reuses a running one).

    Example:

        mauqif team door start --port 8090 --lead chen@example.org
    """
    from mauqif.annotate.studio import LocalStudio, status
    from mauqif.annotate.studio.door import start_door

    local = LocalStudio(home, data_dir)
    server = status(local)
    if not server.running:
        raise click.ClickException(
            f"no local Label Studio runs in {local.home}: `mauqif studio start` first"
        )
    door_ = start_door(local.home, server.url, host, port, list(leads))
    click.echo(f"the door is open at {door_.url} (Label Studio behind it: {door_.studio_url})")
    click.echo(f"Give annotators this address; refusals go to {local.home}/door/refused.jsonl")


@door.command("stop")
@home_options
def door_stop(home, data_dir):
    """Stop the door (Label Studio keeps running).

    Example:

        mauqif team door stop
    """
    from mauqif.annotate.studio.door import stop_door

    click.echo("the door is stopped" if stop_door(home) else "no door was running")


@door.command("status")
@home_options
def door_status_command(home, data_dir):
    """Whether the door runs, and where.

    Example:

        mauqif team door status
    """
    from mauqif.annotate.studio.door import door_status

    state = door_status(home)
    if state is None:
        click.echo("no door was ever started here")
    elif state.running:
        click.echo(f"the door is open at {state.url} (Label Studio: {state.studio_url})")
    else:
        raise click.ClickException(state.problem)


@click.command()
@click.argument("exports", nargs=-1, type=click.Path(path_type=Path))
@connection_options
@project_options
@click.option(
    "--by",
    type=click.Choice(["annotators", "passes"]),
    default="annotators",
    show_default=True,
    help="Cohen's kappa for each pair of annotators, or first against second pass of each "
    "sentence, whoever did them (how the gold set's passes were made).",
)
@click.option(
    "--bootstrap",
    "n_boot",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Bootstrap resamples for alpha's confidence interval (0: none).",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the resampling.")
@report_option("the figures with plots (a heatmap per question, per-annotator bars)")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write every figure as one long CSV table, atomically.",
)
@schema_option
def agreement(
    exports,
    url,
    api_key,
    home,
    data_dir,
    project_id,
    title,
    by,
    n_boot,
    seed,
    report_path,
    csv_path,
    schema_path,
):
    """Agreement between any number of annotators, per party and for sentiment.

    Krippendorff's alpha (nominal) with a bootstrap confidence interval, Cohen's kappa for each
    pair of annotators, each annotator's agreement with the others' majority, and the label
    pairs most often confused. Skipped annotations and adjudications (a ground-truth answer
    given after two or more others) are left out, and so are annotations someone other than
    their author changed, until a lead confirms them (`mauqif team confirm`); a note names them.

    Reads EXPORTS (Label Studio JSON exports: files or directories, e.g. the gold set or pulled
    snapshots); without any, the project on the server (--project or --title).

    Example:

        mauqif agreement exports/gold/gold.json --report agreement.html --csv agreement.csv
    """
    from datetime import UTC, datetime

    from mauqif.annotate.labels import labels_table, read_exports
    from mauqif.annotate.tables import write_bytes_atomic
    from mauqif.model.agreement import agreement as compute
    from mauqif.model.agreement_report import render_html, render_text

    schema = load_schema(schema_path)
    report = SkipReport()
    if exports:
        table = read_exports(exports, schema, report)
        sources = [s["path"] for s in table.attrs.get("exports", [])]
    else:
        from mauqif.annotate.studio.tampering import held, originals, record_directory
        from mauqif.annotate.studio.team import check_project, current_user

        studio = open_studio(url, api_key, home, data_dir)
        project = studio.project(title, project_id)
        tasks, changes = check_project(studio, project.id, record_directory(home, url), "agreement")
        table = labels_table(
            tasks,
            schema,
            users=studio.users(),
            leads=[current_user(studio)["id"]],
            held=held(changes),
            originals=originals(changes),
        )
        for change in changes:
            click.echo(f"changed: {change.line()}", err=True)
        table["project"] = str(project.id)
        sources = [f"{studio.url}/projects/{project.id} ({project.title})"]
    result = compute(table, schema, by=by, n_boot=n_boot, seed=seed)
    click.echo(render_text(result, schema))
    if csv_path:
        write_bytes_atomic(csv_path, result.tidy().to_csv(index=False).encode("utf-8"))
        click.echo(f"csv    {csv_path}", err=True)
    if report_path:
        created_at = datetime.now(UTC).isoformat(timespec="seconds")
        html = render_html(result, schema, sources, created_at)
        write_bytes_atomic(report_path, html.encode("utf-8"))
        click.echo(f"report {report_path}", err=True)
    report.finish("export")


@click.command()
@connection_options
@project_options
@schema_option
def adjudicate(url, api_key, home, data_dir, project_id, title, schema_path):
    """Send disagreements to a review project; bring the reviewer's verdicts back as truth.

    Every task of the project whose annotators disagree on any question goes, once, to the
    review project "<title> (review)" (made on first use), where a reviewer sees the competing
    answers (as A, B, C…) with the agreed ones pre-selected and submits the final answer. The
    next run copies each verdict into the main project as the reviewer's annotation marked
    ground truth: `pull` exports it, and `train` uses it before any majority. Run it again after
    each review session; it never queues a task twice.

    Example:

        mauqif adjudicate --title "stance 2025"
    """
    from mauqif.annotate.studio.review import adjudicate as run_adjudication

    schema = load_schema(schema_path)
    studio = open_studio(url, api_key, home, data_dir)
    project = studio.project(title, project_id)
    result = run_adjudication(
        studio, project, schema, on_progress=lambda m: click.echo(m, err=True)
    )
    for line in result.lines():
        click.echo(line)


COMMANDS = [team, agreement, adjudicate]

"""The training report: one self-contained HTML page (charts are PNGs embedded as base64).

It shows, for the new model beside the current one and the two baselines, on the same grouped
folds: per-party and sentiment precision / recall / F1, macro-F1, F_avg, confusion matrices, a
learning curve, and how many labels each figure rests on.

`mauqif evaluate` (a saved model scored on labelled files) reuses its tables and charts for its
own page (`render_evaluation_html`), and has a plain-text rendering for the terminal
(`render_evaluation_text`).
"""

from __future__ import annotations

import base64
import io
import math
from html import escape

import numpy as np
from matplotlib.figure import Figure

from mauqif.annotate.labels import label_sources_line

from .evaluate import Evaluation

COLORS = ["#1f6f8b", "#e39b27", "#8e8e8e", "#c44e52", "#55a868"]


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="" src="data:image/png;base64,{data}">'


def _fmt(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def _questions(evaluation: Evaluation, parties: list[str]) -> list[tuple[str, str]]:
    """(label shown, key) for each question: every party, all parties pooled, sentiment."""
    return [(p, p) for p in parties] + [("all parties", "all"), ("sentiment", "sentiment")]


def _block(figures: dict, key: str) -> dict:
    return figures["sentiment"] if key == "sentiment" else figures["stance"][key]


def grouped_bars(ax, groups: list[str], series: dict[str, list[float]]) -> None:
    """One bar per series in each group (NaN drawn as 0), coloured and labelled by series."""
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(groups))
    for i, (name, values) in enumerate(series.items()):
        heights = [0 if math.isnan(v) else v for v in values]
        ax.bar(
            x + i * width - 0.4 + width / 2,
            heights,
            width,
            label=name,
            color=COLORS[i % len(COLORS)],
        )
    ax.set_xticks(x, groups, rotation=15)


def _bars(evaluation: Evaluation, parties: list[str], metric: str, title: str) -> str:
    questions = _questions(evaluation, parties)
    if metric == "f_avg":
        questions = [q for q in questions if q[1] != "sentiment"]
    fig = Figure(figsize=(9, 3.4))
    ax = fig.subplots()
    series = {
        name: [_block(figures, key)[metric] for _, key in questions]
        for name, figures in evaluation.figures.items()
    }
    grouped_bars(ax, [label for label, _ in questions], series)
    ax.set_ylim(0, 1)
    ax.set_ylabel(metric.replace("_", "-"))
    ax.set_title(title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def _confusions(figures: dict, parties: list[str]) -> str:
    keys = [*parties, "sentiment"]
    fig = Figure(figsize=(3.1 * len(keys), 3.2))
    axes = fig.subplots(1, len(keys))
    for ax, key in zip(np.atleast_1d(axes), keys, strict=True):
        block = _block(figures, key)
        matrix = np.asarray(block["confusion"]) if block["confusion"] else np.zeros((1, 1))
        labels = block["labels"]
        ax.imshow(matrix, cmap="Blues")
        for (r, c), v in np.ndenumerate(matrix):
            ax.text(
                c,
                r,
                int(v),
                ha="center",
                va="center",
                color="black" if v < matrix.max() * 0.6 else "white",
            )
        ax.set_xticks(range(len(labels)), labels, rotation=45, fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_xlabel("predicted", fontsize=8)
        ax.set_title(f"{key} (n={block['n']})", fontsize=9)
    axes_list = np.atleast_1d(axes)
    axes_list[0].set_ylabel("labelled", fontsize=8)
    fig.tight_layout()
    return _png(fig)


def _learning_curve(points: list[dict]) -> str:
    if not points:
        return "<p>Too few labels for a learning curve.</p>"
    fig = Figure(figsize=(6, 3.4))
    ax = fig.subplots()
    x = [p["sentences"] for p in points]
    for key, label, color in (
        ("stance_f_avg", "stance F_avg", COLORS[0]),
        ("stance_macro_f1", "stance macro-F1", COLORS[1]),
        ("sentiment_macro_f1", "sentiment macro-F1", COLORS[3]),
    ):
        ax.plot(x, [p[key] for p in points], marker="o", label=label, color=color)
    ax.set_xlabel("training sentences per fold")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
    ax.set_title("Learning curve (same test folds)")
    return _png(fig)


def _reliability_plot(table: dict, thresholds: dict) -> str:
    """Per polar value: the share of out-of-fold answers right against the model's mean
    probability in each bin (a calibrated model sits on the diagonal), point areas by the
    number of answers, and the value's threshold as a dashed line."""
    fig = Figure(figsize=(5.2, 4.2))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1], color="#bbbbbb", linewidth=1, label="calibrated")
    for i, (value, rows) in enumerate(table.items()):
        color = COLORS[i % len(COLORS)]
        ax.plot(
            [r["mean_p"] for r in rows],
            [r["right"] for r in rows],
            color=color,
            marker="",
            linewidth=1,
        )
        ax.scatter(
            [r["mean_p"] for r in rows],
            [r["right"] for r in rows],
            s=[12 + 3 * r["n"] ** 0.9 for r in rows],
            color=color,
            alpha=0.8,
            label=value,
        )
        t = thresholds.get(value)
        if t is not None and t <= 1:
            ax.axvline(t, color=color, linestyle="--", linewidth=1)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("model's probability of its answer (bin mean)")
    ax.set_ylabel("share of those answers right")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, loc="upper left")
    ax.set_title("Reliability of favor / against (out of fold)")
    return _png(fig)


def _thresholds_section(chosen: dict) -> str:
    """The pre-selection thresholds, how they were chosen, what they give out of fold, and the
    reliability plot with its table."""
    shown = ", ".join(
        f"<code>{escape(v)}</code> {'never' if t > 1 else _fmt(t, 2)}"
        for v, t in chosen["stance_thresholds"].items()
    )
    cv = chosen["cross_validation"]
    rows = "".join(
        f"<tr><td>{escape(value)}</td><td>{_fmt(r['low'], 1)}–{_fmt(r['high'], 1)}</td>"
        f"<td>{r['n']}</td><td>{_fmt(r['mean_p'], 2)}</td><td>{_fmt(r['right'], 2)}</td></tr>"
        for value, bins in chosen["reliability"].items()
        for r in bins
    )
    return f"""<h2>What push pre-selects</h2>
<p>A party's stance is pre-selected only when the model gives its answer at least the value's
threshold: {shown}. Each polar value's threshold is the least one at which the one-sided
{_fmt(chosen["confidence"], 2)} Wilson lower bound of the out-of-fold precision reaches
{_fmt(chosen["target_precision"], 2)}; the others keep <code>min_confidence</code>. Out of fold,
{cv["polar_preselected_right"]} of {cv["polar_preselected"]} pre-selected favor/against are right
({_fmt(cv["precision"], 2)}), and {_fmt(cv["gold_polar_recall"], 2)} of the {cv["gold_polar"]}
labelled favor/against are pre-selected right. Read it as an upper estimate for outlets nobody
labelled: check it with <code>mauqif evaluate</code> on their pages.</p>
{_reliability_plot(chosen["reliability"], chosen["stance_thresholds"])}
<table><tr><th>value</th><th>probability</th><th>answers</th><th>mean probability</th>
<th>share right</th></tr>{rows}</table>
"""


def _class_cells(figures: dict | None) -> str:
    """P, R, F1 of one value; a value no label has gets dashes (its F1 is not a zero)."""
    if not figures or figures["support"] == 0:
        return "<td>–</td>" * 3
    return "".join(f"<td>{_fmt(figures[k], 2)}</td>" for k in ("precision", "recall", "f1"))


def _question_table(evaluation: Evaluation, label: str, key: str) -> str:
    names = list(evaluation.figures)
    first = _block(evaluation.figures[names[0]], key)
    classes = first["labels"]
    head = "".join(
        f'<th colspan="3">{escape(c)} <small>(n={first["classes"].get(c, {}).get("support", 0)})</small></th>'
        for c in classes
    )
    sub = "<th>P</th><th>R</th><th>F1</th>" * len(classes)
    rows = []
    for name in names:
        block = _block(evaluation.figures[name], key)
        cells = "".join(_class_cells(block["classes"].get(c)) for c in classes)
        rows.append(
            f"<tr><th>{escape(name)}</th>{cells}<td><b>{_fmt(block['macro_f1'])}</b></td>"
            f"<td>{_fmt(block['f_avg']) if key != 'sentiment' else ''}</td></tr>"
        )
    note = ""
    if key not in ("all", "sentiment") and not first.get("enough_labels", True):
        note = '<p class="warn">Few favor / against / neutral labels for this party: read its figures as rough.</p>'
    return (
        f"<h3>{escape(label)} <small>({first['n']} labels)</small></h3>{note}"
        f"<table><tr><th rowspan=2></th>{head}<th rowspan=2>macro-F1</th><th rowspan=2>F_avg</th></tr>"
        f"<tr>{sub}</tr>{''.join(rows)}</table>"
    )


def _label_counts(counts: dict, schema) -> str:
    stance = schema.stance_values
    rows = "".join(
        f"<tr><th>{escape(p)}</th>"
        + "".join(f"<td>{counts.get(p, {}).get(v, 0)}</td>" for v in stance)
        + "</tr>"
        for p in schema.party_ids
    )
    sentiment = "".join(
        f"<th>{escape(v)}</th><td>{counts.get('sentiment', {}).get(v, 0)}</td>"
        for v in schema.sentiment_values
    )
    return (
        f"<table><tr><th>party</th>{''.join(f'<th>{escape(v)}</th>' for v in stance)}</tr>{rows}</table>"
        f"<p></p><table><tr><th>sentiment</th>{sentiment}</tr></table>"
    )


STYLE = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.2em}th,td{border:1px solid #ddd;padding:.25em .5em;text-align:right}
th{background:#f5f5f5}h1 small,h3 small{color:#777;font-weight:normal}.warn{color:#a05a00}
.verdict{font-size:1.15em;padding:.6em .8em;background:#eef5f8;border-left:4px solid #1f6f8b}
img{max-width:100%}code{background:#f3f3f3;padding:0 .2em}
"""


def render_report(
    *,
    version: str,
    schema,
    evaluation: Evaluation,
    label_counts: dict,
    aggregation: dict,
    decision: str,
    sources: list[dict],
    n_sentences: int,
    n_articles: int,
    created_at: str,
    thresholds: dict | None = None,
) -> str:
    """The report as one HTML string; `thresholds` (`thresholds.cross_validated_thresholds`)
    adds the pre-selection thresholds and their reliability plot."""
    parties = schema.party_ids
    names = list(evaluation.figures)
    summary_rows = "".join(
        f"<tr><th>{escape(n)}</th><td><b>{_fmt(f['score'])}</b></td><td>{_fmt(f['stance']['all']['f_avg'])}</td>"
        f"<td>{_fmt(f['stance']['all']['macro_f1'])}</td><td>{_fmt(f['sentiment']['macro_f1'])}</td></tr>"
        for n, f in evaluation.figures.items()
    )
    ties = {q: n for q, n in aggregation.get("ties", {}).items() if n}
    files = "".join(
        f"<li><code>{escape(s['path'])}</code>: {s['tasks']} tasks, {s['annotations']} annotations"
        + (
            ""
            if s.get("schema_matches", True)
            else ' <span class="warn">(exported with another schema)</span>'
        )
        + "</li>"
        for s in sources
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in evaluation.notes)
    tables = "".join(
        _question_table(evaluation, label, key) for label, key in _questions(evaluation, parties)
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mauqif model {escape(version)}</title>
<style>{STYLE}</style></head><body>
<h1>mauqif model <code>{escape(version)}</code> <small>{escape(created_at)}</small></h1>
<p class="verdict">{escape(decision)}</p>
<p>{n_sentences} labelled sentences from {n_articles} articles; {len(evaluation.folds)}-fold cross-validation
grouped by article (no article on both sides of a split), the same folds for every row below.
Score = mean of the pooled stance F_avg (mean F1 of favor and against) and the sentiment macro-F1.</p>
<table><tr><th></th><th>score</th><th>stance F_avg</th><th>stance macro-F1</th><th>sentiment macro-F1</th></tr>
{summary_rows}</table>
{_bars(evaluation, parties, "macro_f1", "Macro-F1 per question")}
{_bars(evaluation, parties, "f_avg", "F_avg (favor, against) per party")}
<h2>Per question</h2>
<p>P / R / F1 per value; <i>n</i> is how many labels (pairs or sentences) each figure rests on.
Macro-F1 and F_avg average over the values that have labels (a party never labelled
<code>against</code> has F_avg = F1 of <code>favor</code>); a dash marks a value with no label.</p>
{tables}
<h2>Confusion matrices of the {escape(names[0])}</h2>
{_confusions(evaluation.figures[names[0]], parties)}
<h2>Learning curve</h2>
{_learning_curve(evaluation.learning_curve)}
{_thresholds_section(thresholds) if thresholds else ""}
<h2>Labels</h2>
{_label_counts(label_counts, schema)}
<p>{aggregation.get("annotations", 0)} annotations ({aggregation.get("cancelled", 0)} cancelled) of
{aggregation.get("sentences", 0)} sentences; {aggregation.get("ground_truth", 0)} decided by a ground-truth
(adjudicated) annotation, {aggregation.get("majority", 0)} by majority.
{escape(label_sources_line(aggregation)).capitalize()}.
Ties left out: {escape(", ".join(f"{q} {n}" for q, n in ties.items()) or "none")}.
Choices the schema does not know: {aggregation.get("unknown_choices", 0)}.</p>
<ul>{files}</ul>
{f"<h2>Notes</h2><ul>{notes}</ul>" if notes else ""}
</body></html>
"""


# ---------------------------------------------------------------------------------------------
# `mauqif evaluate`: a saved model scored on labelled files (no training, no folds)


def _evaluation_questions(parties: list[str]) -> list[tuple[str, str]]:
    return [(p, p) for p in parties] + [("all parties", "all"), ("sentiment", "sentiment")]


def _wrong(error: dict) -> str:
    return "; ".join(
        f"{q}: gold {w['gold']}, predicted {w['predicted']}" for q, w in error["wrong"].items()
    )


def _text_matrix(label: str, block: dict) -> list[str]:
    labels = block["labels"]
    width = max(9, *(len(v) + 2 for v in labels))
    head = f"{label} (n={block['n']})"
    lines = [f"{head:22}" + "".join(f"{v:>{width}}" for v in labels)]
    matrix = block["confusion"] or [[0] * len(labels) for _ in labels]
    for value, row in zip(labels, matrix, strict=True):
        lines.append(f"{'  ' + value:22}" + "".join(f"{n:>{width}d}" for n in row))
    return lines


def _error_kinds_text(table: dict, parties: list[str]) -> list[str]:
    """The error table (`scoring.error_table`): wrong (unit, party) pairs per kind and party."""
    if not table:
        return []
    width = max(len(p) for p in parties) + 2
    lines = [
        "Stance errors by kind (wrong unit × party pairs)",
        f"{'kind':28}{'pairs':>6}" + "".join(f"{p:>{width}}" for p in parties),
    ]
    for row in table.values():
        lines.append(
            f"{row['label']:28}{row['pairs']:>6}"
            + "".join(f"{row['by_party'].get(p, 0):>{width}}" for p in parties)
        )
    total = sum(row["pairs"] for row in table.values())
    lines.append(f"{'total':28}{total:>6}")
    return lines


def _error_kinds_html(table: dict, parties: list[str]) -> str:
    if not table:
        return ""
    head = "".join(f"<th>{escape(p)}</th>" for p in parties)
    rows = "".join(
        f"<tr><td>{escape(row['label'])}</td><td>{row['pairs']}</td>"
        + "".join(f"<td>{row['by_party'].get(p, 0)}</td>" for p in parties)
        + f"<td>{escape(row['definition'])}</td></tr>"
        for row in table.values()
    )
    return (
        "<h2>Stance errors by kind</h2><p>Each wrongly predicted (unit, party) pair, sorted by "
        "the first definition that holds.</p>"
        f"<table><tr><th>kind</th><th>pairs</th>{head}<th>definition</th></tr>{rows}</table>"
    )


def preselection_lines(figures: dict | None) -> list[str]:
    """What push would pre-select under the model's thresholds, for `mauqif evaluate`."""
    if not figures:
        return []
    shown = ", ".join(
        f"{v} {'never' if t > 1 else f'{t:.2f}'}" for v, t in figures["thresholds"].items()
    )
    return [
        "",
        f"Pre-selection (thresholds: {shown})",
        f"  pre-selected favor/against that are right  {_fmt(figures['precision'], 2):>5}"
        f"  ({figures['polar_preselected_right']} of {figures['polar_preselected']})",
        f"  gold favor/against pre-selected right      {_fmt(figures['gold_polar_recall'], 2):>5}"
        f"  (of {figures['gold_polar']})",
    ]


def render_evaluation_text(result, schema) -> str:
    """The figures of a `scoring.ModelEvaluation` as a plain-text table for the terminal:
    summary, P / R / F1 and support per value of every question, confusion matrices (rows:
    gold, columns: predicted), and the units predicted wrongly."""
    fig, parties = result.figures, schema.party_ids

    def num(x) -> str:
        return f"{_fmt(x):>6}"

    pooled = fig["stance"]["all"]
    lines = [
        f"{'':24}{'F_avg':>8}{'macro-F1':>10}{'n':>7}",
        f"{'stance (all parties)':24}{num(pooled['f_avg']):>8}{num(pooled['macro_f1']):>10}"
        f"{pooled['n']:>7}",
        f"{'sentiment':24}{'':>8}{num(fig['sentiment']['macro_f1']):>10}{fig['sentiment']['n']:>7}",
        f"{'score':24}{num(fig['score']):>8}   (mean of stance F_avg and sentiment macro-F1)",
        "",
        f"{'question':14}{'value':10}{'P':>7}{'R':>7}{'F1':>7}{'support':>9}",
    ]
    for label, key in _evaluation_questions(parties):
        block = _block(fig, key)
        for i, value in enumerate(block["labels"]):
            c = block["classes"].get(value)
            cells = (
                "".join(f"{num(c[k]):>7}" for k in ("precision", "recall", "f1"))
                if c and c["support"]
                else f"{'–':>7}" * 3
            )
            support = c["support"] if c else 0
            lines.append(f"{label if i == 0 else '':14}{value:10}{cells}{support:>9}")
        summary = f"macro-F1 {_fmt(block['macro_f1'])}"
        if key != "sentiment":
            summary = f"F_avg {_fmt(block['f_avg'])}  {summary}"
        few = "" if block.get("enough_labels", True) else "  (few labels: read as rough)"
        lines.append(f"{'':14}{summary}  n={block['n']}{few}")
    lines += preselection_lines(getattr(result, "preselection", None))
    lines += ["", "Confusion matrices (rows: gold, columns: predicted)"]
    for label, key in [
        ("all parties", "all"),
        *[(p, p) for p in parties],
        ("sentiment", "sentiment"),
    ]:
        lines += _text_matrix(label, _block(fig, key))
    lines += ["", *_error_kinds_text(getattr(result, "error_kinds", {}), parties)]
    lines += ["", f"Errors: {len(result.errors)} of {result.units} units"]
    for error in result.errors:
        lines.append(f"{error['id']}  {_wrong(error)}")
        lines.append(f"    {error['text']}")
        if error.get("note"):
            lines.append(f"    note: {error['note']}")
    return "\n".join(lines)


def _preselection_html(figures: dict | None) -> str:
    if not figures:
        return ""
    lines = preselection_lines(figures)[1:]
    return f"<h2>What push would pre-select</h2><pre>{escape(chr(10).join(lines))}</pre>"


def render_evaluation_html(result, schema, created_at: str = "") -> str:
    """The figures of a `scoring.ModelEvaluation` as one self-contained HTML page: summary,
    per-question tables, F1 bars, confusion-matrix heatmaps and the list of errors."""
    parties = schema.party_ids
    name = f"model {result.version}"
    # One candidate, no folds: the training report's tables and charts take it as it is.
    evaluation = Evaluation(folds=[], figures={name: result.figures})
    fig = result.figures
    tables = "".join(
        _question_table(evaluation, label, key) for label, key in _questions(evaluation, parties)
    )
    files = "".join(
        f"<li><code>{escape(s['path'])}</code>: {s['units']} units ({escape(s['format'])})</li>"
        for s in result.sources
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in result.notes)
    errors = "".join(
        f'<tr><td>{escape(e["id"])}</td><td dir="rtl" lang="ur">{escape(e["text"])}</td>'
        f"<td>{escape(_wrong(e))}</td><td>{escape(e.get('note') or '')}</td></tr>"
        for e in result.errors
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mauqif evaluation of {escape(result.version)}</title>
<style>{STYLE}td[dir=rtl]{{text-align:right;max-width:32em}}</style></head><body>
<h1>Evaluation of model <code>{escape(result.version)}</code> <small>{escape(created_at)}</small></h1>
<p>{result.units} labelled units, predicted by the saved model (no training). Stance F_avg is the mean
F1 of favor and against; macro-F1 averages the values that have labels.</p>
<table><tr><th>score</th><th>stance F_avg</th><th>stance macro-F1</th><th>sentiment macro-F1</th></tr>
<tr><td><b>{_fmt(fig["score"])}</b></td><td>{_fmt(fig["stance"]["all"]["f_avg"])}</td>
<td>{_fmt(fig["stance"]["all"]["macro_f1"])}</td><td>{_fmt(fig["sentiment"]["macro_f1"])}</td></tr></table>
<ul>{files}</ul>
{_preselection_html(getattr(result, "preselection", None))}
{f"<h2>Notes</h2><ul>{notes}</ul>" if notes else ""}
{_bars(evaluation, parties, "macro_f1", "Macro-F1 per question")}
{_bars(evaluation, parties, "f_avg", "F_avg (favor, against) per party")}
<h2>Per question</h2>
<p>P / R / F1 per value; <i>n</i> is how many labels each figure rests on; a dash marks a value
with no label.</p>
{tables}
<h2>Confusion matrices</h2>
<p>Rows: gold; columns: predicted.</p>
{_confusions(fig, ["all", *parties])}
{_error_kinds_html(getattr(result, "error_kinds", {}), parties)}
<h2>Errors <small>({len(result.errors)} of {result.units} units)</small></h2>
<table><tr><th>id</th><th>text</th><th>wrong</th><th>note</th></tr>{errors}</table>
</body></html>
"""

"""The agreement figures for people: a table on the terminal and one self-contained HTML page.

The page has the same tables as the terminal, Krippendorff's alpha per question with its
confidence interval as bars, a heatmap per question (the coincidence matrix: which values the
annotators of one sentence gave together) and each annotator's agreement with the others'
majority as bars. Charts are PNGs embedded as base64, as in the training report (`report.py`).
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
from matplotlib.figure import Figure

from mauqif.annotate.schema import Schema

from .agreement import Agreement
from .report import COLORS, _png, grouped_bars


def _num(x, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.{digits}f}"


def _pct(x) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.1%}"


def question_label(question: str, schema: Schema) -> str:
    """`stance_japan` → `japan`, `sentiment` stays."""
    for party in schema.party_ids:
        if question == f"stance_{party}":
            return party
    return question


def render_text(result: Agreement, schema: Schema) -> str:
    """The terminal table: alpha per question, kappa per pair, majority, confused pairs."""
    lines = []
    ci = f"{result.level:.0%} CI"
    lines.append(
        f"{len(result.annotators)} annotators; {result.units} sentences answered by two or more"
    )
    lines.append("")
    lines.append(
        f"Krippendorff's alpha (nominal); {ci}: {result.n_boot} bootstrap resamples of the sentences"
    )
    lines.append(f"{'question':20} {'units':>6} {'answers':>8} {'agree':>7} {'alpha':>7}  {ci}")
    for r in result.alpha.itertuples():
        interval = f"[{_num(r.ci_low)}, {_num(r.ci_high)}]" if not math.isnan(r.ci_low) else "n/a"
        lines.append(
            f"{r.question:20} {r.units:6d} {r.annotations:8d} {_pct(r.observed):>7} "
            f"{_num(r.alpha):>7}  {interval}"
        )
    lines.append("")
    what = "first pass against second pass" if result.by == "passes" else "each pair of annotators"
    lines.append(f"Cohen's kappa, {what}")
    if result.kappa.empty:
        lines.append("no sentence has two annotations by different annotators")
    else:
        pairs = [f"{r.annotator_a} / {r.annotator_b}" for r in result.kappa.itertuples()]
        width = max(40, *(len(p) for p in pairs))
        lines.append(f"{'annotators':{width}} {'question':20} {'n':>5} {'agree':>7} {'kappa':>7}")
        for pair, r in zip(pairs, result.kappa.itertuples(), strict=True):
            lines.append(
                f"{pair:{width}} {r.question:20} {r.n:5d} {_pct(r.observed):>7} {_num(r.kappa):>7}"
            )
    if not result.majority.empty:
        lines.append("")
        lines.append("Agreement with the majority of the other annotators (sentences compared)")
        questions = [*result.alpha["question"], "all"]
        names = [question_label(q, schema) for q in questions]
        width = max(12, *(len(a) for a in result.annotators))
        lines.append(f"{'annotator':{width}} " + " ".join(f"{n:>13}" for n in names))
        table = result.majority.set_index(["annotator", "question"])
        for annotator in result.majority["annotator"].unique():
            cells = []
            for q in questions:
                if (annotator, q) in table.index:
                    row = table.loc[(annotator, q)]
                    cells.append(f"{_pct(row['share']):>7} ({int(row['n']):>4})")
                else:
                    cells.append(f"{'–':>13}")
            lines.append(f"{annotator:{width}} " + " ".join(cells))
    lines.append("")
    lines.append("Most confused label pairs (disagreeing pairs of answers to one sentence)")
    if result.confusions.empty:
        lines.append("none: every pair of answers agrees")
    else:
        lines.append(f"{'question':20} {'labels':28} {'pairs':>7} {'share':>7}")
        for r in result.confusions.head(10).itertuples():
            pair = f"{r.label_a} ↔ {r.label_b}"
            lines.append(f"{r.question:20} {pair:28} {r.count:7.1f} {_pct(r.share):>7}")
    for note in result.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


# ---- HTML --------------------------------------------------------------------------------------


def _alpha_chart(result: Agreement, schema: Schema) -> str:
    frame = result.alpha
    fig = Figure(figsize=(7, 3))
    ax = fig.subplots()
    x = np.arange(len(frame))
    values = frame["alpha"].fillna(0).to_numpy()
    low = np.clip(values - frame["ci_low"].fillna(frame["alpha"]).fillna(0).to_numpy(), 0, None)
    high = np.clip(frame["ci_high"].fillna(frame["alpha"]).fillna(0).to_numpy() - values, 0, None)
    ax.bar(x, values, color=COLORS[0], yerr=[low, high], capsize=4)
    ax.set_xticks(x, [question_label(q, schema) for q in frame["question"]], rotation=15)
    ax.axhline(0.8, color="#888", linestyle="--", linewidth=1)
    ax.axhline(0.667, color="#bbb", linestyle=":", linewidth=1)
    ax.set_ylim(min(0, float(np.nanmin(values)) - 0.05) if len(values) else 0, 1.05)
    ax.set_ylabel("Krippendorff's alpha")
    ax.set_title(f"alpha per question, {result.level:.0%} bootstrap interval")
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def _heatmaps(result: Agreement, schema: Schema) -> str:
    keys = list(result.coincidences)
    fig = Figure(figsize=(3.6 * len(keys), 3.6), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(keys)))
    for ax, key in zip(axes, keys, strict=True):
        matrix = result.coincidences[key]
        data = matrix.to_numpy()
        ax.imshow(data, cmap="Blues")
        labels = list(matrix.index)
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        peak = data.max() if data.size else 0
        for i in range(len(labels)):
            for j in range(len(labels)):
                value = data[i, j]
                if value:
                    colour = "white" if value > peak / 2 else "black"
                    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
                    ax.text(j, i, text, ha="center", va="center", color=colour, fontsize=8)
        ax.set_title(question_label(key, schema))
    fig.suptitle("Coincidences: the values two annotators of one sentence gave together")
    return _png(fig)


def _annotator_bars(result: Agreement, schema: Schema) -> str:
    frame = result.majority
    if frame.empty:
        return "<p>No annotator shares a sentence with others.</p>"
    questions = [*result.alpha["question"], "all"]
    annotators = list(frame["annotator"].unique())
    table = frame.set_index(["annotator", "question"])["share"]
    fig = Figure(figsize=(max(7, 1.4 * len(questions)), 3.4))
    ax = fig.subplots()
    series = {name: [float(table.get((name, q), np.nan)) for q in questions] for name in annotators}
    grouped_bars(ax, [question_label(q, schema) for q in questions], series)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("agrees with the others' majority")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def _table(frame, columns: list[tuple[str, str, object]]) -> str:
    head = "".join(f"<th>{escape(title)}</th>" for title, _, _ in columns)
    rows = []
    for record in frame.to_dict("records"):
        cells = "".join(f"<td>{escape(fmt(record[key]))}</td>" for _, key, fmt in columns)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def render_html(result: Agreement, schema: Schema, sources: list[str], created_at: str) -> str:
    """One self-contained page with every figure and chart."""
    text = str
    alpha = _table(
        result.alpha,
        [
            ("question", "question", text),
            ("sentences", "units", text),
            ("answers", "annotations", text),
            ("pairwise agreement", "observed", _pct),
            ("alpha", "alpha", _num),
            (f"{result.level:.0%} CI low", "ci_low", _num),
            (f"{result.level:.0%} CI high", "ci_high", _num),
        ],
    )
    kappa = _table(
        result.kappa,
        [
            ("annotator", "annotator_a", text),
            ("annotator", "annotator_b", text),
            ("question", "question", text),
            ("sentences", "n", text),
            ("agreement", "observed", _pct),
            ("Cohen's kappa", "kappa", _num),
        ],
    )
    majority = _table(
        result.majority,
        [
            ("annotator", "annotator", text),
            ("question", "question", text),
            ("sentences", "n", text),
            ("agrees", "agree", text),
            ("share", "share", _pct),
        ],
    )
    confusions = _table(
        result.confusions,
        [
            ("question", "question", text),
            ("label", "label_a", text),
            ("label", "label_b", text),
            ("disagreeing pairs", "count", lambda v: f"{v:.1f}"),
            ("share", "share", _pct),
        ],
    )
    notes = "".join(f"<p><b>note:</b> {escape(n)}</p>" for n in result.notes)
    read = "".join(f"<li>{escape(s)}</li>" for s in sources)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mauqif agreement</title>
<style>
body {{ font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; }}
td, th {{ border: 1px solid #ccc; padding: 3px 8px; text-align: left; font-size: 0.9em; }}
img {{ max-width: 100%; }}
</style></head><body>
<h1>Inter-annotator agreement</h1>
<p>{len(result.annotators)} annotators; {result.units} sentences answered by two or more.
Made {escape(created_at)} from:</p><ul>{read}</ul>{notes}
<h2>Krippendorff's alpha (nominal)</h2>
<p>Over every annotator, missing answers allowed; the interval is the {result.level:.0%}
percentile interval of {result.n_boot} bootstrap resamples of the sentences. Dashed line: 0.8,
dotted: 0.667 (Krippendorff's thresholds for reliable and tentative conclusions).</p>
{_alpha_chart(result, schema)}{alpha}
<h2>What the annotators confuse</h2>
{_heatmaps(result, schema)}{confusions}
<h2>Each annotator against the others' majority</h2>
{_annotator_bars(result, schema)}{majority}
<h2>Cohen's kappa ({"first pass against second pass" if result.by == "passes" else "each pair of annotators"})</h2>
{kappa}
</body></html>
"""

"""The trends report: one self-contained HTML page (plots as inline PNG, no script, no network)
with one plot per party and one for sentiment, the table of every cell with its interval, and a
few example sentences with their URLs behind each cell's link.

Plots are matplotlib (already a dependency; the model report draws with it too). What the report
says about its own footing: the estimator, where the error rates come from and how many labels
they rest on, how many rows had no date.
"""

from __future__ import annotations

import base64
import html
import io

import pandas as pd

from .trends import SENTIMENT, TrendsResult

COLORS = {
    "favor": "#1b7837",
    "against": "#b2182b",
    "neutral": "#6a6a6a",
    "positive": "#1b7837",
    "negative": "#b2182b",
}
MAX_TABLE_ROWS = 2000


def _plot(block: pd.DataFrame, question: str, values: list[str]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 3.2), dpi=100)
    for value in values:
        rows = block[block["value"] == value].sort_values("period")
        if not len(rows):
            continue
        x = pd.to_datetime(rows["period"])
        color = COLORS.get(value)
        ax.plot(x, rows["share"], marker="o", label=value, color=color)
        ax.fill_between(x, rows["share_low"], rows["share_high"], alpha=0.18, color=color)
    what = "share of sentences" if question == SENTIMENT else "share of its statements"
    ax.set_title(f"{question}: {what} (estimated, 90% interval)")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=8)
    fig.autofmt_xdate()
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _cell_id(question, period, group, value) -> str:
    raw = f"{question}-{period}-{group}-{value}"
    return "ex-" + "".join(c if c.isalnum() else "-" for c in raw)


def _fmt(x, digits=1) -> str:
    return "–" if pd.isna(x) else f"{x:.{digits}f}"


def render_trends(result: TrendsResult, title: str = "Stance trends") -> str:
    """The report's HTML."""
    esc = html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #ccc;padding:2px 6px}"
        "td.num{text-align:right}.urdu{direction:rtl;font-family:'Noto Nastaliq Urdu',serif}"
        "figure{margin:1em 0}</style></head><body>",
        f"<h1>{esc(title)}</h1>",
        f"<p>{result.rows} sentences by {esc(result.by)}"
        + (f", grouped by {esc(result.group)}" if result.group else "")
        + f"; {result.undated} without a readable date (counted, not in the periods).</p>",
        f"<p>Estimator: <b>{esc(result.method)}</b>. ",
    ]
    if result.rates:
        by_source: dict[str, list[str]] = {}
        for question, used in result.rates.items():
            by_source.setdefault(used["source"], []).append(f"{question} {used['labels']}")
        parts.append(
            "Error rates (per question, with the labels they rest on) from "
            + "; ".join(f"{esc(s)} ({esc(', '.join(q))})" for s, q in by_source.items())
            + ". "
        )
    parts.append(
        (
            "Counts are the model's labels plus its mean error on the lab's labelled units "
            "(prediction-powered); intervals are 90% bootstrap intervals (the cell's rows and "
            "the labelled units resampled). "
            if result.method == "ppi"
            else "Counts are the model's labels corrected for its error rates; intervals are 90% "
            "bootstrap intervals (rows and rates resampled). "
            if result.rates
            else (
                "Counts are the model's labels"
                if result.method == "cc"
                else "Counts are the sums of the model's posteriors"
            )
            + ", not corrected for its errors; intervals are 90% bootstrap intervals (rows "
            "resampled). "
        )
        + f"Model: {esc(', '.join(result.model_versions) or 'unknown')}.</p>"
    )
    overall = result.overall if result.overall is not None else result.table
    for question in overall["question"].unique() if len(overall) else []:
        block = overall[overall["question"] == question]
        values = list(dict.fromkeys(block["value"]))
        png = _plot(block, question, values)
        parts.append(
            f"<figure class='plot' data-question='{esc(question)}'>"
            f"<img alt='{esc(question)}' src='data:image/png;base64,{png}'></figure>"
        )
    parts.append("<h2>Cells</h2><table><tr><th>question</th><th>period</th><th>group</th>")
    parts.append(
        "<th>sentences</th><th>sources (est.)</th><th>value</th><th>counted</th>"
        "<th>count (est.)</th><th>interval</th><th>share</th><th>interval</th><th></th></tr>"
    )
    for row in result.table.head(MAX_TABLE_ROWS).itertuples(index=False):
        anchor = _cell_id(row.question, row.period, row.group, row.value)
        has = (row.question, row.period, row.group, row.value) in result.examples
        link = f"<a href='#{anchor}'>examples</a>" if has else ""
        parts.append(
            f"<tr><td>{esc(row.question)}</td><td>{esc(row.period)}</td><td>{esc(str(row.group))}"
            f"</td><td class='num'>{row.sentences}</td><td class='num'>{_fmt(row.sources)}</td>"
            f"<td>{esc(row.value)}</td><td class='num'>{row.counted}</td>"
            f"<td class='num'>{_fmt(row.count)}</td>"
            f"<td class='num'>{_fmt(row.count_low)}–{_fmt(row.count_high)}</td>"
            f"<td class='num'>{_fmt(row.share, 2)}</td>"
            f"<td class='num'>{_fmt(row.share_low, 2)}–{_fmt(row.share_high, 2)}</td>"
            f"<td>{link}</td></tr>"
        )
    parts.append("</table>")
    if len(result.table) > MAX_TABLE_ROWS:
        parts.append(f"<p>First {MAX_TABLE_ROWS} of {len(result.table)} rows; see the CSV.</p>")
    parts.append("<h2>Examples (sentences the model gave that value)</h2>")
    shown = set(
        zip(
            result.table.get("question", []),
            result.table.get("period", []),
            result.table.get("group", []),
            result.table.get("value", []),
            strict=True,
        )
    )
    for (question, period, group, value), examples in sorted(result.examples.items()):
        if (question, period, group, value) not in shown:
            continue
        parts.append(
            f"<h3 id='{_cell_id(question, period, group, value)}'>{esc(question)} · "
            f"{esc(period)} · {esc(str(group))} · {esc(str(value))}</h3><ul>"
        )
        for example in examples:
            url = example.get("url")
            # Only web addresses become links: a `javascript:` URL in the input stays text.
            if url and str(url).lower().startswith(("http://", "https://")):
                link = f" <a href='{esc(url)}'>{esc(url)}</a>"
            else:
                link = f" {esc(str(url))}" if url else ""
            parts.append(f"<li><span class='urdu'>{esc(example['text'])}</span>{link}</li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)

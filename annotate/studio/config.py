"""The Label Studio label config and the annotator instructions, both made from the schema.

Pure functions: a `Schema` in, XML or HTML text out. Tag names come from `mauqif.annotate.schema`
so push, pull and the gold set agree with what annotators see.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

from ..schema import (
    CONTEXT_TAG,
    MENTIONS_TAG,
    SENTIMENT_TAG,
    TEXT_TAG,
    Schema,
    stance_tag,
)

# Nastaliq is how Urdu readers expect news to look; Naskh is the fallback most systems have.
URDU_FONTS = (
    "'Noto Nastaliq Urdu', 'Jameel Noori Nastaleeq', 'Urdu Typesetting', "
    "'Noto Naskh Arabic', 'Noto Sans Arabic', 'Geeza Pro', serif"
)

# Keyboard shortcuts. Label Studio's own single keys are `u` (unselect region), `backspace`,
# `enter` and `escape`; its others use ctrl/alt/shift, so plain letters and digits below are free.
# Party i answers with row i; the columns follow the schema's stance values (favor, against, …).
STANCE_KEY_ROWS = ("qwer", "asdf", "zxcv", "tyio", "ghjk", "bnm")
SENTIMENT_KEYS = "123456"
MENTION_KEYS = "7890"
RESERVED_KEYS = frozenset({"u", "backspace", "enter", "escape", "delete"})

CSS = f"""
.mauqif-sentence, .mauqif-context,
.mauqif-sentence .lsf-richtext, .mauqif-context .lsf-richtext,
.mauqif-sentence .lsf-richtext__line, .mauqif-context .lsf-richtext__line {{
  direction: rtl; text-align: right; unicode-bidi: plaintext;
  /* !important: Label Studio sets its own font on every element of the page, !important too */
  font-family: {URDU_FONTS} !important;
}}
.mauqif-sentence .lsf-richtext__line {{ font-size: 28px; line-height: 2.6; white-space: pre-wrap; }}
.mauqif-context .lsf-richtext__line {{ font-size: 19px; line-height: 2.4; color: #8a8a8a; white-space: pre-wrap; }}
.mauqif-context {{ border-right: 3px solid #dddddd; padding-right: 12px; margin-bottom: 4px; }}
.mauqif-party {{ display: flex; align-items: center; gap: 12px; flex-wrap: wrap; margin: 4px 0; }}
.mauqif-party-name {{ min-width: 200px; font-weight: 600; }}
.mauqif-ur {{ font-family: {URDU_FONTS} !important; font-size: 1.15em; }}
"""


def stance_hotkeys(schema: Schema) -> dict[str, dict[str, str]]:
    """{party id: {stance value: key}} for the parties and values that have a key row/column."""
    keys: dict[str, dict[str, str]] = {}
    for row, party in zip(STANCE_KEY_ROWS, schema.parties, strict=False):
        keys[party.id] = dict(zip(schema.stance_values, row, strict=False))
    return keys


def sentiment_hotkeys(schema: Schema) -> dict[str, str]:
    return dict(zip(schema.sentiment_values, SENTIMENT_KEYS, strict=False))


def mention_hotkeys(schema: Schema) -> dict[str, str]:
    return dict(zip(schema.party_ids, MENTION_KEYS, strict=False))


def _caption(ur: str, en: str) -> str:
    return (
        f'<span class="mauqif-ur" lang="ur" dir="rtl">{html.escape(ur)}</span> · {html.escape(en)}'
    )


def label_config(schema: Schema) -> str:
    """The label config (XML) for the schema: sentence RTL with its context, mentions, questions."""
    root = ET.Element("View", className="mauqif")
    ET.SubElement(root, "Style").text = CSS

    context = ET.SubElement(root, "View", className="mauqif-context", style="direction: rtl")
    ET.SubElement(
        context, "Text", name=CONTEXT_TAG, value=f"${CONTEXT_TAG}", selectionEnabled="false"
    )
    sentence = ET.SubElement(
        root, "View", className="mauqif-sentence", style="direction: rtl; text-align: right"
    )
    ET.SubElement(sentence, "Text", name=TEXT_TAG, value=f"${TEXT_TAG}")

    mention_keys = mention_hotkeys(schema)
    labels = ET.SubElement(root, "Labels", name=MENTIONS_TAG, toName=TEXT_TAG, showInline="true")
    for party in schema.parties:
        attrs = {"value": party.id, "background": party.color, "html": _caption(party.ur, party.en)}
        if party.id in mention_keys:
            attrs["hotkey"] = mention_keys[party.id]
        ET.SubElement(labels, "Label", attrs)

    questions = ET.SubElement(root, "View", className="mauqif-questions")
    topic = f"موقف · Stance toward: {schema.topic.ur} ({schema.topic.en})"
    ET.SubElement(questions, "Header", value=topic, size="4")
    stance_keys = stance_hotkeys(schema)
    for party in schema.parties:
        row = ET.SubElement(questions, "View", className="mauqif-party")
        name = ET.SubElement(row, "View", className="mauqif-party-name")
        ET.SubElement(
            name,
            "Header",
            value=f"{party.ur} · {party.en}",
            size="5",
            style=f"color: {party.color}",
        )
        choices = ET.SubElement(
            row,
            "Choices",
            name=stance_tag(party.id),
            toName=TEXT_TAG,
            choice="single-radio",
            showInline="true",
            required="true",
            requiredMessage=f"Choose the stance of {party.en} ({party.ur}).",
        )
        for value in schema.stance:
            attrs = {"value": value.value, "html": _caption(value.ur, value.en), "hint": value.en}
            key = stance_keys.get(party.id, {}).get(value.value)
            if key:
                attrs["hotkey"] = key
            ET.SubElement(choices, "Choice", attrs)

    ET.SubElement(questions, "Header", value="جذبات · Sentiment of the sentence", size="4")
    sentiment_keys = sentiment_hotkeys(schema)
    sentiment = ET.SubElement(
        questions,
        "Choices",
        name=SENTIMENT_TAG,
        toName=TEXT_TAG,
        choice="single-radio",
        showInline="true",
        required="true",
        requiredMessage="Choose the sentiment of the sentence.",
    )
    for value in schema.sentiment:
        attrs = {"value": value.value, "html": _caption(value.ur, value.en), "hint": value.en}
        if value.value in sentiment_keys:
            attrs["hotkey"] = sentiment_keys[value.value]
        ET.SubElement(sentiment, "Choice", attrs)

    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


# ---- instructions ------------------------------------------------------------------------------


def default_guidelines() -> dict[str, str]:
    """The packaged guidelines, {language: markdown}: English and Urdu."""
    folder = resources.files(__package__).joinpath("guidelines")
    return {lang: folder.joinpath(f"{lang}.md").read_text("utf-8") for lang in ("en", "ur")}


def read_guidelines(paths: dict[str, str | Path]) -> dict[str, str]:
    from ..exceptions import InputError

    out = {}
    for lang, path in paths.items():
        try:
            out[lang] = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(str(path), f"cannot read the guidelines ({exc})") from exc
    return out


def markdown_to_html(text: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(text)


def instructions(schema: Schema, guidelines: dict[str, str] | None = None) -> str:
    """The project's instructions (HTML): a summary made from the schema, then the guidelines.

    The summary (parties and colours, the answers with their keys) always matches the label
    config; the guidelines follow in English and in Urdu, the Urdu right-to-left.
    """
    guidelines = default_guidelines() if guidelines is None else guidelines
    stance_keys = stance_hotkeys(schema)
    sentiment_keys = sentiment_hotkeys(schema)
    mention_keys = mention_hotkeys(schema)
    e = html.escape

    rows = []
    for party in schema.parties:
        keys = " ".join(
            f"<kbd>{e(stance_keys.get(party.id, {}).get(v, '–'))}</kbd>"
            for v in schema.stance_values
        )
        rows.append(
            f'<tr><td><span style="color:{e(party.color)};font-weight:600">{e(party.en)}</span></td>'
            f'<td lang="ur" dir="rtl">{e(party.ur)}</td><td><kbd>{e(mention_keys.get(party.id, "–"))}</kbd></td>'
            f"<td>{keys}</td></tr>"
        )
    stance_header = " / ".join(f"{e(v.en)} ({e(v.ur)})" for v in schema.stance)
    sentiment_line = ", ".join(
        f"{e(v.en)} ({e(v.ur)}) <kbd>{e(sentiment_keys.get(v.value, '–'))}</kbd>"
        for v in schema.sentiment
    )
    summary = (
        f"<h2>Topic · موضوع: {e(schema.topic.en)} · <span lang='ur' dir='rtl'>{e(schema.topic.ur)}</span></h2>"
        "<p>For every party choose one stance; then choose the sentence's sentiment. "
        "The model's suggestions are pre-selected: correct them. Submit with <kbd>ctrl</kbd>+<kbd>enter</kbd>.</p>"
        "<table><thead><tr><th>Party</th><th>اردو</th><th>mention key</th>"
        f"<th>stance keys: {stance_header}</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
        f"<p>Sentiment: {sentiment_line}</p>"
    )
    parts = [summary]
    if "en" in guidelines:
        parts.append(f'<div lang="en" dir="ltr">{markdown_to_html(guidelines["en"])}</div>')
    if "ur" in guidelines:
        parts.append(
            f'<div lang="ur" dir="rtl" style="text-align:right;font-family:{e(URDU_FONTS)}">'
            f"{markdown_to_html(guidelines['ur'])}</div>"
        )
    return "<hr/>".join(parts)

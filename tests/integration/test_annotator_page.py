"""The annotator's page in a real browser (Debian's chromium, driven by Playwright).

An annotator logs in, sees the guidelines before the first task, and finds the sentence in
Urdu right-to-left in a Nastaliq font under its greyed context, the party mentions drawn in
the party's colours, and the model's choices pre-selected. They change one choice with its
keyboard shortcut and submit; `pull` then holds exactly that annotation. A screenshot is kept
in tests/artifacts/ (ignored by git) for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mauqif.annotate.labels import read_export
from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.reader import iter_articles
from mauqif.annotate.schema import MENTIONS_TAG, SENTIMENT_TAG, stance_tag
from mauqif.annotate.studio import push
from mauqif.annotate.studio.config import stance_hotkeys
from mauqif.cli import cli

from .browser import ARTIFACTS, logged_in_page, wait_for
from .helpers import all_tasks, choices, spans

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def page_model(schema, tmp_path_factory):
    from mauqif.annotate.labels import aggregate, read_exports
    from mauqif.model import load_model, save_model, train_model

    sentences, _ = aggregate(read_exports([ROOT / "exports" / "gold" / "gold.json"]), schema)
    path = save_model(train_model(sentences, schema), tmp_path_factory.mktemp("models"))
    return load_model(path, schema)


def quoted_sentence(schema, sample_dir) -> dict:
    """A sentence of a sample article with context and at least two party mentions."""
    segmenter = Segmenter.default(schema)
    for unit in segmenter.iter_units(iter_articles(sorted(sample_dir.glob("*.txt")))):
        parties = {m["party"] for m in unit["mentions"]}
        if unit["kind"] == "sentence" and unit["context"] and len(parties) >= 2:
            return unit
    raise AssertionError("no sample sentence names two parties")


def rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))


def css_rgb(value: str) -> tuple[int, int, int]:
    inside = value[value.index("(") + 1 : value.index(")")].replace("/", " ").replace(",", " ")
    return tuple(round(float(x)) for x in inside.split()[:3])


def test_an_annotator_corrects_the_model_on_the_labelling_page_and_pull_has_it(
    browser, local_server, admin, annotator, new_project, schema, sample_dir, page_model, tmp_path
):
    unit = quoted_sentence(schema, sample_dir)
    setup = new_project()
    summary = push(admin, setup.project_id, [unit], schema, model=page_model)
    assert summary.added == 1
    [task] = all_tasks(admin, setup.project_id)
    [prediction] = task["predictions"]
    predicted = choices(prediction["result"])
    predicted_spans = spans(prediction["result"])
    assert len(predicted_spans) >= 2

    ARTIFACTS.mkdir(exist_ok=True)
    page = logged_in_page(browser, local_server.url, annotator.email, annotator.password)

    # The guidelines come first, in English and in Urdu.
    page.goto(f"{local_server.url}/projects/{setup.project_id}/data?labeling=1")
    modal = page.locator(".lsf-modal-ls__content").filter(has_text="Labeling Instructions")
    modal.wait_for()
    shown = modal.inner_text()
    assert "Pronouns: resolve them with the context sentence" in shown
    assert "Deflecting a question about the cooperation" in shown  # rule 14, the last
    assert "ٹال دینا" in shown
    assert "اردو خبروں میں حوالہ دیے گئے فریقوں کا موقف" in shown
    modal.locator("button[aria-label^=Close]").first.click()
    modal.wait_for(state="hidden")

    # The sentence: Urdu, right-to-left, right-aligned, large, Nastaliq; the context above, greyed.
    sentence = page.locator(".mauqif-sentence .lsf-richtext__line")
    sentence.wait_for()
    assert sentence.inner_text().strip() == unit["text"]
    style = sentence.evaluate(
        "el => { const s = getComputedStyle(el); return {direction: s.direction, "
        "align: s.textAlign, size: parseFloat(s.fontSize), family: s.fontFamily}; }"
    )
    assert style["direction"] == "rtl"
    assert style["align"] in ("right", "start")
    assert style["size"] >= 24
    assert style["family"].startswith('"Noto Nastaliq Urdu"')
    assert page.evaluate("document.fonts.check('28px \"Noto Nastaliq Urdu\"', 'کم جونگ اُن')")
    context = page.locator(".mauqif-context .lsf-richtext__line")
    assert context.inner_text().strip() == unit["context"]
    context_box = context.bounding_box()
    assert context_box["y"] < sentence.bounding_box()["y"]
    grey = css_rgb(context.evaluate("el => getComputedStyle(el).color"))
    assert max(grey) - min(grey) < 16 and 90 < grey[0] < 200, grey

    # The mentions, drawn as spans in their party's colour.
    highlights = page.locator(".mauqif-sentence .htx-highlight")
    drawn = sorted(
        (int(h["start"]), int(h["end"]), h["label"].split(":", 1)[1], h["background"])
        for h in highlights.evaluate_all(
            "els => els.map(e => ({start: e.dataset.start, end: e.dataset.end, "
            "label: e.dataset.label, background: getComputedStyle(e).backgroundColor}))"
        )
    )
    assert [(s, e, p) for s, e, p, _ in drawn] == predicted_spans
    for _, _, party, background in drawn:
        assert css_rgb(background) == rgb(schema.party(party).color), (party, background)

    # The model's answers are pre-selected.
    def selected() -> dict[str, str]:
        groups = page.locator(".mauqif-questions .lsf-choices")
        names = [stance_tag(p) for p in schema.party_ids] + [SENTIMENT_TAG]
        out = {}
        for i, name in enumerate(names):
            # Label Studio names each radio after its value, so the browser's own `checked` is
            # shared by same-named radios of different parties; the drawn state is the class.
            checked = groups.nth(i).locator(".ant-radio-wrapper-checked input")
            out[name] = checked.get_attribute("name") if checked.count() == 1 else None
        return out

    shown = {k: v for k, v in predicted.items() if k != MENTIONS_TAG}
    try:
        wait_for(lambda: selected() == shown, 15, "the predicted choices")
    except AssertionError:
        page.screenshot(path=str(ARTIFACTS / "annotator-page-failed.png"), full_page=True)
        assert selected() == shown

    # Change one party's stance with its keyboard shortcut.
    party = schema.party_ids[0]
    new_value = next(v for v in schema.stance_values if v != predicted[stance_tag(party)])
    page.locator(".mauqif-questions").click(
        position={"x": 5, "y": 5}
    )  # focus the page, not a field
    page.keyboard.press(stance_hotkeys(schema)[party][new_value])
    expected = {**predicted, stance_tag(party): new_value}
    wait_for(lambda: selected() == expected, 10, "the shortcut to select the choice")

    page.screenshot(path=str(ARTIFACTS / "annotator-page.png"), full_page=True)

    page.locator("[data-testid=bottombar-submit-button]").click()
    wait_for(
        lambda: admin.request("GET", f"/api/tasks/{task['id']}").json().get("annotations"),
        30,
        "the annotation to be saved",
    )
    page.close()

    # `mauqif pull` has exactly that annotation, by that annotator.
    pulled_cli = CliRunner().invoke(
        cli,
        [
            "pull",
            "--url",
            local_server.url,
            "--api-key",
            local_server.api_key,
            "--project",
            str(setup.project_id),
            "-o",
            str(tmp_path),
        ],
    )
    assert pulled_cli.exit_code == 0, pulled_cli.output
    [snapshot] = [
        p for p in (tmp_path / "snapshots").glob("*.json") if not p.name.endswith(".meta.json")
    ]
    tasks, meta = read_export(snapshot)
    [pulled] = tasks
    [annotation] = pulled["annotations"]
    assert meta["users"][str(annotation["completed_by"])] == annotator.email
    assert choices(annotation["result"]) == expected
    assert spans(annotation["result"]) == predicted_spans

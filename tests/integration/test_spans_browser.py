"""Mention spans after emoji, in a real browser (Debian's chromium, driven by Playwright).

Python counts code points, JavaScript UTF-16 units: an emoji before a mention is 1 in one and 2
in the other (a family emoji joined by ZWJ is 5 and 8). What Label Studio 1.23.2 actually does
is checked here, not assumed: the spans `push` sends must highlight exactly the mention, and a
span an annotator draws must come back through `pull` (and into the training table) as the
text they drew. The sentence also carries a right-to-left override, which the pipeline removes:
the page shows the text as it is.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mauqif.annotate.labels import aggregate, labels_table, read_export
from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.reader import Article
from mauqif.annotate.studio import pull, push
from mauqif.annotate.studio.config import mention_hotkeys, sentiment_hotkeys, stance_hotkeys
from mauqif.model.features import tokenize

from .browser import ARTIFACTS, logged_in_page, wait_for
from .helpers import all_tasks, spans

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 👨‍👩‍👧: 5 code points, 8 UTF-16 units
# Our own sentence: an emoji before it, a flag and the family inside it, and a right-to-left
# override (U+202E) that would show the words after it in reverse order.
ARTICLE = (
    f"😀 روس کے وزیر نے کہا کہ 🇯🇵 جاپان سے بات ہوگی اور {FAMILY} ماسکو میں "
    "\u202eشمالی کوریا\u202c کا وفد بھی آئے گا۔"
)
DRAWN = "وفد"  # the word the annotator marks ("delegation", North Korea's), after every emoji


def highlights(page) -> list[tuple[str, str]]:
    """(party, highlighted text) of every span drawn on the sentence, in order of position."""
    found = page.locator(".mauqif-sentence .htx-highlight").evaluate_all(
        "els => els.map(e => [Number(e.dataset.start), e.dataset.label, e.textContent])"
    )
    return [(label.split(":", 1)[1], text) for _, label, text in sorted(found)]


def drag_over(page, word: str) -> None:
    """Select `word` in the sentence with the mouse, as an annotator does (right to left)."""
    box = page.locator(".mauqif-sentence .lsf-richtext__line").evaluate(
        """(el, word) => {
            const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
            let node;
            while ((node = walker.nextNode())) {
                const i = node.data.indexOf(word);
                if (i < 0) continue;
                const range = document.createRange();
                range.setStart(node, i);
                range.setEnd(node, i + word.length);
                const b = range.getBoundingClientRect();
                return {x: b.x, y: b.y, width: b.width, height: b.height};
            }
            return null;
        }""",
        word,
    )
    assert box, f"{word} is not on the page"
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + box["width"] - 1, y)
    page.mouse.down()
    page.mouse.move(box["x"] + 1, y, steps=8)
    page.mouse.up()


def test_spans_after_emoji_highlight_the_mention_and_a_drawn_span_comes_back_as_its_text(
    browser, local_server, admin, annotator, new_project, schema, tmp_path
):
    [unit] = Segmenter.default(schema).units(Article(id="emoji", text=ARTICLE))
    text = unit["text"]
    assert "\u202e" not in text and "\u202c" not in text
    assert text.startswith("😀 روس") and FAMILY in text
    expected = [(m["party"], m["alias"]) for m in unit["mentions"]]
    assert expected == [
        ("russia", "روس"),
        ("japan", "جاپان"),
        ("russia", "ماسکو"),
        ("north_korea", "شمالی کوریا"),
    ]
    # The pipeline's offsets index the unit's own text (Python code points).
    assert all(text[m["start"] : m["end"]] == m["alias"] for m in unit["mentions"])
    # The case is real: six characters outside the BMP (😀, the flag's two, the family's three)
    # put every later mention 1 to 6 UTF-16 units further on than its Python offset.
    assert len(text.encode("utf-16-le")) // 2 == len(text) + 6

    setup = new_project()
    assert push(admin, setup.project_id, [unit], schema).added == 1
    [task] = all_tasks(admin, setup.project_id)

    page = logged_in_page(browser, local_server.url, annotator.email, annotator.password)
    page.goto(f"{local_server.url}/projects/{setup.project_id}/data?labeling=1")
    modal = page.locator(".lsf-modal-ls__content").filter(has_text="Labeling Instructions")
    modal.wait_for()
    modal.locator("button[aria-label^=Close]").first.click()
    modal.wait_for(state="hidden")

    # What the annotator sees is the text as it is, each mention highlighted exactly.
    sentence = page.locator(".mauqif-sentence .lsf-richtext__line")
    sentence.wait_for()
    assert sentence.inner_text().strip() == text
    try:
        wait_for(lambda: len(highlights(page)) == len(expected), 15, "the predicted spans")
        assert highlights(page) == expected
    except AssertionError:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "spans-browser-failed.png"), full_page=True)
        raise

    # The annotator marks the delegation as North Korea's: choose the label, drag over the word.
    page.locator(".mauqif-questions").click(position={"x": 5, "y": 5})
    page.keyboard.press(mention_hotkeys(schema)["north_korea"])
    drag_over(page, DRAWN)
    wait_for(lambda: ("north_korea", DRAWN) in highlights(page), 10, "the drawn span")
    # Every question is required: answer them with their shortcuts, then submit.
    page.locator(".mauqif-questions").click(position={"x": 5, "y": 5})
    for party in schema.party_ids:
        page.keyboard.press(stance_hotkeys(schema)[party]["neutral"])
    page.keyboard.press(next(iter(sentiment_hotkeys(schema).values())))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "spans-browser.png"), full_page=True)
    page.locator("[data-testid=bottombar-submit-button]").click()
    wait_for(
        lambda: admin.request("GET", f"/api/tasks/{task['id']}").json().get("annotations"),
        30,
        "the annotation to be saved",
    )
    page.close()

    # Pull: the snapshot's spans and the labels table's mentions index the text they name.
    result = pull(admin, admin.project(project_id=setup.project_id), schema, tmp_path)
    tasks, _ = read_export(result.snapshot)
    [annotation] = tasks[0]["annotations"]
    drawn_start = text.index(DRAWN)
    assert (drawn_start, drawn_start + len(DRAWN), "north_korea") in spans(annotation["result"])
    [row] = labels_table(tasks, schema).to_dict("records")
    pulled = [(m["party"], m["alias"]) for m in row["mentions"]]
    assert sorted(pulled) == sorted([*expected, ("north_korea", DRAWN)])
    assert all(row["text"][m["start"] : m["end"]] == m["alias"] for m in row["mentions"])

    # Training: the aggregated sentence turns the drawn word into a party token.
    sentences, _ = aggregate(labels_table(tasks, schema), schema)
    [trained] = sentences.to_dict("records")
    _, tokens = tokenize(trained["text"], trained["mentions"])
    party_tokens = [t for t in tokens if isinstance(t, frozenset)]
    assert party_tokens.count(frozenset({"north_korea"})) == 2  # شمالی کوریا and the drawn وفد

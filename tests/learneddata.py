"""Labelled data with a minister no alias list has, marked by an annotator, and the model
`mauqif train` makes of it: the round trip of learned aliases (tests/test_learned_aliases.py,
tests/integration/test_learned_push.py). The name is made up; the sentences are written for
these tests."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from modeldata import _annotation, _choice, _span, labelled_tasks, write_export

from mauqif.cli import cli

NAME = "ارکادی زیمونوف"  # a Russian minister no alias list has (made up)
MARKED = [
    f"{NAME} نے کہا کہ دونوں ملکوں کی دوستی نئی بلندیوں کو چھو رہی ہے۔",
    f"{NAME} نے اس معاہدے کا خیرمقدم کیا اور اسے تاریخی قرار دیا۔",
]
NEW_SENTENCE = f"{NAME} نے بتایا کہ اگلا اجلاس اگلے ماہ ہوگا۔"


def tasks_with_a_new_minister() -> list[dict]:
    """The small labelled set plus one article where an annotator marked the new name."""
    tasks = labelled_tasks(seed=1)
    next_id = max(a["id"] for t in tasks for a in t["annotations"]) + 1
    for index, text in enumerate(MARKED):
        result = [
            _choice(f"stance_{p}", "favor" if p == "russia" else "none")
            for p in ("russia", "north_korea", "south_korea", "japan")
        ]
        result += [_choice("sentiment", "positive"), _span(text, NAME, "russia")]
        tasks.append(
            {
                "id": len(tasks) + 1,
                "data": {
                    "text": text,
                    "context": MARKED[index - 1] if index else "",
                    "article_id": "new-minister",
                    "sentence_id": f"new-minister-{index}",
                    "index": index,
                    "kind": "sentence",
                },
                "annotations": [_annotation(next_id + index, 1, result, ground_truth=True)],
                "predictions": [],
            }
        )
    return tasks


def train_with_a_new_minister(root: Path) -> tuple[Path, str]:
    """(models directory, `mauqif train`'s output) after training on the marked spans."""
    write_export(root / "exports", tasks_with_a_new_minister())
    models = root / "models"
    result = CliRunner().invoke(
        cli,
        ["train", "--data", str(root / "exports"), "--models", str(models)]
        + ["--folds", "3", "--no-learning-curve"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return models, result.output

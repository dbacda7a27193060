"""Push with a model that learned an alias from annotators' spans: the tasks Label Studio serves
mark the new name as its party."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from learneddata import NAME, NEW_SENTENCE, train_with_a_new_minister

from mauqif.cli import cli

from .helpers import all_tasks, spans


@pytest.mark.slow
def test_push_marks_a_name_the_model_learned_from_annotators(
    local_server, admin, new_project, tmp_path
):
    models, _ = train_with_a_new_minister(tmp_path / "training")
    article = tmp_path / "new_minister.txt"
    article.write_text(f"{NEW_SENTENCE}\n\nموسم سرد رہا اور بازار کھلے رہے۔\n", "utf-8")
    setup = new_project()
    args = ["push", str(article), "--home", str(local_server.local.home)]
    args += ["--title", setup.title, "--model", str(models)]
    result = CliRunner().invoke(cli, args, env={})
    assert result.exit_code == 0, result.output

    [task] = [t for t in all_tasks(admin, setup.project_id) if t["data"]["text"] == NEW_SENTENCE]
    [prediction] = task["predictions"]
    start = NEW_SENTENCE.index(NAME)
    assert spans(prediction["result"]) == [(start, start + len(NAME), "russia")]
    # Without the model, the name is no mention.
    plain = new_project()
    args = ["push", str(article), "--home", str(local_server.local.home)]
    result = CliRunner().invoke(cli, [*args, "--title", plain.title, "--no-model"], env={})
    assert result.exit_code == 0, result.output
    [task] = [t for t in all_tasks(admin, plain.project_id) if t["data"]["text"] == NEW_SENTENCE]
    assert spans(task["predictions"][0]["result"]) == []

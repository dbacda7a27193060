"""`mauqif train --from-studio`: pull fresh annotations from the real server, then learn from them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from mauqif.annotate.labels import read_export
from mauqif.annotate.studio import connect, push
from mauqif.cli import cli
from mauqif.model import current_model_dir

from .helpers import all_tasks

ROOT = Path(__file__).resolve().parents[2]


def test_train_from_studio_pulls_a_snapshot_and_learns_from_exactly_its_annotations(
    local_server, admin, annotator, new_project, schema, units, tmp_path, monkeypatch
):
    gold_tasks, _ = read_export(ROOT / "exports" / "gold" / "gold.json")
    gold = {
        t["data"]["sentence_id"]: next(a for a in t["annotations"] if a["ground_truth"])["result"]
        for t in gold_tasks
    }
    setup = new_project()
    push(admin, setup.project_id, units, schema)
    tasks = all_tasks(admin, setup.project_id)
    as_annotator = connect(admin.url, annotator.api_key)
    for task in tasks:
        as_annotator.sdk.annotations.create(id=task["id"], result=gold[task["data"]["sentence_id"]])

    monkeypatch.chdir(tmp_path)  # the snapshot goes to ./exports, the model to ./models
    (tmp_path / "nothing-else").mkdir()
    result = CliRunner().invoke(
        cli,
        [
            "train",
            "--from-studio",
            "--url",
            local_server.url,
            "--api-key",
            local_server.api_key,
            "--project",
            str(setup.project_id),
            "--data",
            "nothing-else",
            "--folds",
            "2",
            "--no-learning-curve",
            "--promote",
            "always",
        ],
    )
    assert result.exit_code == 0, result.output
    snapshots = [
        p
        for p in (tmp_path / "exports" / "snapshots").glob("*.json")
        if not p.name.endswith(".meta.json")
    ]
    assert len(snapshots) == 1
    assert f"{len(tasks)} annotations → {len(tasks)} labelled sentences" in result.stderr
    manifest = json.loads(
        (current_model_dir(tmp_path / "models") / "manifest.json").read_text("utf-8")
    )
    assert manifest["training_data"]["sentences"] == len(tasks)
    assert manifest["training_data"]["exports"] == [
        str(Path("exports") / "snapshots" / snapshots[0].name)
    ]
    assert local_server.api_key not in result.output + result.stderr

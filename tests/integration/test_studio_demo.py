"""`mauqif demo`, the main job, run twice against the session's server."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

from click.testing import CliRunner

from mauqif.cli import cli

from .helpers import sentence_counts

ROOT = Path(__file__).resolve().parents[2]


def test_demo_trains_pushes_prints_the_login_and_a_second_run_changes_nothing(
    local_server, admin, schema, segmenter, sample_dir, tmp_path, monkeypatch
):
    gold = tmp_path / "exports" / "gold"
    gold.mkdir(parents=True)
    for name in ("gold.json", "gold.meta.json"):
        shutil.copy(ROOT / "exports" / "gold" / name, gold / name)
    monkeypatch.chdir(tmp_path)
    title = f"test-demo-{secrets.token_hex(4)}"
    args = ["demo", "--home", str(local_server.local.home), "--title", title]
    from mauqif.annotate.reader import iter_articles

    n = len(list(segmenter.iter_units(iter_articles([sample_dir]))))
    try:
        first = CliRunner().invoke(cli, args, env={})
        assert first.exit_code == 0, first.output
        models = sorted(p.name for p in (tmp_path / "models").iterdir())
        assert "current" in models and len(models) == 2  # one model, made current
        version = (tmp_path / "models" / "current").read_text().strip()
        assert (
            f"{n} added, 0 skipped" in first.output and f"model version {version}" in first.output
        )
        assert f"Label Studio: {local_server.url}/projects/" in first.output
        assert f"log in as:  {local_server.username}" in first.output
        assert f"password:   {local_server.password}" in first.output  # the one place it is shown
        assert f"mauqif studio stop --home {local_server.local.home}" in first.output

        second = CliRunner().invoke(cli, args, env={})
        assert second.exit_code == 0, second.output
        assert f"0 added, {n} skipped (already there), 0 refreshed" in second.output
        assert sorted(p.name for p in (tmp_path / "models").iterdir()) == models
        project_id = int(re.search(r"/projects/(\d+)/", second.output).group(1))
        counts = sentence_counts(admin, project_id)
        assert sum(counts.values()) == n and set(counts.values()) == {1}
        assert admin.project(project_id=project_id).model_version == version
    finally:
        project = admin.find_project(title)
        if project is not None:
            admin.sdk.projects.delete(id=project.id)

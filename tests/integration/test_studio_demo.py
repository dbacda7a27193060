"""`mauqif demo`, the main job, run twice against the session's server: the project, the sample
articles with suggestions, the model backend connected to the project, a trends report."""

from __future__ import annotations

import re
import secrets
import shutil
from pathlib import Path

from click.testing import CliRunner

from mauqif.annotate.studio.backend import backend_status, health, stop_backend
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
        # The live model backend runs beside Label Studio, connected to the demo's project.
        project_id = int(re.search(r"/projects/(\d+)/", first.output).group(1))
        served = backend_status(local_server.local.home)
        assert served is not None and served.running, served
        assert served.model_version == version
        assert health(served.url)["model_version"] == version
        [backend] = admin.sdk.ml.list(project=project_id)
        assert backend.url == served.url
        # A trends report of the sample articles, its path printed: one plot per party.
        report = Path(re.search(r"Trends report: (\S+)", first.output).group(1))
        page = report.read_text("utf-8")
        assert page.count("<figure class='plot'") == len(schema.party_ids) + 1
        rows, undated = map(
            int,
            re.search(
                r"trends of the sample articles \((\d+) sentences, (\d+) without a date\)",
                first.output,
            ).groups(),
        )
        assert 0 < undated < rows  # the feeds' articles are dated, the .txt ones are not
        assert f"{rows} sentences by month; {undated} without a readable date" in page

        second = CliRunner().invoke(cli, args, env={})
        assert second.exit_code == 0, second.output
        assert f"0 added, {n} skipped (already there), 0 refreshed" in second.output
        assert sorted(p.name for p in (tmp_path / "models").iterdir()) == models
        assert int(re.search(r"/projects/(\d+)/", second.output).group(1)) == project_id
        counts = sentence_counts(admin, project_id)
        assert sum(counts.values()) == n and set(counts.values()) == {1}
        assert admin.project(project_id=project_id).model_version == version
        assert [b.url for b in admin.sdk.ml.list(project=project_id)] == [served.url]
    finally:
        stop_backend(local_server.local.home)
        project = admin.find_project(title)
        if project is not None:
            admin.sdk.projects.delete(id=project.id)

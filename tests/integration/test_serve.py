"""`mauqif serve`: the model as a live ML backend of a real Label Studio.

A real backend process (`python -m mauqif serve`) is connected to a project of the session's real
Label Studio through its ML API. Tasks imported through Label Studio's API without predictions
show the model's choices when an annotator opens them in Chromium; annotations submitted
through the API start a training that is promoted only when it beats the served model, after
which the project's unlabelled tasks carry the new model's predictions and the project's model
version follows; a killed backend leaves Label Studio usable, and `studio status` says so.

The served model is trained on a few gold articles only, so that the model trained on the whole
gold set can beat it on the same folds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from mauqif.annotate.labels import read_export
from mauqif.annotate.schema import MENTIONS_TAG, SENTIMENT_TAG, stance_tag
from mauqif.annotate.studio import connect
from mauqif.annotate.studio.backend import backend_status, health, stop_backend
from mauqif.annotate.studio.push import predict_units
from mauqif.annotate.studio.results import prediction as build_prediction
from mauqif.annotate.studio.server import free_port
from mauqif.cli import cli

from .browser import ARTIFACTS, logged_in_page, wait_for
from .helpers import all_tasks, choices

ROOT = Path(__file__).resolve().parents[2]
GOLD = ROOT / "exports" / "gold" / "gold.json"
RETRAIN_EVERY = 3


@pytest.fixture(scope="module")
def weak_models(schema, tmp_path_factory):
    """A models directory whose current model learned from the first six gold articles only."""
    from mauqif.annotate.labels import aggregate, read_exports
    from mauqif.model import load_model, save_model, train_model
    from mauqif.model.artifact import promote

    sentences, _ = aggregate(read_exports([GOLD]), schema)
    first = sorted(sentences["article_id"].unique())[:6]
    model = train_model(sentences[sentences["article_id"].isin(first)], schema)
    root = tmp_path_factory.mktemp("models")
    save_model(model, root)
    promote(root, model.version)
    return root, load_model(root, schema)


@pytest.fixture(scope="module")
def gold_results():
    tasks, _ = read_export(GOLD)
    return {
        t["data"]["sentence_id"]: next(a for a in t["annotations"] if a["ground_truth"])["result"]
        for t in tasks
    }


class Served:
    def __init__(self, project_id, url, process, log, models, model):
        self.project_id, self.url, self.process, self.log = project_id, url, process, log
        self.models, self.model = models, model

    def health(self) -> dict:
        with urllib.request.urlopen(f"{self.url}/health", timeout=5) as response:
            return json.loads(response.read())

    def log_text(self) -> str:
        return self.log.read_text("utf-8", errors="replace")


@pytest.fixture(scope="module")
def served(local_server, schema, units, weak_models, tmp_path_factory):
    """A project with the sample units imported *without* predictions, and `mauqif serve`
    connected to it (started with --project); stopped and deleted at the end."""
    admin = connect(local_server.url, local_server.api_key)
    root, model = weak_models
    setup = admin.setup_project(schema, title=f"test-serve-{os.getpid()}")
    admin.sdk.projects.import_tasks(
        id=setup.project_id,
        request=[{"data": {k: u[k] for k in ("text", "context", "sentence_id")}} for u in units],
    )
    work = tmp_path_factory.mktemp("serve")
    port = free_port()
    log = work / "serve.log"
    env = {**os.environ, "LABEL_STUDIO_API_KEY": local_server.api_key}
    command = [
        sys.executable, "-m", "mauqif", "serve",
        "--model", str(root), "--models", str(root), "--port", str(port),
        "--url", local_server.url, "--project", str(setup.project_id),
        "--retrain-every", str(RETRAIN_EVERY), "--folds", "2", "--no-learning-curve",
        "--data", str(GOLD), "--exports", str(work / "exports"),
    ]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(
            command, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    served = Served(setup.project_id, url, process, log, root, model)
    try:
        wait_for(lambda: health(url) is not None, 90, "the backend to answer")
        wait_for(lambda: "connected to project" in served.log_text(), 60, "the connection")
        yield served
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
        admin.sdk.projects.delete(id=setup.project_id)


def project_of(admin, project_id: int):
    return admin.sdk.projects.get(id=project_id)


def test_the_project_is_connected_to_the_served_model(served, admin, local_server):
    [backend] = admin.sdk.ml.list(project=served.project_id)
    assert backend.url == served.url
    assert backend.title == served.model.version
    assert project_of(admin, served.project_id).model_version == served.model.version
    hooks = admin.sdk.webhooks.list(project=str(served.project_id))
    assert f"{served.url}/webhook" in [h.url for h in hooks]
    assert local_server.api_key not in served.log_text()


@pytest.mark.browser
def test_a_task_imported_without_predictions_shows_the_models_choices_in_the_browser(
    served,
    browser,  # noqa: F811 (the fixture of test_annotator_page)
    local_server,
    admin,
    annotator,
    schema,
    units,
):
    page = logged_in_page(browser, local_server.url, annotator.email, annotator.password)
    page.goto(f"{local_server.url}/projects/{served.project_id}/data?labeling=1")
    modal = page.locator(".lsf-modal-ls__content").filter(has_text="Labeling Instructions")
    modal.wait_for()
    modal.locator("button[aria-label^=Close]").first.click()
    sentence = page.locator(".mauqif-sentence .lsf-richtext__line")
    sentence.wait_for()
    shown_text = sentence.inner_text().strip()

    # Label Studio asked the backend and stored its answer: the form push writes, this version.
    [task] = [t for t in all_tasks(admin, served.project_id) if t["data"]["text"] == shown_text]
    [prediction] = task["predictions"]
    assert prediction["model_version"] == served.model.version
    # Exactly what `mauqif push` would have imported for this sentence.
    [unit] = [u for u in units if u["text"] == shown_text]
    [answers] = predict_units([unit], served.model)
    expected = build_prediction(
        unit, schema, served.model.version, answers, served.model.min_confidence
    )
    assert prediction["result"] == expected["result"]
    assert prediction["score"] == pytest.approx(expected["score"])
    predicted = {k: v for k, v in choices(prediction["result"]).items() if k != MENTIONS_TAG}
    assert SENTIMENT_TAG in predicted

    def selected() -> dict[str, str]:
        groups = page.locator(".mauqif-questions .lsf-choices")
        names = [stance_tag(p) for p in schema.party_ids] + [SENTIMENT_TAG]
        out = {}
        for i, name in enumerate(names):
            checked = groups.nth(i).locator(".ant-radio-wrapper-checked input")
            if checked.count() == 1:
                out[name] = checked.get_attribute("name")
        return out

    try:
        wait_for(lambda: selected() == predicted, 20, "the model's choices")
    finally:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "serve-annotator-page.png"), full_page=True)
        page.close()


def test_bad_payloads_get_a_clear_4xx(served):
    with httpx.Client(base_url=served.url, timeout=10) as client:
        not_json = client.post("/predict", content=b"{not json")
        no_text = client.post("/predict", json={"tasks": [{"id": 7, "data": {"title": "x"}}]})
        no_action = client.post("/webhook", json={"project": {"id": served.project_id}})
        foreign = client.post(
            "/setup",
            json={"project": "1.0", "schema": '<View><Text name="text" value="$text"/></View>'},
        )
    assert (not_json.status_code, not_json.json()) == (
        400,
        {"error": "the request body is not JSON"},
    )
    assert no_text.status_code == 422
    assert no_text.json()["error"].startswith("task 7 has no `data.text`")
    assert no_action.status_code == 422
    assert "needs an `action`" in no_action.json()["error"]
    assert foreign.status_code == 422
    assert "lacks stance_" in foreign.json()["error"]
    assert "Traceback" not in served.log_text()


@pytest.mark.slow
def test_annotations_retrain_promote_only_if_better_and_refresh_the_project(
    served, admin, annotator, gold_results
):
    old = served.model.version
    before = {t["id"]: t for t in all_tasks(admin, served.project_id)}
    as_annotator = connect(admin.url, annotator.api_key)
    labelled = sorted(before)[:RETRAIN_EVERY]
    for task_id in labelled:
        sid = before[task_id]["data"]["sentence_id"]
        as_annotator.sdk.annotations.create(id=task_id, result=gold_results[sid])

    state = wait_for(
        lambda: (h := served.health())["training"]["runs"] >= 1 and h, 400, "a training to finish"
    )
    last = state["training"]["last"]
    assert "error" not in last, served.log_text()[-3000:]
    new = last["version"]
    manifest = json.loads((served.models / new / "manifest.json").read_text("utf-8"))
    figures = manifest["evaluation"]["candidates"]
    assert manifest["promotion"]["compared_with"] == old
    assert manifest["training_data"]["sentences"] >= 1137  # the gold set and the fresh snapshot
    # Promoted exactly when the new model beats the served one on the same folds.
    better = figures["new model"]["score"] > figures["current model"]["score"]
    assert last["promoted"] is better is manifest["promotion"]["promoted"]
    assert better, "the model trained on all gold labels should beat one trained on six articles"
    assert (served.models / "current").read_text().strip() == new
    assert state["model_version"] == new

    # The project follows: its model version, its ML backend, its unlabelled tasks' predictions.
    assert project_of(admin, served.project_id).model_version == new
    assert [b.title for b in admin.sdk.ml.list(project=served.project_id)] == [new]
    after = {t["id"]: t for t in all_tasks(admin, served.project_id)}
    for task_id, task in after.items():
        versions = [p["model_version"] for p in task["predictions"]]
        if task_id in labelled:
            # The annotation is there, untouched.
            [annotation] = task["annotations"]
            assert annotation["result"] == gold_results[task["data"]["sentence_id"]]
        else:
            assert new in versions, task_id
    assert last["refreshed"] == {str(served.project_id): len(after) - len(labelled)}

    # The project's "Start training" button (Label Studio's train API) starts the same training.
    [backend] = admin.sdk.ml.list(project=served.project_id)
    admin.sdk.ml.train(id=backend.id)
    assert served.health()["training"]["running_for_project"] == served.project_id
    os.killpg(served.process.pid, signal.SIGTERM)  # no need to wait for a second model
    served.process.wait(60)


def test_studio_start_runs_the_backend_and_a_killed_one_leaves_label_studio_usable(
    local_server,
    admin,
    annotator,
    new_project,
    weak_models,
    gold_results,
    units,
    tmp_path,
    monkeypatch,
):
    root, _ = weak_models
    current = (root / "current").read_text().strip()  # the weak model, or what replaced it
    monkeypatch.chdir(tmp_path)  # `studio start` serves ./models/current, as push uses it
    (tmp_path / "models").symlink_to(root)
    setup = new_project()
    admin.sdk.projects.import_tasks(
        id=setup.project_id,
        request=[
            {"data": {k: u[k] for k in ("text", "context", "sentence_id")}} for u in units[:5]
        ],
    )
    home = str(local_server.local.home)
    runner = CliRunner()
    try:
        started = runner.invoke(cli, ["studio", "start", "--home", home, "--title", setup.title])
        assert started.exit_code == 0, started.output
        status = json.loads(
            runner.invoke(cli, ["studio", "status", "--home", home, "--json"]).output
        )
        backend = status["backend"]
        assert status["running"] is True
        assert backend["running"] is True and backend["model_version"] == current
        assert f"model backend at {backend['url']}" in started.output
        assert f"connected to project {setup.project_id}" in started.output
        assert project_of(admin, setup.project_id).model_version == current
        assert [b.url for b in admin.sdk.ml.list(project=setup.project_id)] == [backend["url"]]
        assert local_server.api_key not in started.output

        os.killpg(backend["pid"], signal.SIGKILL)
        wait_for(lambda: backend_status(local_server.local.home).pid is None, 30, "the kill")
        down = json.loads(runner.invoke(cli, ["studio", "status", "--home", home, "--json"]).output)
        assert down["running"] is True
        assert down["backend"]["running"] is False
        assert down["backend"]["problem"].startswith("the model backend is not running")

        # An annotator still gets the next task and submits an annotation.
        as_annotator = connect(admin.url, annotator.api_key)
        task = as_annotator.request("GET", f"/api/projects/{setup.project_id}/next").json()
        assert task["data"]["text"]
        as_annotator.sdk.annotations.create(
            id=task["id"], result=gold_results[task["data"]["sentence_id"]]
        )
        saved = admin.request("GET", f"/api/tasks/{task['id']}").json()
        assert len(saved["annotations"]) == 1

        # `studio start` again brings the backend back; stopping it ends that process only.
        again = runner.invoke(cli, ["studio", "start", "--home", home, "--title", setup.title])
        assert again.exit_code == 0, again.output
        revived = backend_status(local_server.local.home)
        assert revived.running and revived.pid != backend["pid"]
        assert stop_backend(local_server.local.home) is True
        assert not backend_status(local_server.local.home).running
        after = json.loads(
            runner.invoke(cli, ["studio", "status", "--home", home, "--json"]).output
        )
        assert after["running"] is True and after["backend"]["running"] is False
    finally:
        stop_backend(local_server.local.home)


def test_only_the_server_mauqif_starts_may_reach_a_local_backend(tmp_path):
    from ipaddress import ip_address, ip_network

    from mauqif.annotate.studio.server import Credentials, server_environment

    credentials = Credentials("http://127.0.0.1:1", "admin@mauqif.local", "pw", "key")
    env = server_environment(tmp_path, "http://127.0.0.1:1", credentials, {"PATH": "/bin"})
    assert env["ML_BLOCK_LOCAL_IP"] == "false"
    assert env["USE_DEFAULT_BANNED_SUBNETS"] == "false"
    refused = [ip_network(n) for n in env["USER_ADDITIONAL_BANNED_SUBNETS"].split(",")]
    assert not any(ip_address("127.0.0.1") in n or ip_address("::1") in n for n in refused)
    for elsewhere in ("10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "fe80::1"):
        assert any(ip_address(elsewhere) in n for n in refused), elsewhere

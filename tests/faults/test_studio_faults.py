"""Label Studio killed (SIGKILL) mid-push, mid-pull and mid-`train --from-studio`, stopped
(SIGSTOP) so that requests hang, restarted between commands; wrong and revoked API keys; a full
disk under a pull; and the security checks (loopback only, owner-only files, no secret shown,
nothing fetched from outside). After each fault the same command, run again, completes the work
with no duplicate and no loss: tasks, annotations and rows are counted before and after."""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import secrets
import stat
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import psutil
import pytest

from mauqif.annotate.schema import SENTIMENT_TAG, TEXT_TAG, load_schema, stance_tag
from mauqif.annotate.studio.push import choice_result

from .conftest import OUTPUTS, ROOT, finish
from .texts import URDU, jsonl, many_sentences

pytestmark = pytest.mark.studio

GOLD = ROOT / "exports" / "gold" / "gold.json"
PUSH_N = 1500  # sentences in the pushes that get killed: enough for a push of several seconds
ANNOTATED = 12
SECRETS: list[str] = []  # every password and key the suite made: none may appear in any output


# ---- helpers ----------------------------------------------------------------------------------


def tasks_of(client, project_id: int) -> list[dict]:
    tasks, page = [], 1
    while True:
        body = client.request(
            "GET",
            "/api/tasks",
            params={"project": project_id, "page": page, "page_size": 1000, "fields": "all"},
        ).json()
        tasks.extend(body["tasks"])
        if len(tasks) >= body["total"] or not body["tasks"]:
            return tasks
        page += 1


def census(client, project_id: int) -> dict:
    """What a user would count: tasks, distinct sentences, annotations."""
    tasks = tasks_of(client, project_id)
    ids = Counter(t["data"].get("sentence_id") for t in tasks)
    return {
        "tasks": len(tasks),
        "sentences": len(ids),
        "duplicates": sum(n - 1 for n in ids.values()),
        "annotations": sum(t.get("total_annotations") or 0 for t in tasks),
    }


def task_count(client, project_id: int) -> int:
    return client.request("GET", f"/api/projects/{project_id}").json().get("task_number", 0)


def new_project(studio, title_prefix: str) -> tuple[int, str]:
    title = f"{title_prefix}-{secrets.token_hex(3)}"
    result = studio.client().setup_project(load_schema(), title=title)
    return result.project_id, title


def annotate(client, project_id: int, n: int) -> None:
    """Answer `n` tasks as an annotator would (every party's stance and the sentiment)."""
    schema = load_schema()
    result = [choice_result(stance_tag(p), "none") for p in schema.party_ids]
    result[0] = choice_result(stance_tag(schema.party_ids[0]), "favor")
    result.append(choice_result(SENTIMENT_TAG, "neutral"))
    for t in tasks_of(client, project_id)[:n]:
        client.sdk.annotations.create(id=t["id"], result=result, lead_time=1.0)
    assert TEXT_TAG  # the results above point at the schema's text tag


def wait_for(predicate, timeout: float = 240, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("the moment to inject the fault never came")


def tree(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def short(result, studio) -> str:
    return result.outcome().replace(studio.url, "URL").replace(str(studio.home), "HOME")


def assert_one_clean_error(result, *patterns: str) -> None:
    assert result.code == 1, f"exit {result.code}: {result.err[-2000:]}"
    assert "Traceback" not in result.err, result.err[-3000:]
    last = result.error_lines[-1]
    assert last.startswith("Error: "), result.err[-2000:]
    for pattern in patterns:
        assert re.search(pattern, last), last


@pytest.fixture(scope="module")
def big_input(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("push-input") / "many.jsonl"
    path.write_bytes(many_sentences(PUSH_N))
    return path


@pytest.fixture(scope="module")
def annotated_project(fault_studio, big_input, tmp_path_factory):
    """A project with PUSH_N tasks, ANNOTATED of them annotated (for the pulls)."""
    from mauqif.annotate.pipeline import Segmenter
    from mauqif.annotate.reader import iter_articles
    from mauqif.annotate.studio import push

    fault_studio.ensure_running()
    project_id, title = new_project(fault_studio, "pull")
    client = fault_studio.client()
    units = Segmenter.default(load_schema()).iter_units(iter_articles([big_input]))
    push(client, project_id, units, load_schema(), batch=1000)
    annotate(client, project_id, ANNOTATED)
    return project_id, title


def home_args(studio) -> list[str]:
    return ["--home", str(studio.home)]


# ---- SIGKILL ----------------------------------------------------------------------------------


def test_killed_mid_push(studio, big_input, mauqif, outputs, fault_row):
    project_id, _ = new_project(studio, "kill-push")
    client = studio.client()
    args = [
        "push",
        big_input,
        *home_args(studio),
        "--project",
        project_id,
        "--no-model",
        "--batch",
        "25",
    ]
    process = mauqif(*args, popen=True)
    wait_for(lambda: task_count(client, project_id) >= 100 or process.poll() is not None)
    studio.kill()
    r = finish(process, outputs)
    studio.start()
    assert studio.url == client.url, "the restarted server moved to another port"
    client = studio.client()
    before = census(client, project_id)
    again = mauqif(*args)
    after = census(client, project_id)
    fault_row("Label Studio SIGKILLed mid-push", f"mauqif push {PUSH_N}-SENTENCES --batch 25; restart; push again",
              f"Error: cannot reach Label Studio at URL…; re-run adds the rest: {PUSH_N} tasks, 0 duplicates",
              f"{short(r, studio)}; after kill {before['tasks']} tasks; re-run exit {again.code}: "
              f"{after['tasks']} tasks, {after['duplicates']} duplicates")  # fmt: skip
    assert 0 < before["tasks"] < PUSH_N, "the kill did not land mid-push"
    assert_one_clean_error(r, re.escape(studio.url))
    assert again.code == 0, again.err
    assert after == {"tasks": PUSH_N, "sentences": PUSH_N, "duplicates": 0, "annotations": 0}


def _killed_mid_export(studio, mauqif, outputs, args, out_dir: Path, cwd: Path):
    """Run `args`, SIGKILL the server once the export download has begun; the Result."""
    process = mauqif(*args, popen=True, cwd=cwd)
    snapshots = out_dir / "snapshots"
    wait_for(lambda: any(snapshots.glob(".*.part")) or process.poll() is not None, every=0.02)
    started = process.poll() is None
    studio.kill()
    r = finish(process, outputs)
    studio.start()
    return r, started


def test_killed_mid_pull(studio, annotated_project, tmp_path, mauqif, outputs, fault_row):
    project_id, _ = annotated_project
    out = tmp_path / "exports"
    args = ["pull", *home_args(studio), "--project", project_id, "-o", out]
    first = mauqif(*args)
    assert first.code == 0, first.err
    earlier = tree(out)
    r, started = _killed_mid_export(studio, mauqif, outputs, args, out, tmp_path)
    after_fault = tree(out)
    again = mauqif(*args)
    snapshots = sorted(p for p in out.glob("snapshots/*.json") if not p.name.endswith(".meta.json"))
    tasks = json.loads(snapshots[-1].read_text("utf-8"))
    rows = pd.read_csv(sorted(out.glob("labels/*.csv"))[-1])
    fault_row("Label Studio SIGKILLed mid-pull (export download begun)", "mauqif pull; restart; pull again",
              f"Error naming URL; earlier snapshot intact, no partial file; re-run: {PUSH_N} tasks, {ANNOTATED} label rows",
              f"{short(r, studio)}; files changed by the fault: {sorted(set(after_fault) ^ set(earlier))}; "
              f"re-run exit {again.code}: {len(tasks)} tasks, {len(rows)} rows")  # fmt: skip
    assert started, "the pull ended before the kill"
    assert_one_clean_error(r, re.escape(studio.url))
    assert after_fault == earlier, "the fault left or changed files"
    assert again.code == 0, again.err
    assert len(snapshots) == 2 and len(tasks) == PUSH_N and len(rows) == ANNOTATED
    assert tree(out).items() >= earlier.items()


def test_killed_mid_train_from_studio(
    studio, annotated_project, tmp_path, mauqif, outputs, fault_row
):
    project_id, _ = annotated_project
    args = ["train", "--from-studio", *home_args(studio), "--project", project_id,
            "--data", GOLD, "--models", "models", "--folds", "2", "--no-learning-curve"]  # fmt: skip
    (tmp_path / "models").mkdir()
    r, started = _killed_mid_export(studio, mauqif, outputs, args, tmp_path / "exports", tmp_path)
    after_fault = tree(tmp_path)
    again = mauqif(*args, cwd=tmp_path)
    models = sorted((tmp_path / "models").glob("2*/model.joblib"))
    manifest = json.loads((models[0].parent / "manifest.json").read_text()) if models else {}
    exports = manifest.get("training_data", {}).get("exports", [])
    fault_row("Label Studio SIGKILLed mid-`train --from-studio` (during its pull)",
              "mauqif train --from-studio --data GOLD; restart; again",
              "Error naming URL; no model, no snapshot left; re-run trains on gold + a fresh snapshot",
              f"{short(r, studio)}; files after the fault: {sorted(after_fault)}; re-run exit {again.code}: "
              f"{len(models)} model(s), trained on {len(exports)} exports")  # fmt: skip
    assert started, "train ended its pull before the kill"
    assert_one_clean_error(r, re.escape(studio.url))
    assert after_fault == {}, "the fault left files"
    assert again.code == 0, again.err
    assert len(models) == 1 and len(exports) == 2


# ---- SIGSTOP ----------------------------------------------------------------------------------


def test_stopped_server_is_given_up_on(studio, annotated_project, tmp_path, mauqif, fault_row):
    project_id, _ = annotated_project
    studio.stop_signal()
    try:
        started = time.monotonic()
        r = mauqif("pull", *home_args(studio), "--project", project_id, "-o", tmp_path, timeout=180)
        waited = time.monotonic() - started
    finally:
        studio.cont()
    fault_row("Label Studio stopped (SIGSTOP): requests hang", "mauqif pull (default timeouts)",
              "Error: Label Studio at URL did not answer in time…, within the 30 s first-request limit; nothing written",
              f"{short(r, studio)}; gave up after ~{waited:.0f} s; files: {sorted(tree(tmp_path))}")  # fmt: skip
    assert r.code is not None, "pull hung"
    assert_one_clean_error(r, re.escape(studio.url), "did not answer in time")
    assert tree(tmp_path) == {}


def test_stopped_mid_push_times_out_then_resumes(studio, big_input, mauqif, outputs, fault_row):
    project_id, _ = new_project(studio, "stop-push")
    client = studio.client()
    args = [
        "push",
        big_input,
        *home_args(studio),
        "--project",
        project_id,
        "--no-model",
        "--batch",
        "25",
    ]
    process = mauqif(*args, "--timeout", "8", popen=True)
    wait_for(lambda: task_count(client, project_id) >= 100 or process.poll() is not None)
    studio.stop_signal()
    try:
        r = finish(process, outputs, timeout=180)
    finally:
        studio.cont()
    # Let the server finish the request it held when it was stopped (its task count settles),
    # as a user re-running the push later would find it.
    counts = [task_count(client, project_id)]
    while len(counts) < 3 or len(set(counts[-3:])) > 1:
        time.sleep(1)
        counts.append(task_count(client, project_id))
    before = census(client, project_id)
    again = mauqif(*args)
    after = census(client, project_id)
    fault_row("Label Studio stopped (SIGSTOP) mid-push", "mauqif push --timeout 8; SIGCONT; push again",
              f"Error: … did not answer in time while importing…; re-run: {PUSH_N} tasks, 0 duplicates",
              f"{short(r, studio)}; after: {before['tasks']} tasks; re-run exit {again.code}: "
              f"{after['tasks']} tasks, {after['duplicates']} duplicates")  # fmt: skip
    assert 0 < before["tasks"] < PUSH_N, "the stop did not land mid-push"
    assert_one_clean_error(r, re.escape(studio.url), "did not answer in time")
    assert again.code == 0, again.err
    assert after == {"tasks": PUSH_N, "sentences": PUSH_N, "duplicates": 0, "annotations": 0}


def test_stopped_server_can_be_stopped(studio, mauqif, fault_row):
    pid = studio.pid
    studio.stop_signal()
    stopped = mauqif("studio", "stop", *home_args(studio), timeout=120)
    left = [p.pid for p in _server_processes(studio) if p.status() != psutil.STATUS_ZOMBIE]
    started = mauqif("studio", "start", *home_args(studio))
    studio.pid = int(studio.local.pid_path.read_text())
    fault_row("Label Studio stopped (SIGSTOP), then `mauqif studio stop`", "mauqif studio stop; studio start",
              "Label Studio stopped, no process of it left; start works again",
              f"exit {stopped.code}: {stopped.out.strip()}; processes left {left}; start exit {started.code}")  # fmt: skip
    assert stopped.code == 0 and stopped.out.strip() == "Label Studio stopped", stopped.err
    assert left == [] and studio.pid != pid
    assert started.code == 0 and studio.running()


# ---- restart between commands -----------------------------------------------------------------


def test_restarted_between_commands(studio, tmp_path, mauqif, fault_row):
    project_id, _ = new_project(studio, "restart")
    articles = tmp_path / "a.jsonl"
    articles.write_bytes(jsonl(("r1", "\n\n".join(URDU))))
    first = mauqif("push", articles, *home_args(studio), "--project", project_id, "--no-model")
    annotate(studio.client(), project_id, 3)
    before = census(studio.client(), project_id)
    stopped = mauqif("studio", "stop", *home_args(studio))
    started = mauqif("studio", "start", *home_args(studio))
    studio.pid = int((studio.local.pid_path).read_text())
    again = mauqif("push", articles, *home_args(studio), "--project", project_id, "--no-model")
    pulled = mauqif("pull", *home_args(studio), "--project", project_id, "-o", tmp_path / "ex")
    after = census(studio.client(), project_id)
    rows = pd.read_csv(next((tmp_path / "ex").glob("labels/*.csv")))
    fault_row("Label Studio restarted between commands", "push; studio stop; studio start; push; pull",
              "second push adds nothing; same tasks and annotations; pull has every annotation",
              f"stop exit {stopped.code}, start exit {started.code}; push: {again.out.strip()[:90]}; "
              f"tasks {before['tasks']}→{after['tasks']}, annotations {before['annotations']}→{after['annotations']}, "
              f"pulled rows {len(rows)}")  # fmt: skip
    assert first.code == 0 and stopped.code == 0 and started.code == 0, first.err + started.err
    assert again.code == 0 and " 0 added" in again.out, again.out
    assert after == before and before["tasks"] == len(URDU) and before["duplicates"] == 0
    assert pulled.code == 0 and len(rows) == 3


# ---- hostile input through push ---------------------------------------------------------------


def test_hostile_inputs_through_push(studio, tmp_path, mauqif, fault_row):
    from .test_hostile_inputs import MIX_SKIPS, hostile_mix

    project_id, _ = new_project(studio, "hostile")
    inputs = hostile_mix(tmp_path / "in")
    args = ["push", inputs, *home_args(studio), "--project", project_id, "--no-model"]
    r = mauqif(*args)
    first = census(studio.client(), project_id)
    again = mauqif(*args)
    after = census(studio.client(), project_id)
    skipped = [x for x in r.error_lines if x.startswith("skipped: ")]
    fault_row("hostile mix (Latin-1, 100k-deep JSON, late NUL, UTF-16) beside good articles",
              "mauqif push DIR --no-model; push again",
              "4 skipped lines; the 5 good units as tasks; exit 1; re-run adds nothing",
              f"exit {r.code}: {len(skipped)} skipped, {first['tasks']} tasks; re-run exit {again.code}: "
              f"{after['tasks']} tasks, {after['duplicates']} duplicates")  # fmt: skip
    assert r.code == 1 and "Traceback" not in r.err, r.err[-2000:]
    assert [bool(re.search(p, x)) for p, x in zip(MIX_SKIPS, skipped, strict=True)] == [True] * 4
    assert first == after == {"tasks": 5, "sentences": 5, "duplicates": 0, "annotations": 0}


# ---- API keys ---------------------------------------------------------------------------------


def test_wrong_api_key(studio, annotated_project, tmp_path, mauqif, fault_row):
    project_id, _ = annotated_project
    wrong = secrets.token_hex(20)
    SECRETS.append(wrong)
    r = mauqif(
        "pull",
        "--url",
        studio.url,
        "--api-key",
        wrong,
        "--project",
        project_id,
        "-o",
        tmp_path / "ex",
    )
    fault_row("wrong API key", "mauqif pull --url URL --api-key WRONG",
              "Error: Label Studio at URL refused the API key (401)…; key not shown; nothing written",
              short(r, studio))  # fmt: skip
    assert_one_clean_error(r, re.escape(studio.url), r"refused the API key \(401\)")
    assert wrong not in r.out + r.err and not (tmp_path / "ex").exists()


def test_revoked_api_key(studio, annotated_project, tmp_path, mauqif, fault_row):
    project_id, _ = annotated_project
    email, password = f"lead-{secrets.token_hex(3)}@example.com", secrets.token_urlsafe(12)
    _, old = studio.client().add_user(email, password)
    new = (
        studio.client(api_key=old).request("POST", "/api/current-user/reset-token/").json()["token"]
    )
    SECRETS.extend([password, old, new])
    r = mauqif(
        "pull",
        "--url",
        studio.url,
        "--api-key",
        old,
        "--project",
        project_id,
        "-o",
        tmp_path / "ex",
    )
    ok = mauqif(
        "pull",
        "--url",
        studio.url,
        "--api-key",
        new,
        "--project",
        project_id,
        "-o",
        tmp_path / "ex",
    )
    fault_row("revoked API key (token reset by its user)", "mauqif pull --api-key OLD; then --api-key NEW",
              "OLD: Error …refused the API key (401); NEW: a snapshot; neither key shown",
              f"{short(r, studio)}; with the new key exit {ok.code}")  # fmt: skip
    assert_one_clean_error(r, r"refused the API key \(401\)")
    assert ok.code == 0, ok.err
    for text in (r.out + r.err, ok.out + ok.err):
        assert old not in text and new not in text


# ---- a full disk under a pull -----------------------------------------------------------------


def test_disk_full_writing_a_snapshot(studio, annotated_project, small_disk, mauqif, fault_row):
    project_id, _ = annotated_project
    disk = small_disk("64k")  # the export of PUSH_N tasks is several hundred kB
    r = mauqif("pull", *home_args(studio), "--project", project_id, "-o", disk)
    left = sorted(tree(disk))
    bigger = small_disk("32m")
    again = mauqif("pull", *home_args(studio), "--project", project_id, "-o", bigger)
    rows = pd.read_csv(next(bigger.glob("labels/*.csv")))
    fault_row("disk full while writing a snapshot", "mauqif pull -o FULL; then -o a bigger disk",
              "Error: FULL/snapshots/….json: cannot be written (No space left on device); no file left; re-run complete",
              short(r, studio).replace(str(disk), "FULL") + f"; files left: {left}; re-run exit {again.code}, {len(rows)} rows")  # fmt: skip
    assert_one_clean_error(r, "No space left on device", re.escape(str(disk)))
    assert left == []
    assert again.code == 0 and len(rows) == ANNOTATED


# ---- security ---------------------------------------------------------------------------------


def _server_processes(studio) -> list[psutil.Process]:
    return [p for p in psutil.process_iter() if _pgid(p.pid) == studio.pid]


def _pgid(pid: int) -> int | None:
    import os

    try:
        return os.getpgid(pid)
    except OSError:
        return None


def test_server_listens_on_loopback_only(studio, fault_row):
    listening, remote = [], []
    for process in _server_processes(studio):
        for conn in process.net_connections(kind="inet"):
            if conn.status == psutil.CONN_LISTEN:
                listening.append(f"{conn.laddr.ip}:{conn.laddr.port}")
            elif conn.raddr and conn.raddr.ip not in ("127.0.0.1", "::1"):
                remote.append(f"{conn.raddr.ip}:{conn.raddr.port}")
    fault_row("security: where Label Studio listens", "mauqif studio start (the suite's server)",
              "every listening socket on 127.0.0.1 (or ::1); no connection to a remote address",
              f"listening on {sorted(set(listening))}; remote connections {remote}")  # fmt: skip
    assert listening, "no listening socket found for the server's processes"
    assert all(a.startswith(("127.0.0.1:", "::1:")) for a in listening), listening
    assert remote == []


def test_credentials_and_data_are_owner_only(studio, fault_row):
    local = studio.local
    modes = {
        "credentials.json": stat.S_IMODE(local.credentials_path.stat().st_mode),
        "studio/ (data)": stat.S_IMODE(local.data.stat().st_mode),
        "studio/label_studio.sqlite3": stat.S_IMODE(
            (local.data / "label_studio.sqlite3").stat().st_mode
        ),
    }
    locks = Path(studio.home) / "locks"
    if locks.exists():
        modes["locks/"] = stat.S_IMODE(locks.stat().st_mode)
    fault_row("security: file modes", "mauqif studio start; push",
              "credentials 0600; data directory 0700 (nothing for group or others)",
              ", ".join(f"{k} {v:04o}" for k, v in modes.items()))  # fmt: skip
    assert modes["credentials.json"] == 0o600
    assert modes["studio/ (data)"] & 0o077 == 0
    assert modes.get("locks/", 0) & 0o077 == 0


def test_server_is_started_offline(studio, trap_proxy, fault_row):
    environ = {}
    for process in _server_processes(studio):
        try:
            environ = process.environ()
            break
        except psutil.Error:
            continue
    switches = {
        k: environ.get(k)
        for k in ("LATEST_VERSION_CHECK", "COLLECT_ANALYTICS", "SENTRY_DSN", "FRONTEND_SENTRY_DSN")
    }
    fault_row("security: nothing fetched from outside", "every command of the suite, with HTTP(S)_PROXY → a trap",
              "version check, analytics, Sentry off in the server's environment; 0 attempts through the proxy",
              f"{switches}; proxy attempts: {trap_proxy.attempts[:3]}")  # fmt: skip
    assert switches == {
        "LATEST_VERSION_CHECK": "false",
        "COLLECT_ANALYTICS": "false",
        "SENTRY_DSN": "",
        "FRONTEND_SENTRY_DSN": "",
    }
    assert trap_proxy.attempts == []


def test_ml_backend_listens_on_loopback_only(trained, tmp_path, mauqif, outputs, fault_row):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = tmp_path / "home"
    args = ["serve", "--model", trained, "--port", port, "--home", home, "--models", tmp_path / "m"]
    process = mauqif(*args, popen=True)
    try:

        def listening():
            found = []
            for p in [psutil.Process(process.pid), *psutil.Process(process.pid).children(True)]:
                with contextlib.suppress(psutil.Error):
                    found += [
                        f"{c.laddr.ip}:{c.laddr.port}"
                        for c in p.net_connections(kind="inet")
                        if c.status == psutil.CONN_LISTEN
                    ]
            return found or (process.poll() is not None and ["(exited)"])

        sockets = wait_for(listening, timeout=180, every=0.5)
    finally:
        process.terminate()
        r = finish(process, outputs, timeout=60)
    fault_row("security: where the ML backend listens", "mauqif serve --model MODELS --port P",
              "every listening socket on 127.0.0.1", f"listening on {sorted(set(sockets))}; "
              f"stopped with exit {r.code}")  # fmt: skip
    assert sockets != ["(exited)"], r.err[-2000:]
    assert all(a.startswith(("127.0.0.1:", "::1:")) for a in sockets), sockets


def test_no_secret_in_logs_or_output(studio, request, fault_row):
    """Runs last in this file: every command output of the session so far, and the server log."""
    credentials = studio.credentials
    secrets_ = [credentials.password, credentials.api_key, *SECRETS]
    outputs = request.config.stash[OUTPUTS]
    log = studio.local.log_path.read_text("utf-8", errors="replace")
    leaks = [
        f"{where} holds secret #{i}"
        for i, secret in enumerate(secrets_)
        for where, text in [
            ("server.log", log),
            *((f"output #{n}", o) for n, o in enumerate(outputs)),
        ]
        if secret and secret in text
    ]
    fault_row("security: no secret in logs, output or errors",
              f"the {len(outputs)} command outputs of this run + server.log",
              f"none of the {len(secrets_)} passwords and keys appears", "; ".join(leaks) or "none found")  # fmt: skip
    assert outputs, "no command ran before this check"
    assert leaks == []

"""The local Label Studio on PostgreSQL: Debian's PostgreSQL started here (initdb and pg_ctl in a
temporary directory, 127.0.0.1 on a free port, run as `nobody`: PostgreSQL refuses root), then
setup, push, eight annotators submitting 2,000 annotations at once through the API, and pull."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from mauqif.annotate.schema import SENTIMENT_TAG
from mauqif.annotate.studio import LocalStudio, connect, pull, push, start, status, stop
from mauqif.annotate.studio.server import free_port

from .helpers import all_tasks

PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
ANNOTATORS = 8
TASKS = 250  # × 8 annotators = 2,000 annotations


def as_nobody(*command: str) -> None:
    subprocess.run(["runuser", "-u", "nobody", "--", *command], check=True, capture_output=True)


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of our own; its URL. Never assumes one is running."""
    if not PG_BIN or shutil.which("runuser") is None:
        pytest.skip("Debian's PostgreSQL (/usr/lib/postgresql/*/bin) and runuser are needed")
    bin_dir = PG_BIN[-1]
    root = Path(tempfile.mkdtemp(prefix="mauqif-pg-"))
    os.chown(root, 65534, 65534)  # nobody
    data, port = root / "data", free_port()
    as_nobody(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust")
    as_nobody(
        str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start",
    )  # fmt: skip
    try:
        as_nobody(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                  "labelstudio")  # fmt: skip
        yield f"postgresql://postgres:{secrets.token_hex(8)}@127.0.0.1:{port}/labelstudio"
    finally:
        as_nobody(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_label_studio_on_postgres_takes_eight_annotators_at_once(postgres, schema, units, tmp_path):
    local = LocalStudio(tmp_path / "home")
    state = start(local, base_env=dict(os.environ), timeout=600, database=postgres)
    try:
        password = postgres.split(":")[2].split("@")[0]
        assert state.running
        assert state.database == postgres.replace(password, "***")
        assert password not in json.dumps(status(local).to_dict())
        assert oct((local.database_path).stat().st_mode & 0o777) == "0o600"
        assert not (local.data / "label_studio.sqlite3").exists()

        credentials = local.credentials()
        admin = connect(credentials.url, credentials.api_key)
        project_id = admin.setup_project(schema, title="postgres").project_id
        many = (units * (TASKS // len(units) + 1))[:TASKS]
        many = [{**u, "sentence_id": f"{u['sentence_id']}-{i}"} for i, u in enumerate(many)]
        assert push(admin, project_id, many, schema).added == TASKS
        tasks = [t["id"] for t in all_tasks(admin, project_id)]
        annotators = []
        for k in range(ANNOTATORS):
            email = f"pg-{k}-{secrets.token_hex(3)}@example.com"
            _, token = admin.add_user(email, secrets.token_urlsafe(12))
            annotators.append(connect(credentials.url, token))

        def annotate(studio) -> int:
            for task_id in tasks:
                studio.sdk.annotations.create(
                    id=task_id,
                    result=[
                        {
                            "from_name": SENTIMENT_TAG,
                            "to_name": "text",
                            "type": "choices",
                            "value": {"choices": ["neutral"]},
                        }
                    ],
                )
            return len(tasks)

        with ThreadPoolExecutor(ANNOTATORS) as pool:
            done = sum(pool.map(annotate, annotators))  # an error in any thread is raised here
        assert done == ANNOTATORS * TASKS == 2000

        result = pull(admin, admin.project(project_id=project_id), schema, tmp_path / "exports")
        exported = json.loads(result.snapshot.read_text("utf-8"))
        assert result.tasks == TASKS
        assert sum(len(t["annotations"]) for t in exported) == 2000
    finally:
        stop(local)

"""Label Studio on SQLite against PostgreSQL under a team: eight annotators (threads, each with
its own API token) submitting 2,000 annotations at once, through the API. Prints, for each
database, the annotations stored, the requests that failed (SQLite's "database is locked"
shows here) and annotations/s.

PostgreSQL is Debian's (/usr/lib/postgresql/*/bin), started here in a temporary directory on a
free 127.0.0.1 port as `nobody` (it refuses root); the benchmark is skipped without it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mauqif.annotate.studio.server import free_port

ANNOTATORS = 8
TASKS = 250
PG_BIN = sorted(Path("/usr/lib/postgresql").glob("*/bin"))


def as_nobody(*command: str) -> None:
    subprocess.run(["runuser", "-u", "nobody", "--", *command], check=True, capture_output=True)


def load(database: str | None, tmp: Path, schema, units) -> tuple[int, int, int, float]:
    """(annotations stored, the tasks' annotation counters summed, requests failed, seconds)
    for the 2,000 annotations."""
    from mauqif.annotate.schema import SENTIMENT_TAG
    from mauqif.annotate.studio import LocalStudio, connect, pull, push, start, stop

    local = LocalStudio(tmp / "home")
    start(local, base_env=dict(os.environ), timeout=600, database=database)
    try:
        credentials = local.credentials()
        admin = connect(credentials.url, credentials.api_key)
        project_id = admin.setup_project(schema, title="team-load").project_id
        many = [
            {**u, "sentence_id": f"{u['sentence_id']}-{i}"}
            for i, u in enumerate((units * (TASKS // len(units) + 1))[:TASKS])
        ]
        push(admin, project_id, many, schema)
        tasks = [t.id for t in admin.sdk.tasks.list(project=project_id, page_size=1000)]
        annotators = [
            connect(credentials.url, admin.add_user(f"a{k}@example.com", secrets.token_hex(8))[1])
            for k in range(ANNOTATORS)
        ]
        result = [
            {
                "from_name": SENTIMENT_TAG,
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["neutral"]},
            }
        ]

        def annotate(studio) -> int:
            failed = 0
            for task_id in tasks:
                try:
                    studio.sdk.annotations.create(id=task_id, result=result)
                except Exception:  # noqa: BLE001 (counted: what a team would see fail)
                    failed += 1
            return failed

        begin = time.perf_counter()
        with ThreadPoolExecutor(ANNOTATORS) as pool:
            failed = sum(pool.map(annotate, annotators))
        seconds = time.perf_counter() - begin
        # Counted in an export: the tasks' `total_annotations` counters can miss concurrent
        # submissions (seen here on both databases), the annotations themselves are there.
        snapshot = pull(admin, admin.project(project_id=project_id), schema, tmp / "exports")
        exported = json.loads(snapshot.snapshot.read_text("utf-8"))
        stored = sum(len(t["annotations"]) for t in exported)
        counted = sum(t.get("total_annotations") or 0 for t in exported)
        return stored, counted, failed, seconds
    finally:
        stop(local)


def main() -> None:
    from mauqif.annotate.pipeline import Segmenter
    from mauqif.annotate.reader import iter_articles
    from mauqif.annotate.schema import load_schema

    if not PG_BIN or shutil.which("runuser") is None:
        print("skipped: Debian's PostgreSQL (/usr/lib/postgresql/*/bin) and runuser are needed")
        return
    schema = load_schema()
    samples = Path(__file__).resolve().parents[1] / "annotate" / "samples" / "articles"
    units = list(
        Segmenter.default(schema).iter_units(iter_articles(sorted(samples.glob("*.txt"))[:5]))
    )
    print(f"{ANNOTATORS} annotators at once, {ANNOTATORS * TASKS:,} annotations through the API:")
    root = Path(tempfile.mkdtemp(prefix="mauqif-bench-pg-"))
    os.chown(root, 65534, 65534)  # nobody
    bin_dir, data, port = PG_BIN[-1], root / "data", free_port()
    try:
        as_nobody(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust")
        as_nobody(
            str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1", "start",
        )  # fmt: skip
        as_nobody(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U",
                  "postgres", "labelstudio")  # fmt: skip
        url = f"postgresql://postgres:{secrets.token_hex(8)}@127.0.0.1:{port}/labelstudio"
        for name, database in (("SQLite (default)", None), ("PostgreSQL", url)):
            with tempfile.TemporaryDirectory(prefix="mauqif-bench-ls-") as tmp:
                stored, counted, failed, seconds = load(database, Path(tmp), schema, units)
            print(
                f"  {name:<18} {stored:5,} stored (tasks' counters: {counted:,}), {failed:,} "
                f"requests failed, {stored / seconds:4.0f} annotations/s ({seconds:.0f} s)"
            )
    finally:
        if (data / "postmaster.pid").exists():
            as_nobody(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

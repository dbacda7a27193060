"""Pull annotations out of Label Studio into exports/: a snapshot, then a tidy labels table.

The snapshot is Label Studio's own JSON export, byte for byte, as
`<out>/snapshots/<project>-<UTC timestamp>.json`, with `<same name>.meta.json` beside it (project,
Label Studio version, schema hash, time, users, the lead whose key pulled it, and the annotations
someone other than their author changed: `tampering.py`). Snapshots are never overwritten. The labels
table (`mauqif.annotate.labels.labels_table`) goes to `<out>/labels/<same name>.csv` and `.parquet`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..exceptions import StudioError
from ..schema import Schema
from ..tables import atomic_path, write_failed
from .client import Studio
from .tampering import Record, check, held, originals
from .team import current_user


@dataclass(frozen=True)
class PullResult:
    snapshot: Path
    meta: Path
    csv: Path
    parquet: Path
    tasks: int
    rows: int
    unknown: int  # annotations with choices the schema does not know (see the `unknown` column)
    verdicts: int = 0  # reviewers' verdicts brought back as ground truth first (`review.py`)
    changes: tuple = ()  # `tampering.Change`s: annotations changed by someone not their author


def slug(title: str) -> str:
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return text or "project"


def _claim(path: Path) -> Path:
    """A new file at `path`, or `path` with -2, -3… when taken (O_EXCL: never overwrites)."""
    stem, suffix = path.name.split(".", 1)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            candidate = path.with_name(f"{stem}.{suffix}" if n == 1 else f"{stem}-{n}.{suffix}")
            try:
                os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
                return candidate
            except FileExistsError:
                continue
    except OSError as exc:  # a full or read-only disk: one line naming the place
        raise write_failed(path, exc) from None
    raise StudioError(f"{path.parent}: too many snapshots named {stem}*; move some away")


def download_export(studio: Studio, project_id: int, path: Path) -> None:
    """Stream the project's JSON export (all tasks) to `path`, atomically."""
    with studio.errors("exporting the project"), atomic_path(path) as tmp, open(tmp, "wb") as f:
        for chunk in studio.sdk.projects.exports.download_sync(
            project_id,
            export_type="JSON",
            download_all_tasks=True,
            request_options={"chunk_size": 1 << 20},
        ):
            f.write(chunk)


def snapshot_meta(
    project,
    version: str,
    schema: Schema,
    users: dict[int, str],
    exported_at: datetime,
    leads: list[int] | None = None,
    changes=(),
) -> dict:
    extra = {}
    if leads is not None:
        extra = {
            "leads": sorted(int(x) for x in leads),
            "held": {str(k): v for k, v in sorted(held(changes).items())},
            "originals": {str(k): v for k, v in sorted(originals(changes).items())},
            "changes": [c.as_dict() for c in changes],
        }
    return {
        "project_id": int(project.id),
        "project_title": project.title,
        "label_studio_version": version,
        "schema_hash": schema.digest(),
        "exported_at": exported_at.isoformat().replace("+00:00", "Z"),
        "users": {str(k): v for k, v in sorted(users.items())},
        **extra,
    }


def write_table(table, csv_path: Path, parquet_path: Path) -> None:
    """The labels table as CSV and Parquet; nested values (lists, dicts) as JSON text in both."""
    frame = table.copy()
    for column in frame.columns:
        if frame[column].map(lambda v: isinstance(v, (list, dict))).any():
            frame[column] = frame[column].map(
                lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
            )
    with atomic_path(csv_path) as tmp:
        frame.to_csv(tmp, index=False)
    with atomic_path(parquet_path) as tmp:
        frame.to_parquet(tmp, index=False)


def pull(
    studio: Studio,
    project,
    schema: Schema,
    out_dir: str | Path = "exports",
    now: datetime | None = None,
    record_dir: str | Path | None = None,
) -> PullResult:
    """Export `project` to a new snapshot under `out_dir` and write its labels table.

    Verdicts submitted in the project's review project (`mauqif adjudicate`) are brought back
    as ground truth first, so the snapshot has every one submitted so far. Annotations changed
    by someone other than their author (against the record in `record_dir`, which gets the
    versions seen) are named in the metadata, and the labels table marks them (`changed_by`)."""
    from ..labels import labels_table
    from .review import bring_back_verdicts

    copied, updated = bring_back_verdicts(studio, project)
    out_dir = Path(out_dir)
    now = now or datetime.now(UTC)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    version = studio.version()
    users = studio.users()

    snapshot = _claim(out_dir / "snapshots" / f"{slug(project.title)}-{stamp}.json")
    try:
        download_export(studio, project.id, snapshot)
        with open(snapshot, encoding="utf-8") as f:
            tasks = json.load(f)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            snapshot.unlink()
        raise
    if not isinstance(tasks, list):
        raise StudioError(
            f"Label Studio at {studio.url} sent an export that is not a list of tasks ({snapshot})"
        )
    leads = [current_user(studio)["id"]]
    record = Record(record_dir, project.id) if record_dir is not None else None
    stamp_iso = now.isoformat().replace("+00:00", "Z")
    changes = check(tasks, users, leads, record, stamp_iso, "pull")
    stem = snapshot.name[: -len(".json")]
    meta_path = snapshot.with_name(f"{stem}.meta.json")
    meta = snapshot_meta(project, version, schema, users, now, leads, changes)
    with atomic_path(meta_path, exclusive=True) as tmp:
        tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), "utf-8")

    table = labels_table(
        tasks,
        schema,
        users=meta["users"],
        leads=leads,
        held=meta["held"],
        originals=meta["originals"],
    )
    csv_path = out_dir / "labels" / f"{stem}.csv"
    parquet_path = out_dir / "labels" / f"{stem}.parquet"
    write_table(table, csv_path, parquet_path)
    unknown = int(table["unknown"].map(bool).sum()) if "unknown" in table and len(table) else 0
    return PullResult(
        snapshot,
        meta_path,
        csv_path,
        parquet_path,
        len(tasks),
        len(table),
        unknown,
        verdicts=len(copied) + len(updated),
        changes=tuple(changes),
    )

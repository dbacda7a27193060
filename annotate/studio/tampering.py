"""Finding answers that someone other than their author changed, and keeping the first ones.

Community Label Studio has no roles: every member of the organisation can read, change, delete
and export every annotation of every project (checked against 1.23.2: an annotator's token gets
HTTP 200 for `GET`/`PATCH`/`DELETE /api/annotations/<another's>` and for the export, and may
`POST` an annotation with `completed_by` set to someone else). What it does keep, and no member
can set through the API, is `updated_by`: `Annotation.save()` writes the requesting user into it
on every create and update, whatever the request body says. So:

- an annotation whose `updated_by` is neither its author (`completed_by`) nor a lead was last
  changed, or made in the author's name, by that member: **changed**;
- an annotation whose author differs from the author first recorded for it was taken over
  (`PATCH completed_by`): **taken**, by whoever changed it last;
- an annotation first recorded and now gone was **deleted** (Label Studio does not say by whom).

The record also gives back the author's own answer of a changed annotation (its last version
saved by the author): agreement and the majority count that one in its place, so that a member
who rewrites another's answer moves no figure; without it the annotation is left out. The last two
kinds need the record: an append-only JSON Lines file per project under HOME/record/,
one line for each version of an annotation mauqif has seen (author, last changer, time, choices),
written by `pull`, `agreement`, `train --from-studio` and `team list`. "What changed" is the
difference between the author's own first recorded version and the current one.

A change made by a lead (the account of the API key mauqif uses, or the leads a snapshot's
metadata names) is trusted: a lead confirms a changed answer (`mauqif team confirm`) by saving it
as it is, which makes the lead its last changer. Everything here but `Record` is pure.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from ..exceptions import StudioError

KINDS = ("changed", "taken", "deleted")


def user_id(value) -> int | None:
    """A user id from `completed_by`/`updated_by` (a plain id, or an object with `id`)."""
    if isinstance(value, dict):
        value = value.get("id")
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def answers_of(result) -> dict[str, list]:
    """{from_name: its sorted values} of a result list: choices, and spans as [start, end, label]."""
    out: dict[str, list] = {}
    for item in result or []:
        if not isinstance(item, dict):
            continue
        value = item.get("value") or {}
        name = str(item.get("from_name"))
        if value.get("choices"):
            out.setdefault(name, []).extend(str(c) for c in value["choices"])
        elif value.get("labels"):
            for label in value["labels"]:
                out.setdefault(name, []).append([value.get("start"), value.get("end"), str(label)])
    return {k: sorted(v, key=str) for k, v in sorted(out.items())}


def difference(before: dict[str, list], after: dict[str, list]) -> str:
    """'stance_russia: favor → against; sentiment: neutral → negative' (questions that differ)."""
    parts = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a != b:
            parts.append(f"{name}: {_shown(a)} → {_shown(b)}")
    return "; ".join(parts) or "no answer changed"


def _shown(values) -> str:
    if not values:
        return "(none)"
    return ", ".join(v if isinstance(v, str) else f"{v[2]}@{v[0]}-{v[1]}" for v in values)


@dataclass(frozen=True)
class Change:
    """One annotation changed by someone other than its author (or deleted)."""

    kind: str  # one of KINDS
    annotation_id: int
    task_id: int | None
    sentence_id: str
    author: str  # the first recorded author (else the current one)
    changed_by: str  # who changed it last ("unknown" for a deletion)
    when: str  # the last change's time (Label Studio's `updated_at`; the record's for a deletion)
    what: str  # what changed, as far as the record knows
    original: list | None = None  # the author's last own result, when the record has it

    def line(self) -> str:
        did = {"changed": "changed it", "taken": "took it over", "deleted": "deleted it"}[self.kind]
        who = self.changed_by if self.kind != "deleted" else "someone"
        return (
            f"annotation {self.annotation_id} (task {self.task_id}, {self.sentence_id}) by "
            f"{self.author}: {who} {did} at {self.when}: {self.what}"
        )

    def as_dict(self) -> dict:
        return asdict(self)


def _name(user: int | None, users: dict[str, str]) -> str:
    return "unknown" if user is None else str(users.get(str(user), user))


def versions(tasks: Iterable[dict], seen_at: str, source: str = "pull") -> list[dict]:
    """One record line per annotation of `tasks` (its current version)."""
    lines = []
    for task in tasks:
        sentence = (task.get("data") or {}).get("sentence_id")
        for annotation in task.get("annotations") or []:
            if annotation.get("id") is None:
                continue
            lines.append(
                {
                    "annotation_id": int(annotation["id"]),
                    "unique_id": annotation.get("unique_id"),
                    "task_id": task.get("id"),
                    "sentence_id": str(sentence) if sentence is not None else None,
                    "completed_by": user_id(annotation.get("completed_by")),
                    "updated_by": user_id(annotation.get("updated_by")),
                    "created_at": annotation.get("created_at"),
                    "updated_at": annotation.get("updated_at"),
                    "cancelled": bool(annotation.get("was_cancelled")),
                    "answers": answers_of(annotation.get("result")),
                    "result": annotation.get("result") or [],
                    "seen_at": seen_at,
                    "source": source,
                }
            )
    return lines


def _key(line: dict) -> tuple:
    return (
        line.get("annotation_id"),
        line.get("completed_by"),
        line.get("updated_by"),
        line.get("updated_at"),
    )


def new_versions(current: list[dict], recorded: Iterable[dict]) -> list[dict]:
    """The lines of `current` the record does not hold yet (a new annotation or a new version)."""
    known = {_key(line) for line in recorded if "annotation_id" in line}
    return [line for line in current if _key(line) not in known]


def find_changes(
    tasks: list[dict],
    users: dict,
    leads: Iterable[int] | None = None,
    recorded: Iterable[dict] = (),
) -> list[Change]:
    """Every annotation of `tasks` changed, made or taken over by someone other than its author
    and not a lead, and every recorded annotation that is gone; oldest change first.

    `users` maps user ids to names; `leads` are user ids whose changes are trusted (None: nobody
    is known to be a lead, so every change by another member is reported); `recorded` are the
    record's lines for this project (`versions` of earlier reads)."""
    users = {str(k): v for k, v in (users or {}).items()}
    leads = {int(x) for x in leads or ()}
    history: dict[int, list[dict]] = {}
    for line in recorded:
        if line.get("annotation_id") is not None:
            history.setdefault(int(line["annotation_id"]), []).append(line)
    found, present = [], set()
    for line in versions(tasks, seen_at=""):
        aid = line["annotation_id"]
        present.add(aid)
        past = [
            p
            for p in history.get(aid, [])
            if not (
                p.get("unique_id") and line["unique_id"] and p["unique_id"] != line["unique_id"]
            )
        ]
        author, changer = line["completed_by"], line["updated_by"]
        first_author = past[0]["completed_by"] if past else author
        if changer is None or changer in leads:
            continue  # imported, or last saved by a lead: trusted
        original = None
        if first_author != author and first_author is not None:
            kind = "taken"
            what = f"author {_name(first_author, users)} → {_name(author, users)}"
        elif changer != author:
            kind = "changed"
            original = None
            own = [p for p in past if p.get("updated_by") in (None, p.get("completed_by"))]
            if own:
                what = difference(own[-1].get("answers") or {}, line["answers"])
                original = own[-1].get("result")
            elif _never_updated(line):
                what = f"made by {_name(changer, users)} in {_name(author, users)}'s name"
            else:
                what = (
                    f"{_name(author, users)}'s own answer was not recorded before the change; "
                    f"now {_shown_answers(line)}"
                )
        else:
            continue
        found.append(
            Change(
                kind,
                aid,
                line["task_id"],
                line["sentence_id"] or f"task-{line['task_id']}",
                _name(first_author, users),
                _name(changer, users),
                str(line["updated_at"]),
                what,
                original,
            )
        )
    for aid, lines in history.items():
        past = [p for p in lines if "completed_by" in p]
        if aid in present or not past or any(p.get("confirmed") for p in lines):
            continue
        last = past[-1]
        found.append(
            Change(
                "deleted",
                aid,
                last.get("task_id"),
                last.get("sentence_id") or f"task-{last.get('task_id')}",
                _name(past[0].get("completed_by"), users),
                "unknown",
                str(last.get("seen_at")),
                f"gone since {last.get('seen_at')}; it had {_shown_answers(last)}",
            )
        )
    found.sort(key=lambda c: (c.when, c.annotation_id))
    return found


def _never_updated(line: dict) -> bool:
    """Saved once: created and last updated in one request (Label Studio sets both in one save,
    microseconds apart)."""
    from datetime import datetime

    try:
        created, updated = (
            datetime.fromisoformat(str(line.get(k)).replace("Z", "+00:00"))
            for k in ("created_at", "updated_at")
        )
    except ValueError:
        return False
    return abs((updated - created).total_seconds()) < 0.05


def _shown_answers(line: dict) -> str:
    answers = line.get("answers") or {}
    return "; ".join(f"{k}: {_shown(v)}" for k, v in answers.items()) or "no answers"


def per_member(changes: Iterable[Change]) -> dict[str, int]:
    """{member: how many others' annotations they changed or took over} (deletions have no
    known member)."""
    counts: dict[str, int] = {}
    for change in changes:
        if change.kind != "deleted":
            counts[change.changed_by] = counts.get(change.changed_by, 0) + 1
    return counts


def held(changes: Iterable[Change]) -> dict[int, str]:
    """{annotation id: who changed it}: the annotations agreement and the majority must not
    take as they are now."""
    return {c.annotation_id: c.changed_by for c in changes if c.kind != "deleted"}


def originals(changes: Iterable[Change]) -> dict[int, list]:
    """{annotation id: the author's own last result}: what agreement and the majority count in
    place of a changed answer, when the record has it (the others are left out)."""
    return {
        c.annotation_id: c.original
        for c in changes
        if c.kind == "changed" and c.original is not None
    }


# ---- the record (the I/O edge) -----------------------------------------------------------------


class Record:
    """The append-only record of one project's annotation versions: HOME/record/…/project-N.jsonl.

    Lines are only ever appended (O_APPEND, one write each, flushed to disk); a line that cannot
    be read (a torn last line after a crash) is skipped."""

    def __init__(self, directory: str | Path, project_id: int):
        self.path = Path(directory) / f"project-{int(project_id)}.jsonl"

    def lines(self) -> list[dict]:
        try:
            raw = self.path.read_bytes().splitlines()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StudioError(f"{self.path}: cannot be read ({exc.strerror or exc})") from None
        out = []
        for text in raw:
            try:
                line = json.loads(text)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            if isinstance(line, dict):
                out.append(line)
        return out

    def append(self, lines: Iterable[dict]) -> int:
        data = b"".join(
            json.dumps(line, ensure_ascii=False, sort_keys=True).encode("utf-8") + b"\n"
            for line in lines
        )
        if not data:
            return 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise StudioError(
                f"{self.path}: cannot be written ({exc.strerror or exc}); free some space or "
                "fix the permissions, then run the command again"
            ) from None
        return data.count(b"\n")


def check(
    tasks: list[dict],
    users: dict,
    leads: Iterable[int] | None,
    record: Record | None,
    seen_at: str,
    source: str,
) -> list[Change]:
    """Find the changes in `tasks` against the record, then record their current versions (and
    note the deletions found, once each: they are reported until a lead confirms them)."""
    recorded = record.lines() if record else []
    changes = find_changes(tasks, users, leads, recorded)
    if record is not None:
        fresh = new_versions(versions(tasks, seen_at, source), recorded)
        noted = {line["annotation_id"] for line in recorded if line.get("deleted")}
        gone = [
            {"annotation_id": c.annotation_id, "deleted": True, "seen_at": seen_at}
            for c in changes
            if c.kind == "deleted" and c.annotation_id not in noted
        ]
        record.append(fresh + gone)
    return changes


def record_directory(home: str | Path, url: str | None) -> Path:
    """Where the record of a server's projects lives: HOME/record/local for the local server
    (whatever port it starts on), HOME/record/<host>-<port> for one given by URL."""
    from urllib.parse import urlsplit

    if not url:
        return Path(home) / "record" / "local"
    parts = urlsplit(url)
    name = f"{parts.hostname or 'server'}-{parts.port or (443 if parts.scheme == 'https' else 80)}"
    return Path(home) / "record" / name

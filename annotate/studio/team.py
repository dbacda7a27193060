"""The annotation team in Label Studio: accounts, who did what, blind overlap.

- `add_annotators` signs annotators up on a server mauqif can reach as admin (the local one): a
  random password each, returned once to the caller, who shows it once; nothing is logged.
  `invite_url` is the organisation's sign-up link, for an instance where people make their own
  accounts.
- `team_counts` is each member's work in one project: submitted, skipped, still to do.
- `set_overlap` makes Label Studio give a share of the tasks to several annotators. Its
  labelling stream ("Label All Tasks") serves each annotator only their own annotations, so the
  overlap is blind: nobody sees the others' answers while labelling. Outside the stream
  Community Label Studio lets any member read and change them: `team_report` names every
  annotation someone other than its author changed (`tampering.py`), and `confirm` is how a
  lead accepts one.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ..exceptions import StudioError
from .client import PAGE_SIZE, Studio
from .exceptions import RequestRefused
from .tampering import Change, Record, check, per_member, user_id

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


@dataclass(frozen=True)
class NewAccount:
    """What became of one address given to `add_annotators`.

    `status`: "created" (with the password, shown to the user once), "exists" (already a member:
    nothing changed, no password), or "refused" (with the reason)."""

    email: str
    status: str
    user_id: int | None = None
    password: str | None = None
    reason: str = ""

    def __repr__(self) -> str:  # never put a password in a log or a traceback
        return f"NewAccount({self.email!r}, {self.status!r}, user_id={self.user_id})"


def new_password() -> str:
    """A random password Label Studio accepts (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def add_annotators(
    studio: Studio, emails: Iterable[str], make_password=new_password
) -> Iterator[NewAccount]:
    """Sign up each address as a member of the organisation, one at a time.

    Members already there are left as they are. A refused address (not an e-mail address, or
    refused by Label Studio) is reported and the others go on.
    """
    members = {email.lower(): user_id for user_id, email in studio.users().items()}
    seen = set()
    for raw in emails:
        email = raw.strip()
        if email.lower() in seen:
            continue
        seen.add(email.lower())
        if not EMAIL.match(email):
            yield NewAccount(email, "refused", reason="not an e-mail address")
            continue
        if email.lower() in members:
            yield NewAccount(email, "exists", user_id=members[email.lower()])
            continue
        password = make_password()
        try:
            user_id, _token = studio.add_user(email, password)
        except RequestRefused as exc:
            yield NewAccount(email, "refused", reason=str(exc))
            continue
        members[email.lower()] = user_id
        yield NewAccount(email, "created", user_id=user_id, password=password)


def invite_url(studio: Studio) -> str:
    """The organisation's invite link: whoever opens it can sign up as a member."""
    with studio.errors("reading the invite link"):
        invite = studio.sdk.organizations.invites.get_invite_link()
    link = invite.invite_url or ""
    return link if link.startswith("http") else f"{studio.url}/{link.lstrip('/')}"


# ---- the work done -----------------------------------------------------------------------------


def project_tasks(studio: Studio, project_id: int) -> list[dict]:
    """Every task of the project with its annotations (as Label Studio's JSON export has them)."""
    with studio.errors("listing the project's tasks"):
        pager = studio.sdk.tasks.list(project=project_id, fields="all", page_size=PAGE_SIZE)
        return [task.dict() for task in pager]


@dataclass(frozen=True)
class AnnotatorCounts:
    """One member's work in one project.

    `pending`: tasks still open (Label Studio does not count them as finished, given the overlap)
    that this member has neither submitted nor skipped: what the labelling stream can still
    serve them."""

    user_id: int
    email: str
    submitted: int
    skipped: int
    pending: int


def completed_by(annotation: dict) -> int | None:
    """The user id of an annotation (a plain id in the API, an object in some exports)."""
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        who = who.get("id")
    try:
        return int(who)
    except (TypeError, ValueError):
        return None


def count_work(tasks: list[dict], members: dict[int, str]) -> list[AnnotatorCounts]:
    """Pure: the counts of `team_counts` from the project's tasks and the members {id: email}."""
    submitted, skipped, touched = Counter(), Counter(), Counter()
    open_tasks = [t for t in tasks if not t.get("is_labeled")]
    done_by: dict[int, set] = {}
    for task in tasks:
        for annotation in task.get("annotations") or []:
            user = completed_by(annotation)
            if user is None:
                continue
            (skipped if annotation.get("was_cancelled") else submitted)[user] += 1
            done_by.setdefault(user, set()).add(task.get("id"))
    for user, done in done_by.items():
        touched[user] = sum(1 for t in open_tasks if t.get("id") in done)
    everyone = dict(members)
    everyone.update({u: str(u) for u in done_by if u not in everyone})
    rows = [
        AnnotatorCounts(
            user, email, submitted[user], skipped[user], len(open_tasks) - touched[user]
        )
        for user, email in everyone.items()
    ]
    return sorted(rows, key=lambda r: r.email.lower())


def team_counts(studio: Studio, project_id: int) -> list[AnnotatorCounts]:
    """Each member of the organisation with their submitted, skipped and pending tasks."""
    return count_work(project_tasks(studio, project_id), studio.users())


# ---- answers changed by someone other than their author ----------------------------------------


def current_user(studio: Studio) -> dict:
    """The account of the API key (the lead, for mauqif): {"id", "email", …}."""
    with studio.errors("asking who the API key belongs to"):
        return studio.request("GET", "/api/current-user/whoami").json()


@dataclass(frozen=True)
class TeamReport:
    rows: list[AnnotatorCounts]
    changes: list[Change]
    changed: dict[str, int]  # {member: others' annotations they changed or took over}


def check_project(
    studio: Studio, project_id: int, record_dir=None, source: str = "check", tasks=None
) -> tuple[list[dict], list[Change]]:
    """The project's tasks and the changes in them (against the record, which gets their
    versions); the key's user is the lead."""
    from datetime import UTC, datetime

    tasks = project_tasks(studio, project_id) if tasks is None else tasks
    record = Record(record_dir, project_id) if record_dir is not None else None
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    lead = current_user(studio)["id"]
    return tasks, check(tasks, studio.users(), [lead], record, now, source)


def team_report(studio: Studio, project_id: int, record_dir=None) -> TeamReport:
    """`team_counts` with the annotations someone other than their author changed, counted per
    member who changed them."""
    users = studio.users()
    tasks, changes = check_project(studio, project_id, record_dir, "team list")
    return TeamReport(count_work(tasks, users), changes, per_member(changes))


@dataclass(frozen=True)
class Confirmed:
    annotation_id: int
    project_id: int | None
    changed_by: str
    outcome: str  # "confirmed", "already" (a lead saved it last), "deletion confirmed"


def confirm(
    studio: Studio, annotation_id: int, project_id: int | None, record_dir=None
) -> Confirmed:
    """A lead accepts an annotation someone other than its author changed: saved as it is by
    the lead (Label Studio then names the lead its last changer, which every later export
    carries), and a line in the record. A deletion the record noted is confirmed in the record.
    """
    from datetime import UTC, datetime

    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    lead = current_user(studio)
    users = studio.users()
    try:
        annotation = studio.request("GET", f"/api/annotations/{int(annotation_id)}/").json()
    except StudioError:
        annotation = None
    if annotation is None or not isinstance(annotation, dict) or "id" not in annotation:
        record = Record(record_dir, project_id) if record_dir and project_id else None
        known = [
            line
            for line in (record.lines() if record else [])
            if line.get("annotation_id") == int(annotation_id)
        ]
        if not known:
            raise StudioError(
                f"no annotation {annotation_id} on {studio.url}"
                + ("" if project_id else " (for a deleted one, give --project)")
            )
        record.append(
            [
                {
                    "annotation_id": int(annotation_id),
                    "confirmed": True,
                    "by": lead["id"],
                    "seen_at": now,
                }
            ]
        )
        return Confirmed(int(annotation_id), project_id, "unknown", "deletion confirmed")
    project_id = int(annotation.get("project") or project_id or 0) or None
    changer = user_id(annotation.get("updated_by"))
    name = str(users.get(changer, changer))
    if changer == lead["id"]:
        return Confirmed(int(annotation_id), project_id, name, "already")
    with studio.errors(f"confirming annotation {annotation_id}"):
        studio.request(
            "PATCH",
            f"/api/annotations/{int(annotation_id)}/",
            json={"result": annotation.get("result") or []},
        )
    if record_dir and project_id:
        Record(record_dir, project_id).append(
            [
                {
                    "annotation_id": int(annotation_id),
                    "confirmed": True,
                    "by": lead["id"],
                    "changed_by": changer,
                    "seen_at": now,
                }
            ]
        )
    return Confirmed(int(annotation_id), project_id, name, "confirmed")


# ---- blind overlap -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Overlap:
    annotators: int
    share: float  # 0–1, as asked
    percentage: int  # what Label Studio keeps (a whole percentage)
    tasks: int
    overlapping: int  # tasks Label Studio now gives to `annotators` people

    def line(self) -> str:
        if self.annotators == 1:
            return "each task goes to 1 annotator (no overlap)"
        return (
            f"{self.percentage}% of the tasks ({self.overlapping} of {self.tasks} now) go to "
            f"{self.annotators} different annotators, each blind to the others' answers; "
            "the rest to 1"
        )


def set_overlap(studio: Studio, project_id: int, annotators: int, share: float = 1.0) -> Overlap:
    """Give `share` (0–1) of the project's tasks to `annotators` different annotators.

    Sets the project's maximum annotations per task and overlap cohort percentage; Label Studio
    picks the overlapping tasks (and picks again as tasks are imported) and serves a task to
    nobody once enough annotators have labelled it.
    """
    if annotators < 1:
        raise StudioError(f"--overlap must be 1 or more annotators per task, not {annotators}")
    if not 0 < share <= 1:
        raise StudioError(f"--overlap-share must be above 0 and at most 1, not {share}")
    percentage = max(1, round(share * 100))
    with studio.errors("setting the overlap"):
        studio.sdk.projects.update(
            id=project_id,
            maximum_annotations=annotators,
            overlap_cohort_percentage=percentage if annotators > 1 else 100,
        )
    tasks = project_tasks(studio, project_id)
    overlapping = sum(1 for t in tasks if (t.get("overlap") or 1) > 1)
    return Overlap(annotators, share, percentage, len(tasks), overlapping)

"""What an annotator may ask Label Studio through the door: a deny-by-default list (pure).

Read from what Label Studio 1.23.2's own pages ask while an annotator logs in, opens the
labelling stream ("Label All Tasks"), submits and moves on (recorded in Chromium; see
tests/integration/test_door.py), and from its URL table (`label_studio/*/urls.py`):

- the pages and their assets, the login and the member's own account;
- the project list and a project's settings **read** (its label config and instructions);
- the data manager's metadata (columns, views, the project summary) and its one action
  `next_task`, which is how the stream asks for the next task; Label Studio serves it without
  annotations. That action also takes filters and an ordering, in its body, in `?query=` or
  from a view (`?view=`), and honours them: filtered on "annotation results contain 'against'",
  it names the tasks another member answered so, which breaks blind overlap. So an annotator's
  `next_task` may carry only `id`, `project` and `tabID` in its query, and its body is replaced
  by `{}` (`Decision.blank_body`: the checker says so to nginx, which sends `{}` instead);
- creating an annotation or a draft on a task; reading and changing an annotation or a draft
  **that is the member's own** (`Lookup`: the checker asks Label Studio, as the lead, whose it is).

Everything else is refused: the task list and a task by id (both carry every member's
annotations), another member's annotation, every export and import, project and
organisation settings, deleting anything, data-manager actions other than `next_task`, storages,
webhooks, the ML backends' settings. A lead is let through everywhere.

A URI the rules cannot read unambiguously (percent-escapes, `..`, `//`, `;`, a backslash or a
`#`, a target that does not start with `/`) is refused, so that what is checked is what Label
Studio routes. Only the path, the query and the method are seen here: the body is not (nginx's auth sub-request has none), so an annotation created through
the door in another member's name is caught by `tampering.py`, not refused here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs

READ = frozenset({"GET", "HEAD"})

ASSETS = re.compile(r"^/(static|react-app|label-studio-frontend|dm|lsf)/[A-Za-z0-9_.\-/]+$")
PUBLIC = {  # asked before anyone logs in
    "/user/login",
    "/user/login/",
    "/user/signup",
    "/user/signup/",
    "/favicon.ico",
    "/sw.js",
    "/robots.txt",
    "/heidi-tips",
    "/api/version",
    "/version",
    "/health",
}
PAGES = [  # the member's pages (GET only); the data they show come from the API below
    r"/",
    r"/projects/?",
    r"/projects/\d+/?",
    r"/projects/\d+/data/?",
    r"/user/account/?.*",
    r"/user/logout/?",
    r"/organization/?",
]
READS = [  # GET only
    r"/api/current-user/whoami/?",
    r"/api/current-user/?",
    r"/api/projects/?",
    r"/api/projects/\d+/?",
    r"/api/projects/\d+/label-stream-history/?",
    r"/api/label_links/?",
    r"/api/users/?",
    r"/api/ml/?",
    r"/api/dm/columns/?",
    r"/api/dm/project/?",
    r"/api/dm/views/?",
    r"/api/dm/views/\d+/?",
]
WRITES = {  # method → paths
    "POST": [
        r"/user/login/?",
        r"/user/signup/?",
        r"/user/account/?.*",
        r"/api/tasks/\d+/annotations/?",
        r"/api/tasks/\d+/drafts/?",
        r"/api/dm/views/?",
    ],
    "PATCH": [r"/api/current-user/?"],
}
OWN = {  # the member's own objects: (path, kind), for reading and changing, never deleting
    "annotation": re.compile(r"^/api/annotations/(\d+)/?$"),
    "draft": re.compile(r"^/api/drafts/(\d+)/?$"),
    "view": re.compile(r"^/api/dm/views/(\d+)/?$"),
}
OWN_METHODS = {"annotation": READ | {"PATCH", "PUT"}, "draft": READ | {"PATCH", "PUT"},
               "view": {"PATCH", "PUT"}}  # fmt: skip
ACTIONS = {"next_task"}  # the data manager's actions an annotator may run
STREAM_QUERY = {"id", "project", "tabID"}  # what the stream's next_task may carry in its query

UNCLEAR = re.compile(r"%|\.\.|//|;|\\|\x00|#")


def _full(patterns) -> re.Pattern:
    return re.compile("^(?:" + "|".join(patterns) + ")$")


PAGE_RE, READ_RE = _full(PAGES), _full(READS)
WRITE_RE = {method: _full(paths) for method, paths in WRITES.items()}


@dataclass(frozen=True)
class Decision:
    """`allow` (let through), `deny` (403), `login` (401: nobody is logged in), or `lookup`:
    allowed only if the `kind` object `object_id` belongs to the member. `blank_body`: let
    through only with its body replaced by `{}` (nginx cannot read a body, only replace it)."""

    outcome: str
    reason: str
    kind: str | None = None
    object_id: int | None = None
    blank_body: bool = False


def path_of(uri: str) -> tuple[str | None, dict]:
    """(the path, the query) of a request URI; None for a path the rules cannot read."""
    # Split by hand, as Label Studio's server does (at the first "?"): urlsplit would read
    # "//host/api/…" as a host and a path, and cut a "#…" off, neither of which it routes so.
    path, _, query = uri.partition("?")
    if not path.startswith("/") or UNCLEAR.search(path) or "#" in query:
        return None, {}
    return path, parse_qs(query, keep_blank_values=True)


def public(method: str, uri: str) -> bool:
    """What anyone may ask, logged in or not (the login page and the assets)."""
    path, _ = path_of(uri)
    return (
        path is not None
        and (method in READ | {"POST"})
        and (path in PUBLIC or (method in READ and bool(ASSETS.match(path))))
    )


def decide(method: str, uri: str, logged_in: bool, lead: bool) -> Decision:
    """The door's answer to `method uri` from a member (a `lead` or not), or from nobody."""
    method = method.upper()
    path, query = path_of(uri)
    if path is None:
        return Decision("deny", "a path with escapes, '..', '//', ';' or '#' is not let through")
    if public(method, uri):
        return Decision("allow", "public")
    if not logged_in:
        return Decision("login", "not logged in")
    if lead:
        return Decision("allow", "a lead")
    if method in READ and (PAGE_RE.match(path) or READ_RE.match(path)):
        return Decision("allow", "a page or a read the labelling stream needs")
    if method in WRITE_RE and WRITE_RE[method].match(path):
        return Decision("allow", "the member's own work")
    if method == "POST" and re.match(r"^/api/dm/actions/?$", path):
        ids = query.get("id") or [""]
        action = ids[-1]  # Django's request.GET["id"] is the last one
        if len(ids) != 1 or action not in ACTIONS:
            return Decision("deny", f"the data manager action {action!r} is for leads")
        extra = sorted(set(query) - STREAM_QUERY)
        if extra:
            return Decision("deny", f"the stream's next task with {', '.join(extra)} is for leads")
        return Decision("allow", "the labelling stream's next task", blank_body=True)
    for kind, pattern in OWN.items():
        match = pattern.match(path)
        if match:
            if method not in OWN_METHODS[kind]:
                return Decision("deny", f"{method} of a {kind} is for leads")
            return Decision("lookup", f"the member's own {kind} only", kind, int(match.group(1)))
    return Decision("deny", "not part of the labelling stream; for leads")


def owner_of(kind: str, body: dict) -> int | None:
    """The user id owning a `kind` object as Label Studio returns it."""
    field = {"annotation": "completed_by", "draft": "user", "view": "user"}[kind]
    value = body.get(field)
    if isinstance(value, dict):
        value = value.get("id")
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

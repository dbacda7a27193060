"""The door's rules, as security code: what an annotator may ask Label Studio, and what not.

The live side (nginx, the checker, Label Studio, Chromium sessions of two annotators and a
lead) is tests/integration/test_door.py; here every rule and the tricks against it, on paths.
"""

from __future__ import annotations

import pytest

from mauqif.annotate.studio.door.rules import decide, owner_of

STREAM = [  # what Label Studio 1.23.2's pages asked while an annotator labelled (recorded)
    ("GET", "/"),
    ("GET", "/projects/"),
    ("GET", "/projects/7/data?labeling=1"),
    ("GET", "/api/current-user/whoami"),
    ("GET", "/api/projects/7"),
    ("GET", "/api/projects?page=1&page_size=30&include=id%2Ctitle"),
    ("GET", "/api/projects/7/label-stream-history?project=7"),
    ("GET", "/api/dm/columns?project=7"),
    ("GET", "/api/dm/project?project=7"),
    ("GET", "/api/dm/views?project=7"),
    ("POST", "/api/dm/views?tabID=0&project=7"),
    ("GET", "/api/label_links?project=7&expand=label"),
    ("GET", "/api/users?project=7"),
    ("POST", "/api/dm/actions?id=next_task&tabID=1&project=7"),
    ("POST", "/api/tasks/12/annotations?project=7"),
    ("POST", "/api/tasks/12/drafts?project=7"),
    ("GET", "/static/js/main.js"),
    ("GET", "/react-app/main.css?v=0cd841"),
    ("GET", "/user/logout/"),
]


@pytest.mark.parametrize(("method", "uri"), STREAM)
def test_the_labelling_stream_is_let_through(method, uri):
    assert decide(method, uri, logged_in=True, lead=False).outcome == "allow"


REFUSED = [
    ("GET", "/api/tasks?project=7"),  # the task list carries every member's answers
    ("GET", "/api/tasks?page=1&page_size=30&view=5&project=7"),
    ("GET", "/api/tasks/12"),
    ("GET", "/api/tasks/12/"),
    ("GET", "/api/tasks/12/annotations"),  # every member's annotations of the task
    ("GET", "/api/tasks/12/drafts"),  # every member's drafts of the task
    ("DELETE", "/api/annotations/5/"),
    ("DELETE", "/api/drafts/5/"),
    ("DELETE", "/api/tasks/12/"),
    ("GET", "/api/projects/7/export?exportType=JSON"),
    ("GET", "/api/projects/7/export/"),
    ("POST", "/api/projects/7/exports/"),
    ("GET", "/api/projects/7/exports/3/download"),
    ("POST", "/api/projects/7/import"),
    ("PATCH", "/api/projects/7/"),
    ("PUT", "/api/projects/7"),
    ("DELETE", "/api/projects/7/"),
    ("POST", "/api/projects/"),
    ("POST", "/api/projects/7/validate"),
    ("POST", "/api/dm/actions?id=delete_tasks&project=7"),
    ("POST", "/api/dm/actions?id=delete_tasks_annotations&project=7"),
    ("POST", "/api/dm/actions?id=next_task&id=delete_tasks&project=7"),  # Django reads the last
    ("POST", "/api/dm/actions?project=7"),
    ("GET", "/api/webhooks/"),
    ("POST", "/api/ml/"),
    ("GET", "/api/storages/s3?project=7"),
    ("GET", "/api/organizations/1/memberships"),
    ("GET", "/api/invite"),
    ("GET", "/projects/7/settings"),
    ("GET", "/data/upload/7/a.json"),
    ("GET", "/api/predictions/?task=12"),
    ("OPTIONS", "/api/projects/7"),
    ("GET", "/admin/"),
    ("GET", "/django-rq/"),
    # export in every spelling Label Studio routes
    ("GET", "/api/projects/7/export"),
    ("HEAD", "/api/projects/7/export?exportType=JSON"),
    ("GET", "/api/projects/7/export/formats"),
    ("GET", "/api/projects/7/exports"),
    ("GET", "/api/projects/7/exports/3"),
    ("POST", "/api/projects/7/exports/3/convert"),
    ("GET", "/projects/7/data/export"),
    ("GET", "/projects/7/export"),
    # the task list and a task, whatever the query, the method or the trailing slash
    ("GET", "/api/tasks"),
    ("GET", "/api/tasks/"),
    ("HEAD", "/api/tasks?project=7"),
    ("GET", "/api/tasks?project=7&fields=all"),
    ("GET", "/api/tasks/12?project=7"),
    ("HEAD", "/api/tasks/12/"),
    ("OPTIONS", "/api/tasks/12/"),
    ("PATCH", "/api/tasks/12/"),
    ("GET", "/api/tasks/12/annotations/"),
    ("HEAD", "/api/tasks/12/annotations"),
    # the case is not folded: Django routes /API/… nowhere, and /Api/… must not pass either
    ("GET", "/API/tasks/12"),
    ("GET", "/Api/Projects/7/Export"),
    ("POST", "/API/DM/ACTIONS?id=delete_tasks&project=7"),
    ("POST", "/api/dm/actions?id=NEXT_TASK&project=7"),
    # the stream's next task with filters, an ordering or a view from its query string: Label
    # Studio honours them, and filtered on annotation results they name others' answers
    ("POST", "/api/dm/actions?id=next_task&project=7&query=%7B%22filters%22%3A%7B%7D%7D"),
    ("POST", "/api/dm/actions?id=next_task&project=7&view=3"),
    ("POST", "/api/dm/actions?id=next_task&project=7&vi%65w=3"),
    ("POST", "/api/dm/actions?id=next_task&project=7&selectedItems=%7B%7D"),
    ("GET", "/api/dm/actions?project=7"),
    ("GET", "/api/dm/actions/delete_tasks/form?project=7"),
    ("POST", "/api/dm/actions/?id=delete_tasks&project=7"),
    ("DELETE", "/api/dm/views/3/"),
    ("DELETE", "/api/dm/views/reset?project=7"),
    ("GET", "/api/dm/tasks?project=7"),
    ("GET", "/api/dm/views/3/tasks"),
    # uploaded and stored files
    ("GET", "/data/upload/7/a.json"),
    ("GET", "/data/local-files/?d=home/a.json"),
    ("GET", "/storage-data/uploaded/?filepath=upload/7/a.json"),
    ("GET", "/tasks/12/resolve/?fileuri=x"),
    ("GET", "/api/projects/7/file-uploads"),
    ("DELETE", "/api/projects/7/file-uploads"),
    # another member's account, and keys
    ("GET", "/api/current-user/token"),
    ("POST", "/api/current-user/reset-token/"),
    ("GET", "/api/users/4/"),
    ("PATCH", "/api/users/4/"),
    ("DELETE", "/api/users/4/"),
    ("GET", "/api/token/"),
]
TRICKS = [  # what the checker reads must be what Label Studio routes
    ("GET", "/api/annotations/5/%2e%2e/6/"),
    ("GET", "/api/projects/7/%65xport"),
    ("GET", "/static/../api/projects/7/export"),
    ("GET", "/static//api/tasks"),
    ("GET", "/api//tasks?project=7"),
    ("GET", "/api/projects/7;/export"),
    ("GET", "/api/projects/7\\export"),
    ("GET", "/projects/7/data/../../api/tasks"),
    ("GET", "http://127.0.0.1:1/api/annotations/5/"),
    ("GET", "api/tasks"),
    # urlsplit reads "//x/api/…" as host x and path /api/…, and cuts "#…" off; Label Studio's
    # server splits at the first "?" only and routes the rest as it is
    ("GET", "//x/api/projects/7/"),
    ("GET", "//127.0.0.1/api/dm/views"),
    ("GET", "/api/projects/7#/../export"),
    ("GET", "/api/projects/7/#"),
    ("POST", "/api/dm/actions?id=next_task&project=7#x"),
    ("GET", "/api/projects/7/%2fexport"),
    ("GET", "/api%2Ftasks%2F12"),
    ("GET", "/data%2Fupload/7/a.json"),
    ("GET", "/api/tasks/12\x00"),
]


@pytest.mark.parametrize(("method", "uri"), REFUSED + TRICKS)
def test_everything_else_is_refused_to_an_annotator(method, uri):
    assert decide(method, uri, logged_in=True, lead=False).outcome == "deny"


@pytest.mark.parametrize(("method", "uri"), REFUSED)
def test_a_lead_passes_everywhere(method, uri):
    assert decide(method, uri, logged_in=True, lead=True).outcome == "allow"


@pytest.mark.parametrize(("method", "uri"), TRICKS)
def test_tricks_are_refused_to_a_lead_too(method, uri):
    assert decide(method, uri, logged_in=True, lead=True).outcome == "deny"


@pytest.mark.parametrize(
    ("method", "uri", "kind", "object_id"),
    [
        ("GET", "/api/annotations/5/", "annotation", 5),
        ("PATCH", "/api/annotations/5", "annotation", 5),
        ("PUT", "/api/annotations/5/", "annotation", 5),
        ("HEAD", "/api/annotations/5/", "annotation", 5),
        ("GET", "/api/drafts/9/", "draft", 9),
        ("PATCH", "/api/drafts/9/", "draft", 9),
        ("PATCH", "/api/dm/views/3/", "view", 3),
    ],
)
def test_an_annotators_own_objects_are_looked_up(method, uri, kind, object_id):
    decision = decide(method, uri, logged_in=True, lead=False)
    assert (decision.outcome, decision.kind, decision.object_id) == ("lookup", kind, object_id)


def test_an_annotators_next_task_goes_on_without_its_body_a_leads_with_it():
    uri = "/api/dm/actions?id=next_task&tabID=1&project=7"
    assert decide("POST", uri, logged_in=True, lead=False).blank_body
    assert not decide("POST", uri, logged_in=True, lead=True).blank_body
    assert not decide("POST", "/api/tasks/12/annotations", logged_in=True, lead=False).blank_body


def test_nobody_logged_in_gets_only_the_login_page_and_assets():
    assert decide("GET", "/user/login/", False, False).outcome == "allow"
    assert decide("POST", "/user/login/?next=/", False, False).outcome == "allow"
    assert decide("GET", "/static/css/login.css", False, False).outcome == "allow"
    for method, uri in STREAM[:15]:
        assert decide(method, uri, False, False).outcome == "login"
    assert decide("POST", "/static/css/login.css", False, False).outcome == "login"


def test_the_owner_is_read_from_label_studios_answer():
    assert owner_of("annotation", {"completed_by": 4}) == 4
    assert owner_of("annotation", {"completed_by": {"id": 4, "email": "x"}}) == 4
    assert owner_of("draft", {"user": 6}) == 6
    assert owner_of("annotation", {"completed_by": None}) is None

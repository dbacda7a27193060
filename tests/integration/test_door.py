"""Two annotators and a lead in Chromium against a real Label Studio, with and without the door.

Through the door (Debian's nginx + mauqif's checker, `mauqif team door start`), annotator a2
cannot read a1's answer on a task they share, cannot change or delete it, cannot export, list
the tasks or change the settings; both still label blind in the stream; the lead can do all of
it. Going round the door (Community Label Studio itself, as a lab without it has it), each
change a2 makes to a1's answer is reported by `pull`, `agreement` and `team list` naming a2,
with what changed, and the agreement figures do not move; `team confirm` lets the lead accept it.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from mauqif.annotate.labels import aggregate, read_exports
from mauqif.annotate.schema import SENTIMENT_TAG, stance_tag
from mauqif.annotate.studio import connect, push
from mauqif.annotate.studio.door import door_status, start_door, stop_door
from mauqif.annotate.studio.team import set_overlap
from mauqif.cli import cli

from .browser import logged_in_page, wait_for
from .test_team import press_answers, selected

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")
ROOT = Path(__file__).resolve().parents[2]


def mauqif(*args: str):
    return CliRunner().invoke(cli, list(args))


@pytest.fixture(scope="module")
def door(local_server):
    """The door in front of the session's Label Studio; stopped (both processes) at the end."""
    home = local_server.local.home
    state = start_door(home, local_server.url)
    try:
        yield state
    finally:
        assert stop_door(home)
        assert not door_status(home).running


@pytest.fixture(scope="module")
def members(admin):
    """a1 and a2: {name: (id, email, password, token)}."""
    out = {}
    for name in ("a1", "a2"):
        email, password = f"{name}-{secrets.token_hex(3)}@example.org", secrets.token_urlsafe(12)
        user_id, token = admin.add_user(email, password)
        out[name] = (user_id, email, password, token)
    return out


def answers(schema, russia: str, sentiment: str) -> dict[str, str]:
    out = {stance_tag(p): "none" for p in schema.party_ids}
    out[stance_tag(schema.party_ids[0])] = russia
    out[SENTIMENT_TAG] = sentiment
    return out


def result_of(answer: dict) -> list[dict]:
    return [
        {"from_name": q, "to_name": "text", "type": "choices", "value": {"choices": [v]}}
        for q, v in answer.items()
    ]


class Session:
    """A member's logged-in Chromium page; `call` asks the API as that page's JavaScript would
    (the session cookie, Django's CSRF token)."""

    def __init__(self, browser, base: str, email: str, password: str):
        self.base = base
        # Whoever was logged in before is logged out first: a late answer to the last page's
        # requests can bring its session cookie back after `logged_in_page` cleared them.
        out = browser.new_page()
        out.goto(f"{base}/user/logout/")
        out.close()
        self.page = logged_in_page(browser, base, email, password)
        self.seen: list[str] = []
        self.page.on("request", lambda r: self.seen.append(r.url))

    def call(self, method: str, path: str, body=None):
        csrf = next(
            (c["value"] for c in self.page.context.cookies() if c["name"] == "csrftoken"), ""
        )
        headers = {"X-CSRFToken": csrf, "Referer": f"{self.base}/"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return self.page.request.fetch(
            f"{self.base}{path}",
            method=method,
            headers=headers,
            data=json.dumps(body) if body is not None else None,
            fail_on_status_code=False,
        )

    def label_next(self, project_id: int, schema, answer: dict) -> str:
        """Open the stream, check nothing is chosen (blind), answer, submit; the sentence."""
        page = self.page
        page.goto(f"{self.base}/projects/{project_id}/data?labeling=1")
        modal = page.locator(".lsf-modal-ls__content").filter(has_text="Labeling Instructions")
        modal.wait_for()
        modal.locator("button[aria-label^=Close]").first.click()
        modal.wait_for(state="hidden")
        sentence = page.locator(".mauqif-sentence .lsf-richtext__line")
        sentence.wait_for()
        text = sentence.inner_text().strip()
        assert all(v is None for v in selected(page, schema).values()), "the stream is not blind"
        press_answers(page, schema, answer)
        wait_for(lambda: selected(page, schema) == answer, 10, "the answers to be selected")
        page.locator("[data-testid=bottombar-submit-button]").click()
        return text


def annotation_of(admin, task_id: int, user_id: int) -> dict:
    body = admin.request("GET", f"/api/tasks/{task_id}").json()
    found = [a for a in body["annotations"] if _id(a["completed_by"]) == user_id]
    return found[-1] if found else None


def _id(value):
    return value["id"] if isinstance(value, dict) else value


def test_the_door_keeps_an_annotator_to_their_own_work_and_lets_the_lead_do_everything(
    local_server, admin, door, members, browser, new_project, schema, units
):
    setup = new_project()
    push(admin, setup.project_id, units[:4], schema)
    set_overlap(admin, setup.project_id, 2)
    a1_id, a1_email, a1_password, _ = members["a1"]
    a2_id, a2_email, a2_password, _ = members["a2"]
    base = door.url
    assert base != local_server.url

    a1 = Session(browser, base, a1_email, a1_password)
    first = a1.label_next(setup.project_id, schema, answers(schema, "favor", "positive"))
    tasks = admin.request("GET", "/api/tasks", params={"project": setup.project_id}).json()
    shared = next(t for t in tasks["tasks"] if t["data"]["text"] == first)
    mine = wait_for(lambda: annotation_of(admin, shared["id"], a1_id), 30, "a1's annotation")
    assert all(url.startswith(base) for url in a1.seen), "a1's page went round the door"
    a1.page.close()

    a2 = Session(browser, base, a2_email, a2_password)
    # Blind overlap through the door: the stream serves a2 the task a1 answered, nothing chosen.
    assert a2.label_next(setup.project_id, schema, answers(schema, "against", "negative")) == first
    theirs = wait_for(lambda: annotation_of(admin, shared["id"], a2_id), 30, "a2's annotation")
    refused = {
        "read a1's answer": a2.call("GET", f"/api/annotations/{mine['id']}/"),
        "change a1's answer": a2.call(
            "PATCH", f"/api/annotations/{mine['id']}/", {"result": result_of({})}
        ),
        "delete a1's answer": a2.call("DELETE", f"/api/annotations/{mine['id']}/"),
        "read the shared task": a2.call("GET", f"/api/tasks/{shared['id']}"),
        "list the tasks": a2.call("GET", f"/api/tasks?project={setup.project_id}"),
        "list the task's annotations": a2.call("GET", f"/api/tasks/{shared['id']}/annotations"),
        "export": a2.call("GET", f"/api/projects/{setup.project_id}/export?exportType=JSON"),
        "export by snapshot": a2.call("POST", f"/api/projects/{setup.project_id}/exports", {}),
        "change the settings": a2.call(
            "PATCH", f"/api/projects/{setup.project_id}/", {"maximum_annotations": 1}
        ),
        "delete the tasks": a2.call(
            "POST", f"/api/dm/actions?id=delete_tasks&project={setup.project_id}", {}
        ),
        "delete own answer": a2.call("DELETE", f"/api/annotations/{theirs['id']}/"),
    }
    assert {what: r.status for what, r in refused.items()} == dict.fromkeys(refused, 403)
    own = a2.call("GET", f"/api/annotations/{theirs['id']}/")
    assert own.status == 200 and own.json()["id"] == theirs["id"]
    assert a2.call("PATCH", f"/api/annotations/{theirs['id']}/", {"lead_time": 3.5}).status == 200
    assert all(url.startswith(base) for url in a2.seen), "a2's page went round the door"
    a2.page.close()
    # Nothing a2 tried changed a1's answer, and Label Studio still has both.
    assert annotation_of(admin, shared["id"], a1_id)["result"] == mine["result"]
    assert annotation_of(admin, shared["id"], a1_id)["updated_by"] == a1_id
    log = [json.loads(x) for x in (local_server.local.home / "door" / "refused.jsonl").open()]
    tried = {(r["method"], r["uri"]) for r in log if r["member"] == a2_email}
    assert ("GET", f"/api/annotations/{mine['id']}/") in tried
    assert ("GET", f"/api/projects/{setup.project_id}/export") in tried

    lead = Session(browser, base, local_server.username, local_server.password)
    assert lead.call("GET", f"/api/annotations/{mine['id']}/").json()["result"] == mine["result"]
    exported = lead.call(
        "GET", f"/api/projects/{setup.project_id}/export?exportType=JSON&download_all_tasks=true"
    )
    assert exported.status == 200 and len(exported.json()) == 4
    assert lead.call("GET", f"/api/tasks?project={setup.project_id}").status == 200
    # The lead changes a1's answer (adjudication): let through, and no tampering (below).
    adjudicated = result_of(answers(schema, "against", "positive"))
    changed = lead.call("PATCH", f"/api/annotations/{mine['id']}/", {"result": adjudicated})
    assert changed.status == 200 and changed.json()["completed_by"] == a1_id
    assert lead.call("DELETE", f"/api/drafts/{2**31 - 1}/").status == 404  # past the door
    lead.page.goto(f"{base}/projects/{setup.project_id}/settings")
    lead.page.wait_for_load_state()
    assert "/user/login" not in lead.page.url
    lead.page.close()
    # The lead's own change is no tampering.
    pulled = mauqif("team", "list", "--project", str(setup.project_id), *home_args(local_server))
    assert pulled.exit_code == 0, pulled.output
    assert "changed by someone other than their author" not in pulled.output


def overlapped_project(admin, new_project, schema, units):
    """A new project holding `units`, each task to be answered by two members, and its tasks
    in id order."""
    setup = new_project()
    push(admin, setup.project_id, units, schema)
    set_overlap(admin, setup.project_id, 2)
    tasks = admin.request("GET", "/api/tasks", params={"project": setup.project_id}).json()
    return setup, sorted(tasks["tasks"], key=lambda t: t["id"])


def home_args(local_server) -> list[str]:
    return ["--home", str(local_server.local.home)]


def test_round_the_door_a_changed_answer_is_reported_naming_who_and_moves_no_figure(
    local_server, admin, members, browser, new_project, schema, units, tmp_path
):
    setup, tasks = overlapped_project(admin, new_project, schema, units[4:10])
    (a1_id, a1_email, a1_password, a1_token) = members["a1"]
    (a2_id, a2_email, a2_password, a2_token) = members["a2"]
    plan = {
        "a1": ["favor", "against", "none", "neutral", "favor", "none"],
        "a2": ["favor", "none", "none", "neutral", "against", "none"],
    }
    made = {}
    for name, token in (("a1", a1_token), ("a2", a2_token)):
        as_member = connect(local_server.url, token)
        for task, value in zip(tasks, plan[name], strict=True):
            created = as_member.sdk.annotations.create(
                id=task["id"], result=result_of(answers(schema, value, "neutral"))
            )
            made[name, task["id"]] = created.id
    project = ["--project", str(setup.project_id), *home_args(local_server)]
    before = mauqif("agreement", *project, "--bootstrap", "0", "--csv", str(tmp_path / "b.csv"))
    assert before.exit_code == 0, before.output
    assert "changed by" not in before.output

    # a2, logged in to Label Studio itself (no door), rewrites a1's answer on a shared task,
    # and makes one in a1's name on another.
    victim = made["a1", tasks[1]["id"]]
    a2 = Session(browser, local_server.url, a2_email, a2_password)
    rewritten = result_of(answers(schema, "favor", "neutral"))
    changed = a2.call("PATCH", f"/api/annotations/{victim}/", {"result": rewritten})
    assert changed.status == 200 and changed.json()["completed_by"] == a1_id  # still "a1's"
    forged = a2.call(
        "POST",
        f"/api/tasks/{tasks[4]['id']}/annotations",
        {
            "result": result_of(answers(schema, "against", "neutral")),
            "completed_by": a1_id,
            "task": tasks[4]["id"],
        },
    )
    assert forged.status == 201 and forged.json()["completed_by"] == a1_id
    forged_id = forged.json()["id"]
    assert a2.call("GET", f"/api/projects/{setup.project_id}/export?exportType=JSON").status == 200
    a2.page.close()

    party = stance_tag(schema.party_ids[0])
    pulled = mauqif("pull", *project, "-o", str(tmp_path / "exports"))
    assert pulled.exit_code == 0, pulled.output
    assert "2 annotation(s) changed by someone other than their author" in pulled.output
    lines = {
        aid: next(x for x in pulled.output.splitlines() if f"annotation {aid} " in x)
        for aid in (victim, forged_id)
    }
    assert (
        lines[victim]
        .strip()
        .startswith(
            f"annotation {victim} (task {tasks[1]['id']}, {tasks[1]['data']['sentence_id']}) by "
            f"{a1_email}: {a2_email} changed it at "
        )
    )
    assert lines[victim].endswith(f": {party}: against → favor")
    assert lines[forged_id].endswith(f": made by {a2_email} in {a1_email}'s name")

    after = mauqif("agreement", *project, "--bootstrap", "0", "--csv", str(tmp_path / "a.csv"))
    assert after.exit_code == 0, after.output
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert f"{a2_email} changed 2 ({victim}, {forged_id})" in after.output
    assert "1 counted as their author answered them (the record has it), 1 left out" in (
        after.output
    )

    listed = mauqif("team", "list", *project)
    assert listed.exit_code == 0, listed.output
    rows = {x.split()[0]: x.split() for x in listed.output.splitlines() if "@" in x.split()[0]}
    assert rows[a2_email][-1] == "2" and rows[a1_email][-1] == "0"

    # train, on the pulled snapshot (and the sample gold, for enough articles to fold), says the
    # same before it learns anything.
    trained = CliRunner().invoke(
        cli,
        ["train", "--data", str(ROOT / "exports" / "gold"),
         "--data", str(tmp_path / "exports" / "snapshots"), "--models",
         str(tmp_path / "models"), "--folds", "2", "--no-learning-curve", "--promote", "never"],
    )  # fmt: skip
    assert trained.exit_code == 0, trained.output
    assert f"{a2_email} changed 2 ({victim}, {forged_id})" in trained.stderr
    assert "1 counted as their author answered them (the record has it), 1 left out" in (
        trained.stderr
    )

    # What train reads (the snapshot): a1's own answer in place of the rewritten one, the forged
    # one left out of the majority (a1 favor, a2 against: a tie, not "against" by 2 to 1).
    table = read_exports([tmp_path / "exports" / "snapshots"], schema).set_index("annotation_id")
    assert table.loc[victim, party] == "against" and bool(table.loc[victim, "restored"])
    assert table.loc[forged_id, "changed_by"] == a2_email
    sentences, report = aggregate(table.reset_index(), schema)
    assert report["held"] == 1
    assert sentences.set_index("sentence_id")[party].isna()[tasks[4]["data"]["sentence_id"]]

    # The lead accepts the forged one: it counts again and is reported no more.
    confirmed = mauqif("team", "confirm", str(forged_id), *home_args(local_server))
    assert confirmed.exit_code == 0, confirmed.output
    assert f"annotation {forged_id}: confirmed as it is (last changed by {a2_email})" in (
        confirmed.output
    )
    again = mauqif("pull", *project, "-o", str(tmp_path / "exports"))
    assert again.exit_code == 0, again.output
    assert "1 annotation(s) changed by someone other than their author" in again.output
    assert f"annotation {forged_id} " not in again.output


FILTERED = "/api/dm/actions?id=next_task&project={p}"


def stream_query(answer: str) -> dict:
    """What the data manager sends with "Label All Tasks" on a tab filtered by annotation results
    (and ordered by them): the body nginx's auth sub-request cannot see."""
    return {
        "filters": {
            "conjunction": "and",
            "items": [
                {
                    "filter": "filter:tasks:annotations_results",
                    "operator": "contains",
                    "type": "String",
                    "value": answer,
                }
            ],
        },
        "ordering": ["-tasks:annotations_results"],
        "selectedItems": {"all": True, "excluded": []},
    }


def test_through_the_door_the_stream_cannot_be_filtered_by_another_members_answers(
    local_server, admin, door, members, browser, new_project, schema, units
):
    """Blind overlap is the stream's: a2 must not learn a1's answer by asking the stream for
    "the next task whose annotations contain 'against'" (a filter in the request body)."""
    setup, tasks = overlapped_project(admin, new_project, schema, units[10:14])
    a1_token, (_, a2_email, a2_password, _) = members["a1"][3], members["a2"]
    # a1 answered only the third task, "against".
    connect(local_server.url, a1_token).sdk.annotations.create(
        id=tasks[2]["id"], result=result_of(answers(schema, "against", "negative"))
    )
    a2 = Session(browser, door.url, a2_email, a2_password)
    path = FILTERED.format(p=setup.project_id)
    asked = {
        answer: a2.call("POST", path, stream_query(answer)) for answer in ("against", "nobody-said")
    }
    statuses = {answer: r.status for answer, r in asked.items()}
    given = {answer: r.json().get("id") for answer, r in asked.items() if r.status == 200}
    # The filter is not honoured: both questions get the stream's own next task, none of them
    # the answered one picked out (and no "no tasks" for the answer nobody gave).
    assert statuses == {"against": 200, "nobody-said": 200}, statuses
    assert given["against"] == given["nobody-said"]
    assert all(r.json()["annotations"] == [] for r in asked.values())
    # The same filter in the query string, or a view's filters, is refused.
    query = quote(json.dumps(stream_query("against")))
    by_query = a2.call("POST", f"{path}&query={query}")
    by_view = a2.call("POST", f"{path}&view=1")
    assert (by_query.status, by_view.status) == (403, 403)
    a2.page.close()

    # The lead's actions keep their bodies: the same filter picks out a1's answered task.
    lead = Session(browser, door.url, local_server.username, local_server.password)
    picked = lead.call("POST", path, stream_query("against"))
    assert picked.status == 200 and picked.json()["id"] == tasks[2]["id"]
    nothing = lead.call("POST", path, stream_query("nobody-said"))
    assert nothing.status == 404
    lead.page.close()

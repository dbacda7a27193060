"""An annotator against another's answers: read, export, change, forge, take over, delete, and
pick out a1's answers with a filtered labelling stream.

Each attempt is made twice by annotator a2 with her own API token: through the door (`mauqif
team door start`: nginx + the checker in front of Label Studio) and round it, on Community Label
Studio itself, as a lab without the door has it. The row says what each gives: refused by the
door, or let through by Label Studio and then reported by `mauqif pull` naming a2, with the
agreement figures unchanged. The last row kills the door's checker: nothing gets through.
"""

from __future__ import annotations

import json
import os
import signal
import time

import httpx
import pytest

from mauqif.annotate.schema import load_schema, stance_tag
from mauqif.annotate.studio.door import start_door, stop_door
from mauqif.annotate.studio.door.process import DoorFiles
from mauqif.annotate.studio.push import choice_result
from mauqif.annotate.studio.server import read_pid

from .test_studio_faults import SECRETS, new_project

pytestmark = pytest.mark.studio

SCHEMA = load_schema()
PARTY = stance_tag(SCHEMA.party_ids[0])


def result(value: str) -> list[dict]:
    out = [choice_result(stance_tag(p), "none") for p in SCHEMA.party_ids]
    out[0] = choice_result(PARTY, value)
    return out + [choice_result("sentiment", "neutral")]


class Team:
    """A project of 4 tasks that a1 and a2 both answered, pulled once (the record has a1's
    answers), the door in front of the server, and the agreement figures before any attempt."""

    def __init__(self, studio, tmp_path, mauqif):
        admin = studio.client()
        self.studio, self.mauqif, self.tmp = studio, mauqif, tmp_path
        self.project_id, _ = new_project(studio, "team-faults")
        admin.request(
            "POST",
            f"/api/projects/{self.project_id}/import",
            json=[{"sentence_id": f"tf-{i}", "text": f"جملہ {i}", "context": ""} for i in range(4)],
        )
        admin.sdk.projects.update(id=self.project_id, maximum_annotations=2)
        self.tasks = sorted(
            t["id"]
            for t in admin.request("GET", "/api/tasks", params={"project": self.project_id}).json()[
                "tasks"
            ]
        )
        self.ids, self.tokens, self.emails, self.made = {}, {}, {}, {}
        for name, values in (("a1", "favor against none neutral"), ("a2", "favor none none favor")):
            email = f"{name}-{os.urandom(3).hex()}@example.org"
            password = os.urandom(9).hex()
            SECRETS.append(password)
            self.ids[name], self.tokens[name] = admin.add_user(email, password)
            SECRETS.append(self.tokens[name])
            self.emails[name] = email
            for task, value in zip(self.tasks, values.split(), strict=True):
                made = self.call("direct", name, "POST", f"/api/tasks/{task}/annotations/",
                                 {"result": result(value), "task": task})  # fmt: skip
                self.made[name, task] = made.json()["id"]
        self.door = start_door(studio.home, studio.url)
        self.home = ["--home", str(studio.home)]
        self.project = ["--project", str(self.project_id), *self.home]
        first = mauqif("pull", *self.project, "-o", tmp_path / "exports")
        assert first.code == 0, first.err
        self.before = self.agreement("before")

    def call(self, via: str, name: str, method: str, path: str, body=None) -> httpx.Response:
        base = self.door.url if via == "door" else self.studio.url
        return httpx.request(
            method,
            f"{base}{path}",
            headers={"Authorization": f"Token {self.tokens[name]}"},
            json=body,
            timeout=120,
        )

    def agreement(self, name: str) -> bytes:
        return self.agreement_run(name)[0]

    def agreement_run(self, name: str):
        """(the figures as CSV bytes, the command's result)."""
        path = self.tmp / f"agreement-{name}.csv"
        r = self.mauqif("agreement", *self.project, "--bootstrap", "0", "--csv", path)
        assert r.code == 0, r.err
        return path.read_bytes(), r

    def pull(self):
        r = self.mauqif("pull", *self.project, "-o", self.tmp / "exports")
        assert r.code == 0, r.err
        return r

    def refused(self) -> list[dict]:
        path = DoorFiles(self.studio.home).refused
        return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []

    def close(self):
        stop_door(self.studio.home)


@pytest.fixture(scope="module")
def team(fault_studio, tmp_path_factory, command_env, request):
    from .conftest import MAUQIF, OUTPUTS, Result

    outputs = request.config.stash[OUTPUTS]

    def mauqif(*args):
        import subprocess

        args = [str(a) for a in args]
        done = subprocess.run([str(MAUQIF), *args], env=command_env, capture_output=True,
                              timeout=600)  # fmt: skip
        out, err = done.stdout.decode(), done.stderr.decode()
        outputs.append(out + err)
        return Result(args, done.returncode, out, err)

    fault_studio.ensure_running()
    made = Team(fault_studio, tmp_path_factory.mktemp("team-faults"), mauqif)
    try:
        yield made
    finally:
        made.close()


def changes_line(pulled, annotation_id: int) -> str:
    lines = [x.strip() for x in pulled.err.splitlines() if f"annotation {annotation_id} " in x]
    return lines[0] if lines else "(not reported)"


def test_a2_reads_a1s_answer(team, fault_row):
    victim = team.made["a1", team.tasks[0]]
    door = team.call("door", "a2", "GET", f"/api/annotations/{victim}/")
    direct = team.call("direct", "a2", "GET", f"/api/annotations/{victim}/")
    logged = any(
        r["member"] == team.emails["a2"] and str(victim) in r["uri"] for r in team.refused()
    )
    fault_row("annotator a2 reads a1's answer on a shared task", "GET /api/annotations/A1",
              "door: 403, in door/refused.jsonl naming a2; round the door: 200 (a read leaves "
              "no trace in Label Studio: prevented only by the door)",
              f"door {door.status_code}, logged: {logged}; round the door {direct.status_code}")  # fmt: skip
    assert door.status_code == 403 and logged
    assert direct.status_code == 200  # Community Label Studio cannot refuse it


def test_a2_exports_the_project(team, fault_row):
    path = f"/api/projects/{team.project_id}/export?exportType=JSON"
    door = team.call("door", "a2", "GET", path)
    snapshot = team.call("door", "a2", "POST", f"/api/projects/{team.project_id}/exports/", {})
    direct = team.call("direct", "a2", "GET", path)
    fault_row("annotator a2 exports the whole project", "GET /api/projects/P/export; POST …/exports",
              "door: 403 for both; round the door: 200 (not detectable)",
              f"door {door.status_code}/{snapshot.status_code}; round the door "
              f"{direct.status_code}")  # fmt: skip
    assert (door.status_code, snapshot.status_code) == (403, 403)
    assert direct.status_code == 200


def test_a2_changes_a1s_answer(team, fault_row):
    victim = team.made["a1", team.tasks[0]]
    path = f"/api/annotations/{victim}/"
    door = team.call("door", "a2", "PATCH", path, {"result": result("against")})
    direct = team.call("direct", "a2", "PATCH", path, {"result": result("against")})
    pulled = team.pull()
    line = changes_line(pulled, victim)
    same = team.agreement("after-change") == team.before
    fault_row("annotator a2 changes a1's answer favor → against", "PATCH /api/annotations/A1; mauqif pull; mauqif agreement",
              "door: 403; round the door: 200, then pull names a2 and the change, agreement figures byte-identical",
              f"door {door.status_code}; round the door {direct.status_code}; pull: {line}; "
              f"agreement unchanged: {same}")  # fmt: skip
    assert door.status_code == 403 and direct.status_code == 200
    assert f"{team.emails['a2']} changed it at" in line
    assert line.endswith(f"{PARTY}: favor → against")
    assert same


def test_a2_makes_an_answer_in_a1s_name(team, fault_row):
    task = team.tasks[1]
    # updated_by too: Label Studio's serializer takes the field, its save() overwrites it
    body = {"result": result("favor"), "task": task, "completed_by": team.ids["a1"],
            "updated_by": team.ids["a1"]}  # fmt: skip
    door = team.call("door", "a2", "POST", f"/api/tasks/{task}/annotations/", body)
    forged = door.json().get("id")
    pulled = team.pull()
    line = changes_line(pulled, forged)
    figures, agreed = team.agreement_run("after-forgery")
    same = figures == team.before
    named = (
        f"{team.emails['a2']} changed" in agreed.out + agreed.err
        and str(forged) in agreed.out + agreed.err
    )
    fault_row("annotator a2 makes an answer in a1's name", "POST /api/tasks/T/annotations {completed_by: A1, updated_by: A1}; mauqif pull; mauqif agreement",
              "door: 201 (it cannot see the body), then pull names a2 ('made by a2 in a1's name'), "
              "agreement names a2 and leaves it out: figures byte-identical",
              f"door {door.status_code}; pull: {line}; agreement names a2: {named}; "
              f"figures unchanged: {same}")  # fmt: skip
    assert door.status_code == 201
    assert line.endswith(f"made by {team.emails['a2']} in {team.emails['a1']}'s name")
    assert named and same


def test_a2_takes_over_a1s_answer(team, fault_row):
    victim = team.made["a1", team.tasks[2]]
    body = {"completed_by": team.ids["a2"]}
    door = team.call("door", "a2", "PATCH", f"/api/annotations/{victim}/", body)
    direct = team.call("direct", "a2", "PATCH", f"/api/annotations/{victim}/", body)
    line = changes_line(team.pull(), victim)
    fault_row("annotator a2 takes a1's answer over (completed_by → a2)", "PATCH /api/annotations/A1 {completed_by: A2}; mauqif pull",
              "door: 403; round the door: 200, then pull names a2 from the record: author a1 → a2",
              f"door {door.status_code}; round the door {direct.status_code}; pull: {line}")  # fmt: skip
    assert door.status_code == 403 and direct.status_code == 200
    assert f"{team.emails['a2']} took it over" in line
    assert line.endswith(f"author {team.emails['a1']} → {team.emails['a2']}")


def test_a2_deletes_a1s_answer(team, fault_row):
    victim = team.made["a1", team.tasks[3]]
    door = team.call("door", "a2", "DELETE", f"/api/annotations/{victim}/")
    direct = team.call("direct", "a2", "DELETE", f"/api/annotations/{victim}/")
    line = changes_line(team.pull(), victim)
    fault_row("annotator a2 deletes a1's answer", "DELETE /api/annotations/A1; mauqif pull",
              "door: 403; round the door: 204, then pull reports the deletion from the record "
              "(Label Studio keeps no trace of who deleted it)",
              f"door {door.status_code}; round the door {direct.status_code}; pull: {line}")  # fmt: skip
    assert door.status_code == 403 and direct.status_code == 204
    assert "someone deleted it" in line and f"{PARTY}: neutral" in line


def filtered_on(answer: str) -> dict:
    """The stream's next task "whose annotations contain `answer`", as the data manager asks it
    on a filtered tab."""
    item = {"filter": "filter:tasks:annotations_results", "operator": "contains",
            "type": "String", "value": answer}  # fmt: skip
    return {"filters": {"conjunction": "and", "items": [item]},
            "selectedItems": {"all": True, "excluded": []}}  # fmt: skip


def test_a2_filters_the_stream_by_a1s_answers(team, fault_row):
    admin = team.studio.client()
    admin.request("POST", f"/api/projects/{team.project_id}/import",
                  json=[{"sentence_id": "tf-only-a1", "text": "جملہ", "context": ""}])  # fmt: skip
    tasks = admin.request("GET", "/api/tasks", params={"project": team.project_id}).json()
    fresh = max(t["id"] for t in tasks["tasks"])
    team.call("direct", "a1", "POST", f"/api/tasks/{fresh}/annotations/",
              {"result": result("against"), "task": fresh})  # fmt: skip
    path = f"/api/dm/actions?id=next_task&project={team.project_id}"
    asked = {
        (via, answer): team.call(via, "a2", "POST", path, filtered_on(answer))
        for via in ("door", "direct")
        for answer in ("against", "nobody-said-it")
    }
    seen = {
        k: (r.status_code, r.json().get("id") if r.status_code == 200 else None)
        for k, r in asked.items()
    }
    by_query = team.call("door", "a2", "POST", f"{path}&query=%7B%7D")
    fault_row("annotator a2 asks the stream for the task a1 answered 'against' (a filter on annotation results)",
              "POST /api/dm/actions?id=next_task {filters: annotations_results contains …}",
              "door: the body is replaced by {}, both filters get the same next task (nothing "
              "learnt), ?query= 403; round the door: 'against' 200, an answer nobody gave 404 "
              "(a1's answer read; leaves no trace: prevented only by the door)",
              f"door {seen['door', 'against']} / {seen['door', 'nobody-said-it']}, ?query= "
              f"{by_query.status_code}; round the door {seen['direct', 'against']} / "
              f"{seen['direct', 'nobody-said-it']}")  # fmt: skip
    assert seen["door", "against"] == seen["door", "nobody-said-it"] == (200, fresh)
    assert by_query.status_code == 403
    assert seen["direct", "against"] == (200, fresh)
    assert seen["direct", "nobody-said-it"] == (404, None)


def test_the_doors_checker_is_killed(team, fault_row):
    files = DoorFiles(team.studio.home)
    pid = read_pid(files.checker_pid)
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    victim = team.made["a2", team.tasks[0]]
    own = team.call("door", "a2", "GET", f"/api/annotations/{victim}/")
    lead = httpx.get(
        f"{team.door.url}/api/projects/{team.project_id}/export?exportType=JSON",
        headers={"Authorization": f"Token {team.studio.api_key}"},
        timeout=60,
    )
    team.door = start_door(team.studio.home, team.studio.url)
    back = team.call("door", "a2", "GET", f"/api/annotations/{victim}/")
    fault_row("the door's checker SIGKILLed", "GET through the door; mauqif team door start",
              "nothing let through (5xx, even the lead's own calls); start again: works",
              f"a2's own answer {own.status_code}, lead's export {lead.status_code}; after "
              f"restart {back.status_code}")  # fmt: skip
    assert own.status_code >= 500 and lead.status_code >= 500
    assert back.status_code == 200

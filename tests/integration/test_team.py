"""A team on a real Label Studio: accounts, blind overlap, agreement, adjudication.

Three annotators made by `mauqif team add` label an overlapping set (through the API, and one
task through the labelling page in Chromium); `mauqif agreement` must give the alpha and kappas
computed here from the answers by the textbook formulas; `mauqif adjudicate` must queue exactly
the tasks they disagree on; a reviewer settles one in Chromium and the rest through the API; the
next `pull` has each verdict as ground truth, and `train` says where its labels came from.
"""

from __future__ import annotations

import math
import re
import secrets
from collections import Counter
from itertools import combinations
from pathlib import Path

import httpx
import pandas as pd
import pytest
from click.testing import CliRunner

from mauqif.annotate.labels import read_export
from mauqif.annotate.schema import MENTIONS_TAG, SENTIMENT_TAG, stance_tag
from mauqif.annotate.studio import connect, push
from mauqif.annotate.studio.config import sentiment_hotkeys, stance_hotkeys
from mauqif.cli import cli

from .browser import ARTIFACTS, logged_in_page, wait_for
from .helpers import all_tasks, choices

ROOT = Path(__file__).resolve().parents[2]
CREATED = re.compile(r"^created  (\S+)  password: (\S+)$", re.M)


def mauqif(*args: str):
    return CliRunner().invoke(cli, list(args))


def on_server(local_server) -> list[str]:
    return ["--home", str(local_server.local.home)]


def log_in(url: str, email: str, password: str) -> str:
    """Log in as a person does and read the API token from the account page's endpoint."""
    with httpx.Client(base_url=url, timeout=60) as web:
        web.get("/user/login/")
        csrf = web.cookies.get("csrftoken", "")
        web.post(
            "/user/login/",
            data={"email": email, "password": password, "csrfmiddlewaretoken": csrf},
            headers={"Referer": f"{url}/user/login/", "X-CSRFToken": csrf},
        )
        assert "sessionid" in web.cookies, f"{email} cannot log in with the password shown"
        return web.get("/api/current-user/token").json()["token"]


@pytest.fixture(scope="module")
def team(local_server):
    """Three annotators and a reviewer, made by `mauqif team add`: {role: (email, password)}."""
    tag = secrets.token_hex(3)
    emails = {role: f"{role}-{tag}@example.org" for role in ("ann1", "ann2", "ann3", "lead")}
    result = mauqif("team", "add", *emails.values(), *on_server(local_server))
    assert result.exit_code == 0, result.output
    shown = dict(CREATED.findall(result.output))
    assert sorted(shown) == sorted(emails.values())
    return {role: (email, shown[email]) for role, email in emails.items()}


def press_answers(page, schema, answers: dict[str, str]) -> None:
    """Choose answers with the labelling page's keyboard shortcuts."""
    stance_keys, sentiment_keys = stance_hotkeys(schema), sentiment_hotkeys(schema)
    page.locator(".mauqif-questions").click(position={"x": 5, "y": 5})
    for question, value in answers.items():
        if question == SENTIMENT_TAG:
            page.keyboard.press(sentiment_keys[value])
        else:
            page.keyboard.press(stance_keys[question.removeprefix("stance_")][value])


def selected(page, schema) -> dict[str, str | None]:
    groups = page.locator(".mauqif-questions .lsf-choices")
    names = [stance_tag(p) for p in schema.party_ids] + [SENTIMENT_TAG]
    out = {}
    for i, name in enumerate(names):
        checked = groups.nth(i).locator(".ant-radio-wrapper-checked input")
        out[name] = checked.get_attribute("name") if checked.count() == 1 else None
    return out


def user_id(annotation: dict) -> int:
    """The annotator's id (`/api/tasks/<id>` gives the user as an object)."""
    who = annotation["completed_by"]
    return who["id"] if isinstance(who, dict) else who


# ---- the textbook formulas, written out here independently of mauqif ---------------------------


def textbook_alpha(units: list[list[str]]) -> float:
    """Krippendorff's nominal alpha: 1 − (n − 1) Σ_{c≠k} o_ck / Σ_{c≠k} n_c n_k."""
    o = Counter()
    for values in units:
        m = len(values)
        if m < 2:
            continue
        for i, c in enumerate(values):
            for j, k in enumerate(values):
                if i != j:
                    o[c, k] += 1 / (m - 1)
    n_c = Counter()
    for (c, _), v in o.items():
        n_c[c] += v
    n = sum(n_c.values())
    disagree = sum(v for (c, k), v in o.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
    if not expected:
        return math.nan
    return 1 - (n - 1) * disagree / expected


def textbook_kappa(a: list[str], b: list[str]) -> float:
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    expected = sum(a.count(c) * b.count(c) for c in set(a) | set(b)) / (n * n)
    return math.nan if expected == 1 else (observed - expected) / (1 - expected)


def same(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, abs=1e-9)


# ---- the tests ---------------------------------------------------------------------------------


def test_team_add_shows_each_new_login_once_and_leaves_members_alone(local_server, team, admin):
    email, password = team["ann1"]
    assert log_in(local_server.url, email, password)
    fresh = f"new-{secrets.token_hex(3)}@example.org"
    result = mauqif("team", "add", email, "not-an-address", fresh, *on_server(local_server))
    assert result.exit_code == 1
    assert f"exists   {email} (already a member; password unchanged)" in result.output
    assert password not in result.output
    assert "refused: not-an-address: not an e-mail address" in result.output
    assert [e for e, _ in CREATED.findall(result.output)] == [fresh]
    assert "Error: 1 address refused (see above)" in result.output
    assert fresh in admin.users().values()

    invite = mauqif("team", "add", "someone@example.org", "--invite", *on_server(local_server))
    assert invite.exit_code == 0, invite.output
    assert f"{local_server.url}/user/signup/?token=" in invite.output
    assert "someone@example.org" not in admin.users().values()
    assert local_server.api_key not in result.output + invite.output


def test_setup_overlap_sets_the_projects_overlap_and_says_so(
    local_server, admin, new_project, schema, units
):
    setup = new_project()
    push(admin, setup.project_id, units[:10], schema)
    result = mauqif(
        "setup", "--title", setup.title, "--overlap", "2", "--overlap-share", "0.3",
        *on_server(local_server),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    project = admin.sdk.projects.get(id=setup.project_id)
    assert project.maximum_annotations == 2
    assert project.overlap_cohort_percentage == 30
    overlapping = sum(t["overlap"] > 1 for t in all_tasks(admin, setup.project_id))
    assert overlapping == 3
    assert "30% of the tasks (3 of 10 now) go to 2 different annotators" in result.output


def test_a_team_labels_blind_agreement_is_exact_and_verdicts_become_ground_truth(
    local_server, admin, team, browser, new_project, schema, units, tmp_path
):
    gold_tasks, _ = read_export(ROOT / "exports" / "gold" / "gold.json")
    gold = {
        t["data"]["sentence_id"]: next(a for a in t["annotations"] if a["ground_truth"])["result"]
        for t in gold_tasks
    }
    setup = new_project()
    push(admin, setup.project_id, units, schema)
    overlap = mauqif("setup", "--title", setup.title, "--overlap", "3", *on_server(local_server))
    assert overlap.exit_code == 0, overlap.output
    tasks = sorted(all_tasks(admin, setup.project_id), key=lambda t: t["id"])
    n = len(tasks)
    assert f"100% of the tasks ({n} of {n} now) go to 3 different annotators" in overlap.output
    project_args = ["--project", str(setup.project_id), *on_server(local_server)]

    listed = mauqif("team", "list", *project_args)
    assert listed.exit_code == 0, listed.output
    email1 = team["ann1"][0]
    assert re.search(rf"^{re.escape(email1)}\s+0\s+0\s+{n}\s+0$", listed.output, re.M), (
        listed.output
    )

    # The plan: everyone gives the gold answer, except where noted; ann2 skips one task; ann3
    # labels the last task on the labelling page in Chromium.
    party = schema.party_ids[0]
    stance_q = stance_tag(party)

    def other(question: str, value: str) -> str:
        values = schema.sentiment_values if question == SENTIMENT_TAG else schema.stance_values
        return next(v for v in values if v != value)

    plan: dict[str, dict[int, dict | None]] = {"ann1": {}, "ann2": {}, "ann3": {}}
    for i, task in enumerate(tasks):
        truth = choices(gold[task["data"]["sentence_id"]])
        truth.pop(MENTIONS_TAG, None)
        for role in plan:
            answer = dict(truth)
            if role == "ann2" and i % 5 == 1:
                answer[SENTIMENT_TAG] = other(SENTIMENT_TAG, truth[SENTIMENT_TAG])
            if role == "ann3" and i % 7 == 3:
                answer[stance_q] = other(stance_q, truth[stance_q])
            if role == "ann1" and i % 11 == 6:
                answer[stance_q] = other(stance_q, truth[stance_q])
                answer[SENTIMENT_TAG] = other(SENTIMENT_TAG, truth[SENTIMENT_TAG])
            plan[role][task["id"]] = answer
    skipped_task = tasks[4]["id"]
    plan["ann2"][skipped_task] = None
    browser_task = tasks[-1]
    assert plan["ann3"][browser_task["id"]] == {
        k: v
        for k, v in choices(gold[browser_task["data"]["sentence_id"]]).items()
        if k != MENTIONS_TAG
    }

    def result_of(task: dict, answer: dict) -> list[dict]:
        spans = [r for r in gold[task["data"]["sentence_id"]] if r["from_name"] == MENTIONS_TAG]
        return spans + [
            {"from_name": q, "to_name": "text", "type": "choices", "value": {"choices": [v]}}
            for q, v in answer.items()
        ]

    tokens = {role: log_in(local_server.url, *team[role]) for role in ("ann1", "ann2", "ann3")}
    as_ann1 = connect(local_server.url, tokens["ann1"])
    for task in tasks:
        as_ann1.sdk.annotations.create(
            id=task["id"], result=result_of(task, plan["ann1"][task["id"]])
        )

    # Blind: the next task Label Studio serves ann2 carries none of ann1's annotations.
    served = httpx.get(
        f"{local_server.url}/api/projects/{setup.project_id}/next",
        headers={"Authorization": f"Token {tokens['ann2']}"},
        timeout=60,
    ).json()
    assert served["id"] in {t["id"] for t in tasks}
    assert served.get("annotations", []) == []

    as_ann2 = connect(local_server.url, tokens["ann2"])
    for task in tasks:
        answer = plan["ann2"][task["id"]]
        if answer is None:
            as_ann2.sdk.annotations.create(id=task["id"], result=[], was_cancelled=True)
        else:
            as_ann2.sdk.annotations.create(id=task["id"], result=result_of(task, answer))
    as_ann3 = connect(local_server.url, tokens["ann3"])
    for task in tasks[:-1]:
        as_ann3.sdk.annotations.create(
            id=task["id"], result=result_of(task, plan["ann3"][task["id"]])
        )

    # ann3's last task, on the labelling page: the stream serves it, with nobody else's answers.
    page = logged_in_page(browser, local_server.url, *team["ann3"])
    page.goto(f"{local_server.url}/projects/{setup.project_id}/data?labeling=1")
    modal = page.locator(".lsf-modal-ls__content").filter(has_text="Labeling Instructions")
    modal.wait_for()
    modal.locator("button[aria-label^=Close]").first.click()
    modal.wait_for(state="hidden")
    sentence = page.locator(".mauqif-sentence .lsf-richtext__line")
    sentence.wait_for()
    assert sentence.inner_text().strip() == browser_task["data"]["text"]
    assert all(v is None for v in selected(page, schema).values())  # blind: nothing chosen
    wanted = plan["ann3"][browser_task["id"]]
    press_answers(page, schema, wanted)
    wait_for(lambda: selected(page, schema) == wanted, 10, "the shortcuts to select the answers")
    page.locator("[data-testid=bottombar-submit-button]").click()
    ann3_id = next(i for i, e in admin.users().items() if e == team["ann3"][0])
    wait_for(
        lambda: any(
            user_id(a) == ann3_id
            for a in admin.request("GET", f"/api/tasks/{browser_task['id']}").json()["annotations"]
        ),
        30,
        "ann3's annotation to be saved",
    )
    page.close()
    saved = next(
        a
        for a in admin.request("GET", f"/api/tasks/{browser_task['id']}").json()["annotations"]
        if user_id(a) == ann3_id
    )
    assert {k: v for k, v in choices(saved["result"]).items() if k != MENTIONS_TAG} == wanted

    listed = mauqif("team", "list", *project_args)
    assert listed.exit_code == 0, listed.output
    counts = {role: (n, 0, 0) for role in plan}
    counts["ann2"] = (n - 1, 1, 0)
    for role, (submitted, skipped, pending) in counts.items():
        email = re.escape(team[role][0])
        assert re.search(
            rf"^{email}\s+{submitted}\s+{skipped}\s+{pending}\s+0$", listed.output, re.M
        ), (
            role,
            listed.output,
        )

    # Agreement, against the textbook formulas on the plan.
    csv = tmp_path / "agreement.csv"
    report = tmp_path / "agreement.html"
    measured = mauqif("agreement", *project_args, "--csv", str(csv), "--report", str(report))
    assert measured.exit_code == 0, measured.output
    figures = pd.read_csv(csv)
    answered = {
        role: {t: a for t, a in given.items() if a is not None} for role, given in plan.items()
    }
    emails = {role: team[role][0] for role in plan}
    for question in [stance_tag(p) for p in schema.party_ids] + [SENTIMENT_TAG]:
        units_ = [
            [answered[r][t["id"]][question] for r in plan if t["id"] in answered[r]] for t in tasks
        ]
        row = figures[(figures.measure == "krippendorff_alpha") & (figures.question == question)]
        assert same(float(row.value.iloc[0]), textbook_alpha(units_)), question
        for a, b in combinations(plan, 2):
            shared = [t["id"] for t in tasks if t["id"] in answered[a] and t["id"] in answered[b]]
            expected = textbook_kappa(
                [answered[a][t][question] for t in shared],
                [answered[b][t][question] for t in shared],
            )
            pair = sorted([emails[a], emails[b]])
            row = figures[
                (figures.measure == "cohen_kappa")
                & (figures.question == question)
                & (figures.annotator == pair[0])
                & (figures.annotator_b == pair[1])
            ]
            assert int(row.n.iloc[0]) == len(shared)
            assert same(float(row.value.iloc[0]), expected), (question, a, b)
    sentiment_alpha = textbook_alpha(
        [
            [answered[r][t["id"]][SENTIMENT_TAG] for r in plan if t["id"] in answered[r]]
            for t in tasks
        ]
    )
    assert re.search(
        rf"^sentiment\s+{n}\s+{3 * n - 1}\s+\S+\s+{sentiment_alpha:.3f}", measured.output, re.M
    )
    assert "<img" in report.read_text("utf-8")

    # Adjudication: exactly the tasks whose answers differ go to the review project, once.
    disagreeing = {
        t["id"]
        for t in tasks
        if any(
            len({answered[r][t["id"]][q] for r in plan if t["id"] in answered[r]}) > 1
            for q in [stance_tag(p) for p in schema.party_ids] + [SENTIMENT_TAG]
        )
    }
    assert disagreeing
    first = mauqif("adjudicate", *project_args)
    assert first.exit_code == 0, first.output
    k = len(disagreeing)
    assert (
        f"{k} tasks with disagreeing annotators and no verdict: {k} queued now, 0 already waiting"
        in first.output
    )
    review = admin.find_project(f"{setup.title} (review)")
    try:
        queued = all_tasks(admin, review.id)
        assert sorted(t["data"]["main_task_id"] for t in queued) == sorted(disagreeing)
        again = mauqif("adjudicate", *project_args)
        assert f"{k} already waiting" in again.output
        assert len(all_tasks(admin, review.id)) == k

        # The reviewer settles the first one on the review page, in Chromium.
        page = logged_in_page(browser, local_server.url, *team["lead"])
        page.goto(f"{local_server.url}/projects/{review.id}/data?labeling=1")
        sentence = page.locator(".mauqif-sentence .lsf-richtext__line")
        sentence.wait_for()
        shown = sentence.inner_text().strip()
        [reviewed] = [t for t in queued if t["data"]["text"] == shown]
        main_id = reviewed["data"]["main_task_id"]
        competing = page.locator(".mauqif-review")
        competing.wait_for()
        table = competing.inner_text()
        differ = [
            q
            for q in [stance_tag(p) for p in schema.party_ids] + [SENTIMENT_TAG]
            if len({answered[r][main_id][q] for r in plan if main_id in answered[r]}) > 1
        ]
        for q in differ:
            values = schema.sentiment if q == SENTIMENT_TAG else schema.stance
            for r in plan:
                if main_id in answered[r]:
                    en = next(v.en for v in values if v.value == answered[r][main_id][q])
                    assert en in table, (q, en, table)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "review-page.png"), full_page=True)
        # What everyone agreed on is already chosen; the disputed questions are open.
        agreed = {
            q: (
                None if q in differ else answered["ann1"].get(main_id, answered["ann3"][main_id])[q]
            )
            for q in [stance_tag(p) for p in schema.party_ids] + [SENTIMENT_TAG]
        }
        wait_for(lambda: selected(page, schema) == agreed, 15, "the agreed answers pre-selected")
        truth = {
            k_: v
            for k_, v in choices(gold[reviewed["data"]["sentence_id"]]).items()
            if k_ != MENTIONS_TAG
        }
        press_answers(page, schema, {q: truth[q] for q in differ})
        wait_for(lambda: selected(page, schema) == truth, 10, "the reviewer's answers")
        page.locator("[data-testid=bottombar-submit-button]").click()
        wait_for(
            lambda: admin.request("GET", f"/api/tasks/{reviewed['id']}").json().get("annotations"),
            30,
            "the verdict to be saved",
        )
        page.close()
        as_lead = connect(local_server.url, log_in(local_server.url, *team["lead"]))
        by_main = {t["id"]: t for t in tasks}
        for task in queued:
            if task["id"] == reviewed["id"]:
                continue
            main = by_main[task["data"]["main_task_id"]]
            truth_ = {
                q: v
                for q, v in choices(gold[main["data"]["sentence_id"]]).items()
                if q != MENTIONS_TAG
            }
            as_lead.sdk.annotations.create(id=task["id"], result=result_of(main, truth_))

        # The next pull has every verdict as the reviewer's ground truth.
        pulled = mauqif("pull", *project_args, "-o", str(tmp_path / "exports"))
        assert pulled.exit_code == 0, pulled.output
        assert f"{k} reviewers' verdicts brought back as ground truth" in pulled.output
        [snapshot] = [
            p
            for p in (tmp_path / "exports" / "snapshots").glob("*.json")
            if not p.name.endswith(".meta.json")
        ]
        exported, meta = read_export(snapshot)
        for task in exported:
            truth_rows = [a for a in task["annotations"] if a["ground_truth"]]
            if task["id"] not in disagreeing:
                assert truth_rows == []
                continue
            [verdict] = truth_rows
            assert meta["users"][str(verdict["completed_by"])] == team["lead"][0]
            expected = {
                q: v
                for q, v in choices(gold[task["data"]["sentence_id"]]).items()
                if q != MENTIONS_TAG
            }
            assert {
                q: v for q, v in choices(verdict["result"]).items() if q != MENTIONS_TAG
            } == expected

        # Agreement on the snapshot leaves the verdicts out: the same alpha as before.
        again = mauqif("agreement", str(snapshot), "--csv", str(tmp_path / "again.csv"))
        assert again.exit_code == 0, again.output
        after = pd.read_csv(tmp_path / "again.csv")
        alpha_now = after[
            (after.measure == "krippendorff_alpha") & (after.question == SENTIMENT_TAG)
        ]
        assert same(float(alpha_now.value.iloc[0]), sentiment_alpha)

        # Training takes the verdicts first and says where each sentence's labels came from.
        trained = mauqif(
            "train", "--data", str(tmp_path / "exports" / "snapshots"), "--models", str(tmp_path / "models"),
            "--folds", "2", "--no-learning-curve", "--promote", "always",
        )  # fmt: skip
        assert trained.exit_code == 0, trained.output
        assert (
            f"sentences labelled by: {n - k} agreement, {k} adjudication, 0 majority, "
            "0 single annotator" in trained.output
        )
        for role, (_email, password) in team.items():
            assert password not in first.output + pulled.output + trained.output, role
    finally:
        admin.sdk.projects.delete(id=review.id)

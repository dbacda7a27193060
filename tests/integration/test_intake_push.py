"""`mauqif push` from the web into a real Label Studio: feeds, the fetch cache, near-duplicates.

The news sites are http.servers on 127.0.0.1 (`tests/newssites.py`); Label Studio is the
session's real server.
"""

from __future__ import annotations

from click.testing import CliRunner
from newssites import (
    FISH,
    FISH_TITLE,
    RAIL,
    RAIL_B,
    RAIL_C,
    RAIL_TITLE,
    Reply,
    Site,
    article_html,
    rss,
)

from mauqif.annotate.normalize import normalize
from mauqif.cli.main import cli

from .helpers import all_tasks


def push(local_server, project, *args: str):
    return CliRunner().invoke(
        cli,
        [
            "push",
            *args,
            "--home",
            str(local_server.local.home),
            "--project",
            str(project.project_id),
            "--no-model",
            "--delay",
            "0",
        ],
        env={},
    )


def test_a_feed_push_creates_tasks_with_urls_and_dates_and_a_rerun_fetches_and_adds_nothing(
    local_server, admin, new_project
):
    site = Site()
    try:
        rail = site.page(
            "/world/rail.html",
            article_html(RAIL_TITLE, RAIL, published="2026-11-20", author="نامہ نگار خصوصی"),
        )
        fish = site.page(
            "/world/fish.html",
            article_html(FISH_TITLE, FISH, published="2026-11-21", author="ٹوکیو ڈیسک"),
        )
        site.routes["/feed.xml"] = Reply(
            200,
            rss(
                [
                    (rail, RAIL_TITLE, "Fri, 20 Nov 2026 09:30:00 +0500"),
                    (fish, FISH_TITLE, "Sat, 21 Nov 2026 09:30:00 +0500"),
                ]
            ),
            {"Content-Type": "application/rss+xml"},
        )
        project = new_project()
        first = push(local_server, project, "--feed", site.url + "/feed.xml")
        assert first.exit_code == 0, first.output
        tasks = [t["data"] for t in all_tasks(admin, project.project_id)]
        n = len(RAIL) + len(FISH) + 2  # and the two headlines
        assert len(tasks) == n
        assert f"{n} added, 0 skipped" in first.stdout
        assert {(t["url"], t["published"]) for t in tasks} == {
            (rail, "2026-11-20"),
            (fish, "2026-11-21"),
        }
        assert {t["author"] for t in tasks if t["url"] == rail} == {"نامہ نگار خصوصی"}
        assert RAIL[3] in {t["text"] for t in tasks}

        asked = dict(site.hits)
        second = push(local_server, project, "--feed", site.url + "/feed.xml")
        assert second.exit_code == 0, second.output
        assert dict(site.hits) == asked  # the feed and the pages came from the cache
        assert f"0 added, {n} skipped" in second.stdout
        assert len(all_tasks(admin, project.project_id)) == n
        assert local_server.api_key not in first.output + second.output
    finally:
        site.close()


def test_a_wire_story_on_three_sites_is_labelled_once_in_one_push_or_several(
    local_server, admin, new_project
):
    sites = [Site() for _ in range(3)]
    try:
        a, b, c = (
            site.page(
                "/story.html",
                article_html(RAIL_TITLE, text, published="2026-11-20", author="ڈیسک"),
            )
            for site, text in zip(sites, (RAIL, RAIL_B, RAIL_C), strict=True)
        )
        # One push of all three: the sentences of the story once, and site C's own sentence.
        together = new_project()
        result = push(local_server, together, a, b, c)
        assert result.exit_code == 0, result.output
        tasks = [t["data"] for t in all_tasks(admin, together.project_id)]
        texts = [normalize(t["text"]) for t in tasks]
        assert len(texts) == len(set(texts)) == len(RAIL) + 2
        assert {t["text"] for t in tasks if t["article_id"] == c} == {RAIL_C[-1]}
        assert f"duplicate: {b} duplicate_of {a}" in result.stderr

        # Pushed one site at a time: what is already in the project counts too.
        apart = new_project()
        assert push(local_server, apart, a).exit_code == 0
        later = push(local_server, apart, b, c)
        assert later.exit_code == 0, later.output
        assert "1 added, 0 skipped" in later.stdout
        assert f"duplicate: {b} duplicate_of {a} (6 of 6 units seen before, dropped)" in (
            later.stderr
        )
        again = push(local_server, apart, a, b, c)  # exact re-push: skipped, not "duplicates"
        assert "0 added, 7 skipped" in again.stdout
        assert len(all_tasks(admin, apart.project_id)) == len(RAIL) + 2
    finally:
        for site in sites:
            site.close()

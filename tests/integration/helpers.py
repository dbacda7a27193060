"""Reading a project's state back from the real server, for assertions."""

from __future__ import annotations

from collections import Counter


def all_tasks(studio, project_id: int) -> list[dict]:
    """Every task of the project with its predictions and annotations (the admin's view)."""
    tasks, page = [], 1
    while True:
        body = studio.request(
            "GET",
            "/api/tasks",
            params={"project": project_id, "page": page, "page_size": 500, "fields": "all"},
        ).json()
        tasks.extend(body["tasks"])
        if len(tasks) >= body["total"] or not body["tasks"]:
            return tasks
        page += 1


def sentence_counts(studio, project_id: int) -> Counter:
    return Counter(t["data"]["sentence_id"] for t in all_tasks(studio, project_id))


def choices(result: list[dict]) -> dict[str, str]:
    """{from_name: the one choice} of a result list."""
    return {r["from_name"]: r["value"]["choices"][0] for r in result if r["type"] == "choices"}


def spans(result: list[dict]) -> list[tuple[int, int, str]]:
    return sorted(
        (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
        for r in result
        if r["type"] == "labels"
    )

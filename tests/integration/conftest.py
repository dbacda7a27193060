"""One real Label Studio server for the whole test session (startup costs ~20-40 s on 2 cores).

It is started from the installed `label-studio` package by mauqif's own `start()`, on a free
127.0.0.1 port, with a temporary data directory and the offline switches (no version check,
analytics or Sentry), and stopped at the end. Nothing here mocks Label Studio.

Fixtures for tests in this folder (the browser test belongs here too, to share the server):
`local_server` (url, credentials, home), `admin` (a connected `Studio`), `annotator` (a second
user with email, password and API token), `new_project` (a factory of uniquely titled projects,
deleted at the end of the test), `units` (sentence units of a few sample articles), `model` (a real
model trained on the gold set, saved and loaded).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pytest

from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.reader import iter_articles
from mauqif.annotate.studio import LocalStudio, connect, start, status, stop

from .browser import browser  # noqa: F401 (the browser tests' fixture: one chromium per module)

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.studio)


@dataclass(frozen=True)
class LocalServer:
    local: LocalStudio
    url: str
    api_key: str
    username: str
    password: str
    pid: int


@pytest.fixture(scope="session")
def local_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("mauqif-home")
    local = LocalStudio(home)
    state = start(local, base_env=dict(os.environ), timeout=300)
    credentials = local.credentials()
    try:
        yield LocalServer(
            local,
            credentials.url,
            credentials.api_key,
            credentials.username,
            credentials.password,
            state.pid,
        )
    finally:
        # What `mauqif studio stop` stops: the demo's model backend and the door go with it.
        from mauqif.annotate.studio.backend import stop_backend
        from mauqif.annotate.studio.door import stop_door

        stop_backend(home)
        stop_door(home)
        stop(local)
        after = status(local)
        assert not after.running and after.pid is None, f"Label Studio (pid {state.pid}) still runs"


@pytest.fixture(scope="session")
def admin(local_server):
    return connect(local_server.url, local_server.api_key)


@dataclass(frozen=True)
class Account:
    id: int
    email: str
    password: str
    api_key: str


@pytest.fixture(scope="session")
def annotator(admin):
    email = f"annotator-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(12)
    user_id, token = admin.add_user(email, password)
    return Account(user_id, email, password, token)


@pytest.fixture
def new_project(admin, schema):
    """Make projects with unique titles from the schema; each is deleted after the test."""
    made = []

    def make(schema_=None, **kwargs):
        title = f"test-{secrets.token_hex(4)}"
        result = admin.setup_project(schema_ or schema, title=title, **kwargs)
        made.append(result.project_id)
        return result

    try:
        yield make
    finally:
        for project_id in made:
            admin.sdk.projects.delete(id=project_id)


@pytest.fixture(scope="session")
def sample_dir():
    with resources.as_file(
        resources.files("mauqif.annotate").joinpath("samples", "articles")
    ) as path:
        yield path


@pytest.fixture(scope="session")
def units(schema, sample_dir):
    """The units of three sample articles (a few dozen sentences)."""
    paths = sorted(sample_dir.glob("*.txt"))[:3]
    return list(Segmenter.default(schema).iter_units(iter_articles(paths)))


@pytest.fixture(scope="session")
def model(schema, tmp_path_factory):
    """A real model trained on the gold set, saved and loaded as push loads it."""
    from mauqif.annotate.labels import aggregate, read_exports
    from mauqif.model import load_model, save_model, train_model

    sentences, _ = aggregate(read_exports([ROOT / "exports" / "gold" / "gold.json"]), schema)
    path = save_model(train_model(sentences, schema), tmp_path_factory.mktemp("models"))
    return load_model(path, schema)

"""The local server, the project made from the schema, and the errors a user sees."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from label_studio_sdk.label_interface import LabelInterface

from mauqif.annotate.schema import MENTIONS_TAG, SENTIMENT_TAG, stance_tag
from mauqif.annotate.studio import LabelConfigRejected, label_config
from mauqif.annotate.studio.server import free_port
from mauqif.cli import cli

from .helpers import all_tasks


def invoke(*args, env=None):
    return CliRunner().invoke(cli, [str(a) for a in args], env=env or {}, catch_exceptions=False)


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_status_says_running_and_start_reuses_the_server(local_server):
    home = local_server.local.home
    status = invoke("studio", "status", "--json", "--home", home)
    assert status.exit_code == 0
    data = json.loads(status.output)
    assert (
        data["running"] is True
        and data["url"] == local_server.url
        and data["pid"] == local_server.pid
    )
    assert local_server.url.startswith("http://127.0.0.1:")

    again = invoke("studio", "start", "--home", home)
    assert again.exit_code == 0, again.output
    assert f"already running at {local_server.url} (pid {local_server.pid})" in again.output
    # The password and key stay in the credentials file, readable by the owner only.
    assert local_server.password not in again.output + status.output
    assert local_server.api_key not in again.output + status.output
    assert (local_server.local.credentials_path.stat().st_mode & 0o777) == 0o600
    log = local_server.local.log_path.read_text("utf-8", errors="replace")
    assert local_server.password not in log and local_server.api_key not in log


def listening_addresses(port: int) -> set[str]:
    """The local addresses sockets LISTEN on for this TCP port (Linux /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_the_server_listens_on_loopback_only(local_server):
    port = int(local_server.url.rsplit(":", 1)[1])
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux /proc/net/tcp")
    # 0100007F is 127.0.0.1 in /proc's byte order; 00000000 would be every interface.
    assert listening_addresses(port) == {"0100007F"}


def test_setup_creates_the_project_then_finds_it(admin, new_project, schema):
    first = new_project(sampling="uncertainty")
    assert first.created
    again = admin.setup_project(schema, title=first.title)
    assert (again.project_id, again.created, again.config_changed) == (
        first.project_id,
        False,
        False,
    )

    project = admin.project(project_id=first.project_id)
    assert project.label_config.strip() == label_config(schema).strip()
    assert (
        project.show_instruction
        and "حمایت" in project.expert_instruction
        and "Favor" in project.expert_instruction
    )
    assert project.show_collab_predictions
    assert project.sampling == "Uncertainty sampling"
    # The config Label Studio keeps parses to the schema's questions, read through LabelInterface.
    interface = LabelInterface(project.label_config)
    assert interface.get_control(MENTIONS_TAG).labels == schema.party_ids
    for party in schema.party_ids:
        assert interface.get_control(stance_tag(party)).labels == schema.stance_values
    assert interface.get_control(SENTIMENT_TAG).labels == schema.sentiment_values


def test_setup_cli_says_created_then_up_to_date(local_server, admin):
    title = "cli-setup-test"
    try:
        first = invoke("setup", "--home", local_server.local.home, "--title", title)
        second = invoke("setup", "--home", local_server.local.home, "--title", title)
        assert first.exit_code == 0 and "created" in first.output
        assert second.exit_code == 0 and "up to date" in second.output
    finally:
        project = admin.find_project(title)
        if project is not None:
            admin.sdk.projects.delete(id=project.id)


def test_a_schema_change_label_studio_refuses_names_the_labels(
    admin, annotator, new_project, schema, units
):
    from mauqif.annotate.studio import push

    setup = new_project()
    push(admin, setup.project_id, units[:2], schema)
    task = all_tasks(admin, setup.project_id)[0]
    from mauqif.annotate.studio import connect

    connect(admin.url, annotator.api_key).sdk.annotations.create(
        id=task["id"],
        result=[
            {
                "from_name": SENTIMENT_TAG,
                "to_name": "text",
                "type": "choices",
                "value": {"choices": ["positive"]},
            }
        ],
    )
    without_positive = dataclasses.replace(
        schema, sentiment=tuple(v for v in schema.sentiment if v.value != "positive")
    )
    with pytest.raises(LabelConfigRejected) as caught:
        admin.setup_project(without_positive, title=setup.title)
    message = str(caught.value)
    assert "positive" in message and SENTIMENT_TAG in message and "\n" not in message
    # Nothing changed on the server.
    assert (
        admin.project(project_id=setup.project_id).label_config.strip()
        == label_config(schema).strip()
    )


def test_a_wrong_api_key_is_one_clean_line(local_server):
    result = invoke("setup", "--url", local_server.url, "--api-key", "not-the-key")
    line = one_error_line(result)
    assert line.startswith(f"Error: Label Studio at {local_server.url} refused the API key (401)")
    assert "--api-key" in line


def test_a_stopped_server_is_one_clean_line(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = invoke("pull", "--url", url, "--api-key", "whatever", "-o", tmp_path)
    line = one_error_line(result)
    assert line.startswith(f"Error: cannot reach Label Studio at {url}")
    assert "mauqif studio start" in line
    assert not any(tmp_path.iterdir())


def test_no_server_configured_says_what_to_do(tmp_path):
    result = invoke("push", tmp_path, "--home", tmp_path / "nothing-here")
    line = one_error_line(result)
    assert "mauqif studio start" in line and "--url" in line


def test_a_missing_project_is_one_clean_line(local_server):
    result = invoke(
        "push",
        "--home",
        local_server.local.home,
        "--title",
        "no such project",
        "--no-model",
        "-",
        env={},
    )
    line = one_error_line(result)
    assert re.search(
        r"has no project titled 'no such project'; create it with `mauqif setup`", line
    )


# The SDK's token refresh still calls pydantic's deprecated parse_obj.
@pytest.mark.filterwarnings("ignore::DeprecationWarning:label_studio_sdk.*")
def test_a_personal_access_token_works_as_the_api_key(local_server, admin):
    pat = admin.request("POST", "/api/token/").json()[
        "token"
    ]  # a JWT refresh token, not the legacy one
    assert pat != local_server.api_key
    title = f"pat-{local_server.pid}"
    try:
        result = invoke("setup", "--url", local_server.url, "--api-key", pat, "--title", title)
        assert result.exit_code == 0, result.output
        assert f"'{title}' created" in result.output
    finally:
        project = admin.find_project(title)
        if project is not None:
            admin.sdk.projects.delete(id=project.id)

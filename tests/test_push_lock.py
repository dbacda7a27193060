"""One push per project at a time: the lock is held by a live process only."""

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from mauqif.annotate.studio.locks import ProjectBusy, lock_path, project_lock

URL = "http://127.0.0.1:8080"


def hold_lock(home) -> subprocess.Popen:
    """Another process that takes the project's lock and keeps it until killed."""
    code = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from mauqif.annotate.studio.locks import project_lock
        with project_lock(Path({str(home)!r}), {URL!r}, 7):
            print("held", flush=True)
            time.sleep(600)
        """
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_push_finds_the_lock_says_so_and_can_stop_at_once(tmp_path):
    holder = hold_lock(tmp_path)
    told = []
    try:
        with (
            pytest.raises(ProjectBusy, match="another push into project 7 is still running"),
            project_lock(tmp_path, URL, 7, wait=0, on_wait=told.append),
        ):
            pass
        assert told == [lock_path(tmp_path, URL, 7)]
        # Another project on the same server is not blocked.
        with project_lock(tmp_path, URL, 8, wait=0):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_push_leaves_no_lock_behind(tmp_path):
    holder = hold_lock(tmp_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with project_lock(tmp_path, URL, 7, wait=0) as path:
        assert path.exists()
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)


def test_the_lock_file_names_no_credential(tmp_path):
    path = lock_path(tmp_path, "http://user:secret@127.0.0.1:9000", 3)
    assert "secret" not in str(path) and path.name.endswith("project-3.lock")

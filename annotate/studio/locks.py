"""One push at a time per project: a lock file under the mauqif home.

Two pushes into one project at once would both find a sentence missing and both import it. The
lock is an OS file lock (the `filelock` package: `fcntl.flock` on POSIX), so it is released when
its process ends, even killed: a crashed push never leaves a project locked. The lock file names
the server (a hash of its URL, never a credential) and the project.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from .exceptions import StudioError


class ProjectBusy(StudioError):
    """Another push into the same project holds its lock."""


def lock_path(home: Path, url: str, project_id: int) -> Path:
    server = hashlib.sha256(url.rstrip("/").encode("utf-8")).hexdigest()[:12]
    return Path(home) / "locks" / f"push-{server}-project-{project_id}.lock"


@contextmanager
def project_lock(
    home: Path,
    url: str,
    project_id: int,
    wait: float | None = None,
    on_wait: Callable[[Path], None] | None = None,
) -> Iterator[Path]:
    """Hold the push lock of `project_id` on `url`. When another process holds it, `on_wait` is
    told once, then this waits `wait` seconds (None: as long as it takes; 0: not at all) and
    raises `ProjectBusy` if it is still held."""
    path = lock_path(home, url, project_id)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    lock = FileLock(str(path), mode=0o600)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if on_wait is not None:
            on_wait(path)
        try:
            lock.acquire(timeout=-1 if wait is None else wait)
        except Timeout:
            raise ProjectBusy(
                f"another push into project {project_id} is still running (lock {path}, held by "
                "a live process); run this push again when it has finished"
            ) from None
    try:
        yield path
    finally:
        lock.release()
        # The file stays: removing it while another process waits on it would let two in.
        os.utime(path, None)

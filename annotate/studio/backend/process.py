"""Running the backend: in the foreground (`mauqif serve`), or as the background process that
`mauqif studio start` starts beside the local Label Studio (`<home>/backend/`: `serve.pid`,
`serve.log`, `serve.json` with its URL), and that `studio status` reads and `studio stop` ends.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from ..server import read_pid, tail, terminate_group
from .exceptions import BackendError

DEFAULT_PORT = 9090  # Label Studio's documented default for ML backends


def run(app, host: str, port: int, on_started: Callable[[], None] | None = None) -> None:
    """Serve `app` with uvicorn until interrupted; `on_started` runs (in a thread) once the
    socket accepts connections, e.g. to connect the backend to a project."""
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(app, host=host, port=port, log_level="info", lifespan="off")
    )
    if on_started is not None:

        def when_up():
            while not server.started and not server.should_exit:
                time.sleep(0.05)
            if server.started:
                on_started()

        threading.Thread(target=when_up, name="on-started", daemon=True).start()
    server.run()
    if not server.started:
        raise BackendError(f"the model backend could not listen on {host}:{port} (see above)")


def health(url: str, timeout: float = 2.0) -> dict | None:
    """The backend's /health answer, or None when nothing (or something else) answers."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=timeout) as response:
            body = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return None
    return body if isinstance(body, dict) and body.get("model_class") == "mauqif" else None


# ---- the background process of `studio start` ----------------------------------------------------


@dataclass(frozen=True)
class BackendFiles:
    home: Path

    @property
    def dir(self) -> Path:
        return Path(self.home) / "backend"

    @property
    def pid(self) -> Path:
        return self.dir / "serve.pid"

    @property
    def log(self) -> Path:
        return self.dir / "serve.log"

    @property
    def info(self) -> Path:
        return self.dir / "serve.json"


@dataclass(frozen=True)
class BackendStatus:
    running: bool
    url: str | None
    pid: int | None
    model_version: str | None = None
    training: dict | None = None
    problem: str | None = None  # what is wrong, in one line, when it should run but does not

    def to_dict(self) -> dict:
        return asdict(self)


def _is_ours(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True
    return b"mauqif" in cmdline and b"serve" in cmdline


def _read_url(path: Path) -> str | None:
    try:
        return json.loads(path.read_text("utf-8")).get("url")
    except (OSError, ValueError, AttributeError):
        return None


def backend_status(home: Path, timeout: float = 2.0) -> BackendStatus | None:
    """The background backend of `home`, or None when `studio start` never started one."""
    files = BackendFiles(home)
    url = _read_url(files.info)
    if url is None:
        return None
    pid = read_pid(files.pid)
    alive = pid is not None and _is_ours(pid)
    answer = health(url, timeout) if alive else None
    if answer is None:
        problem = (
            f"the model backend (pid {pid}) does not answer at {url}; see {files.log}"
            if alive
            else f"the model backend is not running (last at {url}); Label Studio works without "
            f"suggestions from it. Start it with `mauqif studio start`; see {files.log}"
        )
        return BackendStatus(False, url, pid if alive else None, problem=problem)
    return BackendStatus(True, url, pid, answer.get("model_version"), answer.get("training"), None)


def start_backend(
    home: Path,
    serve_args: Sequence[str],
    port: int,
    env: dict[str, str],
    timeout: float = 120.0,
) -> BackendStatus:
    """Start `python -m mauqif serve --port PORT SERVE_ARGS…` in the background (its own session,
    its output in `<home>/backend/serve.log`) and wait until /health answers. Reuses a running one.

    The Label Studio API key reaches it through `env` (never its command line)."""
    files = BackendFiles(home)
    current = backend_status(home)
    if current is not None and current.running:
        return current
    if current is not None and current.pid is not None:
        stop_backend(home)
    files.dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "mauqif", "serve", "--port", str(port), *serve_args]
    log = open(files.log, "ab")  # noqa: SIM115 (the child keeps writing to it)
    try:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    finally:
        log.close()
    files.pid.write_text(str(process.pid))
    files.info.write_text(json.dumps({"url": url, "pid": process.pid}) + "\n", "utf-8")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BackendError(
                f"the model backend exited during start (code {process.returncode}); "
                f"last lines of {files.log}:\n{tail(files.log, 20)}"
            )
        if health(url, 1.0) is not None:
            return backend_status(home)
        time.sleep(0.3)
    stop_backend(home)
    raise BackendError(
        f"the model backend did not answer within {timeout:.0f} s, so it was stopped; "
        f"last lines of {files.log}:\n{tail(files.log, 20)}"
    )


def stop_backend(home: Path, grace: float = 15.0) -> bool:
    """Stop the background backend of `home` (and its training, in the same process group).
    False when none was running."""
    files = BackendFiles(home)
    pid = read_pid(files.pid)
    if pid is None or not _is_ours(pid):
        with contextlib.suppress(FileNotFoundError):
            files.pid.unlink()
        return False
    terminate_group(pid, _is_ours, grace)
    if _is_ours(pid):
        raise BackendError(f"the model backend (pid {pid}) did not stop; end it with `kill {pid}`")
    with contextlib.suppress(FileNotFoundError):
        files.pid.unlink()
    return True

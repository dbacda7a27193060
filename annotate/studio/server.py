"""The embedded default: a local Label Studio server started from the installed package.

It binds 127.0.0.1 only, keeps its data under `<home>/studio/`, and never phones home (version
check, analytics and Sentry are switched off). The first start creates an admin account with a
random password and API token, kept in `<home>/credentials.json` (mode 0600). `stop` ends only the
process that `start` started (its pid is in `<home>/studio/server.pid`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .exceptions import ServerError

DEFAULT_HOME = Path(".mauqif")
ADMIN_USERNAME = "admin@mauqif.local"
LOG_TAIL_LINES = 25
SERVING = re.compile(r"Starting development server at (http://[\w.]+:(\d+))/")

# Switches that keep a server started here from reaching the internet.
OFFLINE_ENV = {
    "LATEST_VERSION_CHECK": "false",
    "COLLECT_ANALYTICS": "false",
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
}


@dataclass(frozen=True)
class Credentials:
    url: str
    username: str
    password: str = field(repr=False)
    api_key: str = field(repr=False)


def read_credentials(path: str | Path) -> Credentials | None:
    path = Path(path)
    if not path.exists():
        return None
    try:
        raw = json.loads(path.read_text("utf-8"))
        return Credentials(raw["url"], raw["username"], raw["password"], raw["api_key"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ServerError(
            f"{path}: not a readable credentials file ({type(exc).__name__}); "
            "remove it and run `mauqif studio start` again"
        ) from exc


def write_credentials(path: str | Path, credentials: Credentials) -> None:
    """Write atomically, readable by the owner only from the first byte."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(asdict(credentials), f, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@dataclass(frozen=True)
class LocalStudio:
    """Where the local server keeps its state: `home` (credentials) and `data_dir` (Label Studio's data)."""

    home: Path = DEFAULT_HOME
    data_dir: Path | None = None

    @property
    def data(self) -> Path:
        return Path(self.data_dir) if self.data_dir is not None else Path(self.home) / "studio"

    @property
    def credentials_path(self) -> Path:
        return Path(self.home) / "credentials.json"

    @property
    def pid_path(self) -> Path:
        return self.data / "server.pid"

    @property
    def log_path(self) -> Path:
        return self.data / "server.log"

    def credentials(self) -> Credentials | None:
        return read_credentials(self.credentials_path)


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    url: str | None
    pid: int | None
    data_dir: str
    credentials: str
    reused: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


# ---- helpers -----------------------------------------------------------------------------------


def free_port(preferred: int | None = None) -> int:
    """`preferred` when nothing listens on it, else a port the OS says is free (127.0.0.1)."""
    if preferred:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", preferred))
                return preferred
            except OSError:
                pass
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=timeout) as response:
            return response.status == 200 and b"UP" in response.read()
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _is_label_studio(pid: int) -> bool:
    """True when `pid` is alive and is a label-studio process (guards against a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc (not Linux): trust the pid file
    return b"label-studio" in cmdline or b"label_studio" in cmdline


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def label_studio_executable() -> str:
    here = shutil.which("label-studio", path=str(Path(sys.executable).parent))
    found = here or shutil.which("label-studio")
    if not found:
        raise ServerError(
            "the `label-studio` command is not installed here; install it with "
            "`pip install 'mauqif[server]'`, or use another instance with --url and --api-key"
        )
    return found


def server_environment(
    data_dir: Path, url: str, credentials: Credentials, base: dict[str, str]
) -> dict[str, str]:
    """The child's environment: `base` (the caller's) plus the offline switches and the account.

    The account goes through the environment, not the command line, so that other local users
    cannot read the password and token in the process list.
    """
    env = dict(base)
    env.update(OFFLINE_ENV)
    env.update(
        {
            "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir.resolve()),
            "LABEL_STUDIO_HOST": url,
            "LABEL_STUDIO_USERNAME": credentials.username,
            "LABEL_STUDIO_PASSWORD": credentials.password,
            "LABEL_STUDIO_USER_TOKEN": credentials.api_key,
            # Nobody signs up on a local server without an invite link from its admin.
            "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        }
    )
    return env


# ---- start / stop / status ---------------------------------------------------------------------


def status(local: LocalStudio) -> ServerStatus:
    credentials = local.credentials()
    pid = _read_pid(local.pid_path)
    alive = pid is not None and _is_label_studio(pid)
    url = credentials.url if credentials else None
    running = bool(alive and url and healthy(url))
    return ServerStatus(
        running=running,
        url=url,
        pid=pid if alive else None,
        data_dir=str(local.data),
        credentials=str(local.credentials_path),
    )


def start(
    local: LocalStudio,
    port: int | None = None,
    timeout: float = 240.0,
    base_env: dict[str, str] | None = None,
    on_wait: Callable[[float], None] | None = None,
) -> ServerStatus:
    """Start the local server, or reuse the running one. Returns once `/health` answers.

    `base_env` is the environment the server inherits (the CLI passes `os.environ`); the offline
    switches and the account are added to it.
    """
    current = status(local)
    if current.running:
        return ServerStatus(**{**current.to_dict(), "reused": True})
    if current.pid is not None:
        # Our process is alive but not answering yet (still starting) or hung: wait for it once.
        credentials = local.credentials()
        if credentials and _wait_healthy(credentials.url, current.pid, min(timeout, 60.0), on_wait):
            return ServerStatus(**{**status(local).to_dict(), "reused": True})
        raise ServerError(
            f"a Label Studio process (pid {current.pid}) from {local.data} is running but not answering; "
            f"stop it with `mauqif studio stop` and start again. Last lines of {local.log_path}:\n"
            + tail(local.log_path)
        )

    executable = label_studio_executable()
    local.data.mkdir(parents=True, exist_ok=True)
    os.chmod(local.data, 0o700)
    credentials = local.credentials()
    if credentials is None and (local.data / "label_studio.sqlite3").exists():
        # Label Studio keeps the old account; a new random password and key would not work.
        raise ServerError(
            f"{local.data} holds a Label Studio database but {local.credentials_path} is missing; "
            "restore the credentials file, or move the data directory away to start afresh"
        )
    previous_port = None
    if credentials is not None:
        match = re.search(r":(\d+)/?$", credentials.url)
        previous_port = int(match.group(1)) if match else None
    chosen = free_port(port or previous_port)
    if port and chosen != port:
        raise ServerError(
            f"port {port} on 127.0.0.1 is busy; choose another with --port or leave it out"
        )
    url = f"http://127.0.0.1:{chosen}"
    if credentials is None:
        credentials = Credentials(
            url=url,
            username=ADMIN_USERNAME,
            password=secrets.token_urlsafe(18),
            api_key=secrets.token_hex(20),
        )
    credentials = Credentials(url, credentials.username, credentials.password, credentials.api_key)
    write_credentials(local.credentials_path, credentials)

    env = server_environment(
        local.data, url, credentials, dict(base_env) if base_env is not None else {}
    )
    command = [
        executable, "start", "--no-browser",
        "--internal-host", "127.0.0.1", "--port", str(chosen),
        "--enable-legacy-api-token",
    ]  # fmt: skip
    log = open(local.log_path, "ab")  # noqa: SIM115 (the child keeps writing to it)
    log_start = log.seek(0, os.SEEK_END)
    try:
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, cwd=str(local.data),
        )  # fmt: skip
    finally:
        log.close()
    local.pid_path.write_text(str(process.pid))
    served = _wait_serving(local.log_path, process, timeout, log_start, on_wait)
    if served != url:
        # Label Studio moved to another port on its own: record where it really is.
        credentials = Credentials(
            served, credentials.username, credentials.password, credentials.api_key
        )
        write_credentials(local.credentials_path, credentials)
    return status(local)


def _wait_serving(
    log_path: Path, process: subprocess.Popen, timeout: float, offset: int, on_wait
) -> str:
    """Wait until the log says where it serves and that address answers /health; return the URL."""
    started = time.monotonic()
    served = None
    while time.monotonic() - started < timeout:
        if process.poll() is not None:
            raise ServerError(
                f"Label Studio exited during start (code {process.returncode}). Last lines of {log_path}:\n"
                + tail(log_path)
            )
        if served is None:
            with contextlib.suppress(OSError):
                # Only this start's lines: the log is appended to across starts.
                with open(log_path, "rb") as f:
                    f.seek(offset)
                    found = SERVING.search(f.read().decode("utf-8", errors="replace"))
                if found:
                    served = found.group(1)
        if served and healthy(served):
            return served
        if on_wait:
            on_wait(time.monotonic() - started)
        time.sleep(0.5)
    _terminate(process.pid)
    raise ServerError(
        f"Label Studio did not answer within {timeout:.0f} s, so it was stopped. Last lines of {log_path}:\n"
        + tail(log_path)
    )


def _wait_healthy(url: str, pid: int, timeout: float, on_wait) -> bool:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not _is_label_studio(pid):
            return False
        if healthy(url):
            return True
        if on_wait:
            on_wait(time.monotonic() - started)
        time.sleep(0.5)
    return False


def _terminate(pid: int, grace: float = 20.0) -> None:
    """SIGTERM the server's process group (it was started in its own session), SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if not _is_label_studio(pid):
                return
            time.sleep(0.2)


def stop(local: LocalStudio) -> bool:
    """Stop the server `start` started. False when none was running."""
    pid = _read_pid(local.pid_path)
    if pid is None or not _is_label_studio(pid):
        with contextlib.suppress(FileNotFoundError):
            local.pid_path.unlink()
        return False
    _terminate(pid)
    if _is_label_studio(pid):
        raise ServerError(f"Label Studio (pid {pid}) did not stop; end it with `kill {pid}`")
    with contextlib.suppress(FileNotFoundError):
        local.pid_path.unlink()
    return True

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
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..tables import atomic_path
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

# Label Studio refuses ML backends and webhooks on local addresses by default (ML_BLOCK_LOCAL_IP,
# and the SSRF guard of webhooks). The server mauqif starts must reach `mauqif serve` on
# 127.0.0.1, so for it alone: ML backends may be local, and the webhook guard keeps Label
# Studio's own list of refused networks (1.23.2, core/utils/io.py) except loopback. Private
# networks, link-local and the rest stay refused.
REFUSED_SUBNETS_BUT_LOOPBACK = (
    "0.0.0.0/8,10.0.0.0/8,100.64.0.0/10,169.254.0.0/16,172.16.0.0/12,192.0.0.0/24,"
    "192.0.2.0/24,192.88.99.0/24,192.168.0.0/16,198.18.0.0/15,198.51.100.0/24,203.0.113.0/24,"
    "224.0.0.0/4,233.252.0.0/24,240.0.0.0/4,255.255.255.255/32,::/128,::ffff:0:0/96,"
    "::ffff:0:0:0/96,64:ff9b::/96,64:ff9b:1::/48,100::/64,2001:0000::/32,2001:20::/28,"
    "2001:db8::/32,2002::/16,fc00::/7,fe80::/10,ff00::/8"
)
LOCAL_BACKEND_ENV = {
    "ML_BLOCK_LOCAL_IP": "false",
    "USE_DEFAULT_BANNED_SUBNETS": "false",
    "USER_ADDITIONAL_BANNED_SUBNETS": REFUSED_SUBNETS_BUT_LOOPBACK,
    # How long Label Studio waits for the model: its default (100 s) would hold an annotator's
    # next task that long when the backend hangs. A batch of 100 tasks takes well under 1 s.
    "ML_TIMEOUT_PREDICT": "10",
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
            f"{path}: not a readable credentials file ({type(exc).__name__}); restore it from a "
            f"backup (the Label Studio data beside it keeps its account), or move {path.parent} "
            "away and run `mauqif studio start` to begin afresh"
        ) from None  # the parser's message may quote the file, and the file holds secrets


def write_credentials(path: str | Path, credentials: Credentials) -> None:
    """Write atomically, readable by the owner only from the first byte."""
    with atomic_path(path, perm=0o600) as tmp:
        tmp.write_text(json.dumps(asdict(credentials), indent=2), "utf-8")


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

    @property
    def database_path(self) -> Path:
        return self.data / "database.json"

    def database(self) -> Database:
        """The database the server was last started on (SQLite unless --database said)."""
        return read_database(self.database_path)


POSTGRES_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class Database:
    """Where the local Label Studio keeps its data: SQLite in its data directory (the default,
    `url=None`) or a PostgreSQL database, `postgresql://USER:PASSWORD@HOST:PORT/NAME`, which a
    team's concurrent annotators need (SQLite answers "database is locked" under them).

    Label Studio reads it from its own settings (`DJANGO_DB=default` and `POSTGRE_*`,
    label_studio/core/settings/base.py). The URL holds a password: it is kept in the data
    directory's `database.json` (mode 0600) and only ever shown masked.
    """

    url: str | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, url: str) -> Database:
        """A `--database` value: a PostgreSQL URL, or `sqlite` for the default."""
        if url.strip().lower() == "sqlite":
            return cls()
        parts = urllib.parse.urlsplit(url)
        shown = cls(url).masked
        if parts.scheme not in POSTGRES_SCHEMES:
            raise ServerError(
                f"--database {shown}: only PostgreSQL is supported, as "
                "postgresql://USER:PASSWORD@HOST:PORT/NAME"
            )
        try:
            parts.port  # noqa: B018 (raises on a port that is not a number)
        except ValueError:
            raise ServerError(f"--database {shown}: the port is not a number") from None
        if not parts.hostname or not parts.path.strip("/") or not parts.username:
            raise ServerError(
                f"--database {shown}: give the user, host and database name, as "
                "postgresql://USER:PASSWORD@HOST:PORT/NAME"
            )
        return cls(url)

    @property
    def masked(self) -> str:
        """The URL without its password; "sqlite" for the default."""
        if self.url is None:
            return "sqlite"
        parts = urllib.parse.urlsplit(self.url)
        if parts.password is None:
            return self.url
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
        return urllib.parse.urlunsplit(parts._replace(netloc=netloc))

    def environment(self) -> dict[str, str]:
        """Label Studio's settings for this database (nothing for SQLite)."""
        if self.url is None:
            return {}
        parts = urllib.parse.urlsplit(self.url)
        return {
            "DJANGO_DB": "default",
            "POSTGRE_NAME": urllib.parse.unquote(parts.path.strip("/")),
            "POSTGRE_USER": urllib.parse.unquote(parts.username or ""),
            "POSTGRE_PASSWORD": urllib.parse.unquote(parts.password or ""),
            "POSTGRE_HOST": parts.hostname or "",
            "POSTGRE_PORT": str(parts.port or 5432),
        }


def read_database(path: Path) -> Database:
    try:
        return Database(json.loads(Path(path).read_text("utf-8")).get("url"))
    except FileNotFoundError:
        return Database()
    except (OSError, ValueError, AttributeError) as exc:
        raise ServerError(f"{path} cannot be read ({exc}); remove it to use SQLite again") from None


def write_database(path: Path, database: Database) -> None:
    with atomic_path(path, perm=0o600) as tmp:
        tmp.write_text(json.dumps({"url": database.url}), "utf-8")


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    url: str | None
    pid: int | None
    data_dir: str
    credentials: str
    reused: bool = False
    database: str = "sqlite"  # "sqlite", or the PostgreSQL URL without its password

    def to_dict(self) -> dict:
        return asdict(self)


# ---- helpers -----------------------------------------------------------------------------------


def free_port(preferred: int | None = None) -> int:
    """`preferred` when nothing listens on it, else a port the OS says is free (127.0.0.1)."""
    if preferred:
        with socket.socket() as s:
            # As the server itself binds (SO_REUSEADDR): connections of a killed server that
            # linger in TIME_WAIT must not move a restart to another port (and another URL).
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
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


def read_pid(path: Path) -> int | None:
    """The process id written in `path`, or None."""
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
    data_dir: Path,
    url: str,
    credentials: Credentials,
    base: dict[str, str],
    database: Database | None = None,
) -> dict[str, str]:
    """The child's environment: `base` (the caller's) plus the offline switches, the switches that
    let it use `mauqif serve` on 127.0.0.1 (`LOCAL_BACKEND_ENV`), and the account.

    The account goes through the environment, not the command line, so that other local users
    cannot read the password and token in the process list.
    """
    env = dict(base)
    env.update(OFFLINE_ENV)
    env.update(LOCAL_BACKEND_ENV)
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
    env.update((database or Database()).environment())
    return env


# ---- start / stop / status ---------------------------------------------------------------------


def status(local: LocalStudio) -> ServerStatus:
    credentials = local.credentials()
    pid = read_pid(local.pid_path)
    alive = pid is not None and _is_label_studio(pid)
    url = credentials.url if credentials else None
    running = bool(alive and url and healthy(url))
    return ServerStatus(
        running=running,
        url=url,
        pid=pid if alive else None,
        data_dir=str(local.data),
        credentials=str(local.credentials_path),
        database=local.database().masked,
    )


def start(
    local: LocalStudio,
    port: int | None = None,
    timeout: float = 240.0,
    base_env: dict[str, str] | None = None,
    on_wait: Callable[[float], None] | None = None,
    database: str | None = None,
) -> ServerStatus:
    """Start the local server, or reuse the running one. Returns once `/health` answers.

    `base_env` is the environment the server inherits (the CLI passes `os.environ`); the offline
    switches and the account are added to it. `database`: a PostgreSQL URL to keep the data in
    (remembered for the next starts); by default the last one, else SQLite.
    """
    current = status(local)
    requested = Database.parse(database) if database else None
    if requested is not None and current.pid is not None and requested != local.database():
        raise ServerError(
            f"the local Label Studio is running on {current.database}; stop it with "
            f"`mauqif studio stop` to start it on {requested.masked}"
        )
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
    if requested is not None:
        write_database(local.database_path, requested)
    chosen_database = local.database()
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
        local.data,
        url,
        credentials,
        dict(base_env) if base_env is not None else {},
        chosen_database,
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


def _group_alive(pid: int) -> bool:
    """Is any process of the group `pid` leads still there (the server or a child of it)?"""
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _terminate(pid: int, grace: float = 20.0) -> None:
    """Stop the server's process group; returns when no process of the group is left."""
    terminate_group(pid, lambda p: _is_label_studio(p) or _group_alive(p), grace)


def terminate_group(pid: int, running: Callable[[int], bool], grace: float = 20.0) -> None:
    """SIGTERM the process group `pid` leads (a process started in its own session), SIGKILL it
    if it is still `running` after `grace` seconds; returns once it is not, or after both."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
            # A stopped server (SIGSTOP, Ctrl-Z) acts on SIGTERM only once it runs again.
            os.killpg(pid, signal.SIGCONT)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if not running(pid):
                return
            time.sleep(0.2)


def stop(local: LocalStudio) -> bool:
    """Stop the server `start` started. False when none was running."""
    pid = read_pid(local.pid_path)
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

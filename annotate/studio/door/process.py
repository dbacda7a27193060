"""Running the door: Debian's nginx in front of the local Label Studio, and the checker beside it.

`start_door` writes HOME/door/nginx.conf, starts the checker (`python -m
mauqif.annotate.studio.door`, on a loopback port) and `nginx -c HOME/door/nginx.conf` (not the
system's nginx service: its own prefix, pid, logs and temporary files under HOME/door/), each in
its own session, and waits until the door answers. `stop_door` ends the two processes it started
(their pids are in HOME/door/). Label Studio itself stays bound to 127.0.0.1: annotators on other
machines reach it only through the door, which listens where `--host` says.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from ..server import free_port, read_pid, tail, terminate_group
from .exceptions import DoorError

CHECK_LOCATION = "/_mauqif_door_check"

NGINX_CONF = """\
# Written by mauqif (annotate/studio/door/process.py); rewritten at each `mauqif team door start`.
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log warn;
{user}
events {{ worker_connections 512; }}
http {{
    access_log {dir}/nginx-access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    client_max_body_size 200m;
    server_tokens off;
    map $door_body $door_action_body {{
        blank "{{}}";
        default $request_body;
    }}
    server {{
        listen {host}:{port};
        location = {check} {{
            internal;
            proxy_pass http://127.0.0.1:{checker_port}/check;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
            proxy_set_header Cookie $http_cookie;
            proxy_set_header Authorization $http_authorization;
        }}
        # The data manager's actions, the stream's next task among them: an annotator's body
        # (filters that would pick out others' answers) is replaced by {{}}, as the checker says
        # (X-Door-Body: blank); a lead's is passed on as it came. $request_body holds the whole
        # body only while it fits in memory, so a bigger one is refused (413), never cut.
        location ~ ^/api/dm/actions/?$ {{
            auth_request {check};
            auth_request_set $door_body $upstream_http_x_door_body;
            error_page 401 = @login;
            client_max_body_size 1m;
            client_body_buffer_size 1m;
            client_body_in_single_buffer on;
            proxy_set_body $door_action_body;
            proxy_pass http://127.0.0.1:{studio_port};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout 600s;
        }}
        location / {{
            auth_request {check};
            error_page 401 = @login;
            proxy_pass http://127.0.0.1:{studio_port};
            proxy_redirect {studio_url}/ /;
            # Label Studio writes its own address (LABEL_STUDIO_HOST) into its pages: the
            # browser must come back through the door, never go round it.
            proxy_set_header Accept-Encoding "";
            sub_filter_once off;
            sub_filter "{studio_url}" "$scheme://$http_host";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout 600s;
        }}
        location @login {{
            return 302 /user/login/;
        }}
    }}
}}
"""


@dataclass(frozen=True)
class DoorFiles:
    home: Path

    @property
    def dir(self) -> Path:
        return Path(self.home) / "door"

    def __getattr__(self, name: str) -> Path:
        names = {
            "conf": "nginx.conf",
            "nginx_pid": "nginx.pid",
            "nginx_log": "nginx-error.log",
            "checker_pid": "checker.pid",
            "checker_log": "checker.log",
            "info": "door.json",
            "refused": "refused.jsonl",
        }
        if name not in names:
            raise AttributeError(name)
        return self.dir / names[name]


@dataclass(frozen=True)
class DoorStatus:
    running: bool
    url: str | None
    studio_url: str | None = None
    nginx_pid: int | None = None
    checker_pid: int | None = None
    problem: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def nginx_executable() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if not found:
        raise DoorError(
            "the door needs Debian's nginx: `apt-get install nginx-light` (as root), then run "
            "`mauqif team door start` again"
        )
    return found


def nginx_conf(directory: Path, host: str, port: int, checker_port: int, studio_url: str) -> str:
    from urllib.parse import urlsplit

    studio = urlsplit(studio_url)
    user = "user root;" if os.geteuid() == 0 else ""  # as root, nginx would switch to nobody
    return NGINX_CONF.format(
        dir=directory.resolve(),
        user=user,
        host=host,
        port=port,
        check=CHECK_LOCATION,
        checker_port=checker_port,
        studio_port=studio.port,
        studio_url=studio_url.rstrip("/"),
    )


def _alive(pid: int | None, marker: bytes) -> bool:
    if pid is None:
        return False
    try:
        return marker in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/user/login/", timeout=3) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def door_status(home: Path) -> DoorStatus | None:
    files = DoorFiles(home)
    try:
        info = json.loads(files.info.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    nginx, checker = read_pid(files.nginx_pid), read_pid(files.checker_pid)
    nginx_up, checker_up = _alive(nginx, b"nginx"), _alive(checker, b"door")
    running = nginx_up and checker_up and _answers(info["url"])
    problem = None
    if not running:
        problem = (
            f"the door at {info['url']} is not running (nginx {'up' if nginx_up else 'down'}, "
            f"checker {'up' if checker_up else 'down'}); see {files.nginx_log} and "
            f"{files.checker_log}; start it with `mauqif team door start`"
        )
    return DoorStatus(
        running,
        info["url"],
        info.get("studio_url"),
        nginx if nginx_up else None,
        checker if checker_up else None,
        problem,
    )


def start_door(
    home: Path,
    studio_url: str,
    host: str = "127.0.0.1",
    port: int | None = None,
    leads: list[str] = (),
    timeout: float = 60.0,
) -> DoorStatus:
    """Start the door in front of the local Label Studio at `studio_url` (reuses a running one).
    `leads`: e-mail addresses let through everywhere besides the account of HOME's API key."""
    files = DoorFiles(home)
    current = door_status(home)
    if current is not None and current.running:
        return current
    stop_door(home)
    nginx = nginx_executable()
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (files.dir / "tmp" / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(files.dir, 0o700)
    port = free_port(port)
    checker_port = free_port()
    url = f"http://{host}:{port}"
    files.conf.write_text(nginx_conf(files.dir, host, port, checker_port, studio_url), "utf-8")
    env = dict(os.environ)
    env["MAUQIF_DOOR_LEADS"] = ",".join(leads)
    checker = _spawn(
        [sys.executable, "-m", "mauqif.annotate.studio.door", "--home", str(home),
         "--port", str(checker_port)],
        files.checker_log, env,
    )  # fmt: skip
    files.checker_pid.write_text(str(checker.pid))
    proxy = _spawn([nginx, "-c", str(files.conf), "-g", "daemon off;"], files.nginx_log, env)
    files.info.write_text(
        json.dumps({"url": url, "studio_url": studio_url, "checker_port": checker_port}) + "\n",
        "utf-8",
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for name, process, log in (("nginx", proxy, files.nginx_log),
                                   ("the checker", checker, files.checker_log)):  # fmt: skip
            if process.poll() is not None:
                stop_door(home)
                raise DoorError(
                    f"{name} exited during start (code {process.returncode}); last lines of "
                    f"{log}:\n{tail(log, 20)}"
                )
        if _checker_up(checker_port) and _answers(url):
            return door_status(home)
        time.sleep(0.3)
    stop_door(home)
    raise DoorError(
        f"the door did not answer at {url} within {timeout:.0f} s, so it was stopped; see "
        f"{files.nginx_log} and {files.checker_log}"
    )


def _checker_up(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _spawn(command: list[str], log_path: Path, env: dict) -> subprocess.Popen:
    log = open(log_path, "ab")  # noqa: SIM115 (the child keeps writing to it)
    try:
        return subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
    finally:
        log.close()


def stop_door(home: Path, grace: float = 10.0) -> bool:
    """End the door's nginx and checker (only the processes `start_door` started). False when
    neither was running."""
    files = DoorFiles(home)
    stopped = False
    for pid_path, marker in ((files.nginx_pid, b"nginx"), (files.checker_pid, b"door")):
        pid = read_pid(pid_path)
        if _alive(pid, marker):
            terminate_group(pid, lambda p, m=marker: _alive(p, m), grace)
            if _alive(pid, marker):
                raise DoorError(f"pid {pid} of the door did not stop; end it with `kill {pid}`")
            stopped = True
        with contextlib.suppress(FileNotFoundError):
            pid_path.unlink()
    return stopped

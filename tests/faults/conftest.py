"""The fault suite (`make faults`): real `mauqif` commands against a real Label Studio, broken on
purpose, and a table of what was expected and what was seen.

Each test calls the `fault_row` fixture with the fault, the command, the expected outcome and the
observed one, before it asserts; the row's `ok` is the test's own outcome, so a failing test still
prints its row. `pytest_terminal_summary` prints the table at the end of the run.

Fixtures:
- `mauqif`: runs `.venv/bin/mauqif ARGS` as a subprocess, with a proxy that leads nowhere but a
  trap (so any attempt to reach the internet is seen) and a guard timeout (so a hang fails the
  test instead of the suite). Every output is kept, and checked for secrets at the end.
- `fault_studio`: a Label Studio of its own (the faults kill it), with kill / stop / restart.
- `small_disk`: a small tmpfs mounted for the test, to get a real ENOSPC.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
MAUQIF = Path(sys.executable).parent / "mauqif"
GOLD = ROOT / "exports" / "gold" / "gold.json"
TRAIN_FAST = ("--folds", "2", "--no-learning-curve", "--promote", "always")
GUARD_TIMEOUT = 600  # a command that runs longer than this is a hang: the test fails

ROWS = pytest.StashKey[list]()
OUTPUTS = pytest.StashKey[list]()


def pytest_configure(config):
    config.stash[ROWS] = []
    config.stash[OUTPUTS] = []


# ---- the table --------------------------------------------------------------------------------


@dataclass
class Row:
    nodeid: str
    fault: str
    command: str
    expected: str
    observed: str
    ok: str = "?"


@pytest.fixture
def fault_row(request):
    """`fault_row(fault, command, expected, observed)`: one row of the table for this test."""
    rows = request.config.stash[ROWS]

    def add(fault: str, command: str, expected: str, observed: str) -> None:
        rows.append(Row(request.node.nodeid, fault, command, expected, one_line(observed)))

    return add


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call" or (report.when == "setup" and not report.passed):
        rows = [r for r in item.config.stash[ROWS] if r.nodeid == item.nodeid]
        if not rows:  # the test ended before it could say what it saw
            rows = [Row(item.nodeid, item.name, "", "", "")]
            item.config.stash[ROWS].extend(rows)
        for row in rows:
            row.ok = "ok" if report.passed else ("skip" if report.skipped else "FAIL")
            if report.failed and call.excinfo is not None:
                row.observed += f" [failed: {one_line(str(call.excinfo.value), 120)}]"
    return report


def one_line(text: str, limit: int = 320) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    rows = config.stash.get(ROWS, [])
    if not rows:
        return
    terminalreporter.section("fault table")
    head = ("fault", "command", "expected outcome", "observed outcome", "ok")
    lines = [head, ("---",) * 5]
    lines += [(r.fault, r.command, r.expected, r.observed, r.ok) for r in rows]
    for cells in lines:
        terminalreporter.write_line("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    failed = sum(r.ok == "FAIL" for r in rows)
    terminalreporter.write_line(f"{len(rows)} rows, {len(rows) - failed} as expected, {failed} not")


# ---- a proxy that catches any attempt to go out -----------------------------------------------


class TrapProxy:
    """A TCP listener on 127.0.0.1 given as HTTP(S)_PROXY: every connection is an attempt to
    reach outside (loopback is exempt through NO_PROXY), recorded and refused."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.attempts: list[str] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    self.attempts.append(conn.recv(200).decode("latin-1").split("\r\n")[0])

    @property
    def env(self) -> dict[str, str]:
        url = f"http://127.0.0.1:{self.port}"
        names = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
        env = {n: url for n in names} | {n.lower(): url for n in names}
        return env | {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}

    def close(self):
        self.sock.close()


@pytest.fixture(scope="session")
def trap_proxy():
    proxy = TrapProxy()
    yield proxy
    proxy.close()


@pytest.fixture(scope="session")
def command_env(trap_proxy):
    """The environment commands run in: no Label Studio address of the caller, the trap proxy."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LABEL_STUDIO_", "MAUQIF_")) and k.lower() not in trap_proxy.env
    }
    env.update(trap_proxy.env)
    env["PYTHONWARNINGS"] = "ignore"
    return env


# ---- running commands -------------------------------------------------------------------------


@dataclass
class Result:
    args: list[str]
    code: int | None
    out: str
    err: str
    extra: dict = field(default_factory=dict)

    @property
    def command(self) -> str:
        return "mauqif " + " ".join(shlex.quote(a) for a in self.args)

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]

    def outcome(self) -> str:
        """What a user sees: the exit code and the last lines of stderr."""
        last = " / ".join(self.error_lines[-2:])
        return f"exit {self.code}: {last}" if last else f"exit {self.code}"


@pytest.fixture
def mauqif(request, command_env, tmp_path):
    """`mauqif(*args, cwd=..., stdin=bytes, env={...}, timeout=...)` → Result; runs the console
    script of this venv. `popen=True` returns the running process instead."""
    outputs = request.config.stash[OUTPUTS]

    def run(
        *args, cwd=None, stdin: bytes | None = None, env=None, timeout=GUARD_TIMEOUT,
        popen=False, prefix: list[str] | None = None,
    ):  # fmt: skip
        args = [str(a) for a in args]
        full_env = {**command_env, **(env or {})}
        if popen:
            process = subprocess.Popen(
                [str(MAUQIF), *args], cwd=cwd or tmp_path, env=full_env,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            process.args_ = args
            return process
        try:
            done = subprocess.run(
                [*(prefix or []), str(MAUQIF), *args], cwd=cwd or tmp_path, env=full_env,
                input=stdin, capture_output=True, timeout=timeout,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"").decode("utf-8", "replace")
            err = (exc.stderr or b"").decode("utf-8", "replace")
            outputs.append(out + err)
            return Result(args, None, out, err + f"\n(hung: killed after {timeout} s)")
        out = done.stdout.decode("utf-8", "replace")
        err = done.stderr.decode("utf-8", "replace")
        outputs.append(out + err)
        return Result(args, done.returncode, out, err)

    return run


def finish(process, outputs: list | None = None, timeout: float = GUARD_TIMEOUT) -> Result:
    """Wait for a process `mauqif(..., popen=True)` started; its Result."""
    try:
        out, err = process.communicate(timeout=timeout)
        code = process.returncode
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        code = None
    out, err = out.decode("utf-8", "replace"), err.decode("utf-8", "replace")
    if outputs is not None:
        outputs.append(out + err)
    return Result(process.args_, code, out, err)


@pytest.fixture
def outputs(request):
    return request.config.stash[OUTPUTS]


# ---- a Label Studio the faults may kill -------------------------------------------------------


class FaultStudio:
    """A local Label Studio under `home`, started with mauqif's own `start`; faults kill it."""

    def __init__(self, home: Path, env: dict[str, str]):
        from mauqif.annotate.studio import LocalStudio

        self.local = LocalStudio(home)
        self.env = env
        self.home = home

    def start(self):
        from mauqif.annotate.studio import start

        state = start(self.local, base_env=self.env, timeout=300)
        self.pid = state.pid
        return state

    @property
    def credentials(self):
        return self.local.credentials()

    @property
    def url(self) -> str:
        return self.credentials.url

    @property
    def api_key(self) -> str:
        return self.credentials.api_key

    def client(self, api_key: str | None = None, timeout: float = 120):
        from mauqif.annotate.studio import connect

        return connect(self.url, api_key or self.api_key, timeout=timeout)

    def running(self) -> bool:
        from mauqif.annotate.studio import status

        return status(self.local).running

    def ensure_running(self):
        if not self.running():
            self.cont()
            if not self.running():
                self.kill()
                self.start()

    def signal(self, sig) -> None:
        """Send `sig` to the whole server (its process group: it runs in its own session)."""
        os.killpg(self.pid, sig)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.signal(signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, os.WNOHANG)
            try:
                os.killpg(self.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)

    def stop_signal(self) -> None:
        self.signal(signal.SIGSTOP)

    def cont(self) -> None:
        with contextlib.suppress(ProcessLookupError, AttributeError):
            self.signal(signal.SIGCONT)

    def stop(self):
        from mauqif.annotate.studio import stop

        self.cont()
        stop(self.local)


@pytest.fixture(scope="session")
def fault_studio(tmp_path_factory, command_env):
    studio = FaultStudio(tmp_path_factory.mktemp("fault-home") / ".mauqif", command_env)
    studio.start()
    try:
        yield studio
    finally:
        studio.stop()


@pytest.fixture
def studio(fault_studio):
    """The fault server, running (restarted when an earlier fault left it dead or stopped)."""
    fault_studio.ensure_running()
    yield fault_studio
    fault_studio.cont()


# ---- a small disk -----------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """`small_disk(size)`: a tmpfs of `size` (e.g. "64k") mounted for this test; its path."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"disk-{len(mounted)}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(point)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}); needs root")
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def fill(directory: Path, leave: int = 0) -> None:
    """Fill the file system of `directory` until fewer than `leave` bytes are free."""
    block = b"\0" * 4096
    with open(directory / ".ballast", "wb", buffering=0) as f, contextlib.suppress(OSError):
        while os.statvfs(directory).f_bavail * os.statvfs(directory).f_frsize > leave:
            f.write(block)


# ---- a trained model --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A models directory with one promoted model, trained by `mauqif train` on the gold set."""
    where = tmp_path_factory.mktemp("trained")
    done = subprocess.run(
        [str(MAUQIF), "train", "--data", str(GOLD), "--models", "models", *TRAIN_FAST],
        cwd=where, capture_output=True, text=True, timeout=GUARD_TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return where / "models"

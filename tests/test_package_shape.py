"""The package's shape: every module imports on its own, and the CLI registers every module."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

import mauqif
import mauqif.annotate
import mauqif.model


def _modules() -> list[str]:
    # mauqif.annotate and mauqif.model live in their own directories (annotate/, model/), so
    # each part is walked from its own path.
    names = {"mauqif"}
    for package in (mauqif, mauqif.annotate, mauqif.model):
        names.add(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            names.add(info.name)
    return sorted(names)


MODULES = _modules()


def test_the_walk_sees_all_three_parts():
    for part in ("mauqif.annotate.", "mauqif.model.", "mauqif.cli."):
        assert any(name.startswith(part) for name in MODULES), part


def _import_alone(name: str) -> tuple[str, int, str]:
    done = subprocess.run(
        [sys.executable, "-c", f"import {name}"], capture_output=True, text=True, timeout=300
    )
    return name, done.returncode, done.stderr.strip().splitlines()[-1:] or ""


@pytest.mark.slow
def test_every_module_imports_alone_in_a_fresh_interpreter():
    # A cycle between modules shows only when the wrong one is imported first, so each module
    # gets an interpreter of its own.
    with ThreadPoolExecutor(max_workers=4) as pool:
        failures = [(name, err) for name, rc, err in pool.map(_import_alone, MODULES) if rc]
    assert not failures, failures


def test_the_cli_registers_the_commands_of_every_command_module():
    from importlib import import_module

    from mauqif.cli import cli
    from mauqif.cli.main import MODULES as COMMAND_MODULES

    for name in COMMAND_MODULES:
        for command in import_module(f"mauqif.cli.{name}").COMMANDS:
            assert cli.commands[command.name] is command

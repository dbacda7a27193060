"""The `mauqif` command line: thin wrappers over library calls.

Layout (imports go one way only: main → command modules → common):

- `common`: shared options, the skip report, the server and model the options name, and the
  command group that turns mauqif's own errors into one `Error: …` line and exit status 1;
- one module per command group, each listing its commands in `COMMANDS`: `sentences`,
  `studio` (studio start/stop/status, setup, push, pull, demo), `model` (train, predict,
  evaluate), `team` (team add/list, agreement, adjudicate), `serve` (the ML backend);
- `main`: the top-level group `cli`, which registers the modules named in `MODULES`, and the
  console script `main()`.

This package module imports nothing, so any module of the package can be imported alone;
`from mauqif.cli import cli` loads `main` on first use.
"""

from __future__ import annotations


def __getattr__(name: str):
    if name == "cli":
        from mauqif.cli.main import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

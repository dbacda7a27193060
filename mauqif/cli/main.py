"""The top-level `mauqif` group and the console script; registers each command module."""

from __future__ import annotations

import sys
from importlib import import_module

import click

from mauqif.cli.common import Group

# Command modules of this package, each with its click commands in COMMANDS, in --help order.
MODULES = ("sentences", "studio", "model", "trends", "serve", "team")


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mauqif")
def cli():
    """mauqif (موقف): stance and sentiment annotation for Urdu news.

    Articles are split into sentences, the parties they quote are found, a classifier
    pre-annotates them, and annotators correct the suggestions in Label Studio.
    """


for _name in MODULES:
    for _command in import_module(f"mauqif.cli.{_name}").COMMANDS:
        cli.add_command(_command)


def main():
    cli(prog_name="mauqif")


if __name__ == "__main__":
    sys.exit(main())

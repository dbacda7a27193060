"""Commands: studio, setup, push, pull, demo: everything that talks to Label Studio."""

COMMANDS: list = []

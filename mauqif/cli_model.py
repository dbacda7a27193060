"""Commands: train, predict and model reports."""

COMMANDS: list = []

"""Errors of the annotators' door."""

from __future__ import annotations

from ..exceptions import ServerError


class DoorError(ServerError):
    """The door (nginx and its checker) cannot be started, found or stopped."""

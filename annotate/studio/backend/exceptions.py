"""Errors of the ML backend. A request that cannot be served gets one of these as a 4xx answer."""

from __future__ import annotations

from ...exceptions import StudioError


class BadPayload(StudioError):
    """A request whose body is not what Label Studio's ML protocol sends (HTTP 400/422)."""

    status = 422


class NotJson(BadPayload):
    """The body is not a JSON object (HTTP 400)."""

    status = 400


class NotMauqifProject(BadPayload):
    """The project's label config lacks the tags mauqif predicts (made by `mauqif setup`)."""


class BackendError(StudioError):
    """The backend process cannot be started, found, connected or stopped."""

"""Errors of the Label Studio half. Each names the server or file and says what to do next."""

from __future__ import annotations

from ..exceptions import StudioError


class ServerError(StudioError):
    """The local Label Studio server cannot be started, found or stopped."""


class ConnectionFailed(StudioError):
    """Nothing answers at the Label Studio URL."""

    def __init__(self, url: str, detail: str = ""):
        hint = " Is it running? Start the local one with `mauqif studio start`, or give --url."
        super().__init__(
            f"cannot reach Label Studio at {url}{f' ({detail})' if detail else ''}.{hint}"
        )
        self.url = url


class AuthError(StudioError):
    """The server refuses the API key."""

    def __init__(self, url: str):
        super().__init__(
            f"Label Studio at {url} refused the API key (401). Check --api-key / LABEL_STUDIO_API_KEY "
            "(Account & Settings → Access Token in Label Studio)."
        )
        self.url = url


class ProjectNotFound(StudioError):
    """No project has the id or title asked for."""


class LabelConfigRejected(StudioError):
    """Label Studio refuses the label config made from the schema."""


class NotConfigured(StudioError):
    """No URL/key given and no local server set up."""


class RequestRefused(StudioError):
    """The server answered a request with an error (a 4xx or 5xx status)."""

    def __init__(self, message: str, status: int | None = None, detail: str = ""):
        super().__init__(message)
        self.status = status
        self.detail = detail

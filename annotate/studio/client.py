"""Talking to a Label Studio server: connect, find or set up the project, users.

Everything goes through the SDK 2.x `LabelStudio` client (it handles both legacy tokens and
personal access tokens). The SDK's and httpx's exceptions are turned into mauqif's own here, each
one line that names the URL and says what to do.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..exceptions import StudioError
from ..schema import Schema
from .config import instructions, label_config
from .exceptions import (
    AuthError,
    ConnectionFailed,
    LabelConfigRejected,
    ProjectNotFound,
    RequestRefused,
)

DEFAULT_TITLE = "mauqif"
SAMPLING = {
    "sequential": "Sequential sampling",
    "uniform": "Uniform sampling",
    "uncertainty": "Uncertainty sampling",
}
PAGE_SIZE = 1000
DEFAULT_TIMEOUT = 600.0  # seconds per request: a sync export of a large project takes minutes
CHECK_TIMEOUT = 30.0  # seconds for the first request, which any live server answers at once


def _summary(body) -> str:
    """A short human reading of an error body from Label Studio."""
    if isinstance(body, dict):
        detail = body.get("validation_errors") or body.get("detail") or body
        if isinstance(detail, dict):
            parts = []
            for key, value in detail.items():
                value = value if isinstance(value, list) else [value]
                parts.append(f"{key}: {'; '.join(str(v) for v in value)}")
            return " | ".join(parts)
        return str(detail)
    text = str(body)
    return text if len(text) < 300 else text[:300] + "…"


def json_body(items) -> bytes:
    """`items` as a UTF-8 JSON request body, for `Studio.post_json`. Values JSON has no type for
    are written as the SDK's encoder writes them: numpy scalars as numbers, dates as ISO text."""
    return json.dumps(items, ensure_ascii=False, default=_json_value).encode("utf-8")


def _json_value(value):
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if hasattr(value, "item") and callable(value.item):  # a numpy scalar
        return value.item()
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class Studio:
    """A connection to one Label Studio server. Create it with `connect`."""

    def __init__(self, url: str, api_key: str, timeout: float = DEFAULT_TIMEOUT):
        from label_studio_sdk.client import LabelStudio

        self.url = url.rstrip("/")
        self._api_key = api_key
        # Seconds any one request may take (a bulk import or a whole export included); a server
        # that stops answering (hung, stopped) is given up on after that, with an error.
        self.timeout = float(timeout)
        self.sdk = LabelStudio(base_url=self.url, api_key=api_key, timeout=self.timeout)

    def __repr__(self) -> str:
        return f"Studio({self.url!r})"

    @contextlib.contextmanager
    def errors(self, doing: str = "") -> Iterator[None]:
        """Turn SDK and network errors into mauqif's, naming the URL."""
        import httpx
        from label_studio_sdk.core.api_error import ApiError

        try:
            yield
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            raise ConnectionFailed(
                self.url, "connection refused" if "refused" in str(exc).lower() else str(exc)
            ) from None
        except httpx.TimeoutException:
            raise StudioError(
                f"Label Studio at {self.url} did not answer in time{f' while {doing}' if doing else ''} "
                "(hung, stopped or overloaded); try again when it answers, or allow more with "
                "--timeout (a push also with a smaller --batch)"
            ) from None
        except httpx.TransportError as exc:
            raise ConnectionFailed(self.url, f"{type(exc).__name__}: {exc}") from None
        except ApiError as exc:
            if exc.status_code == 401:
                raise AuthError(self.url) from None
            where = f" while {doing}" if doing else ""
            detail = _summary(exc.body)
            raise RequestRefused(
                f"Label Studio at {self.url} refused a request{where} ({exc.status_code}): {detail}",
                exc.status_code,
                detail,
            ) from None

    def request(
        self, method: str, path: str, headers: dict | None = None, doing: str = "", **kwargs
    ):
        """A raw call to the REST API, for endpoints the SDK has no call for (diagnostics, and the
        tests reading e.g. /api/projects/{id}/next) and for bodies already serialised
        (`post_json`). Authenticated as the SDK is: a legacy token as `Token`, a personal access
        token exchanged for an access token (`tokens.refresh`). No retries. `doing` says what
        the call is for, in errors."""
        import httpx

        with self.errors(doing or f"calling {path}"):
            if self._api_key.count(".") == 2:  # a JWT: a personal access token
                access = self.sdk.tokens.refresh(refresh=self._api_key).access
                authorization = f"Bearer {access}"
            else:
                authorization = f"Token {self._api_key}"
            response = httpx.request(
                method,
                f"{self.url}{path}",
                headers={**(headers or {}), "Authorization": authorization},
                timeout=self.timeout,
                **kwargs,
            )
        if response.status_code == 401:
            raise AuthError(self.url)
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            detail = _summary(body)
            raise RequestRefused(
                f"Label Studio at {self.url} refused {method} {path}"
                f"{f' while {doing}' if doing else ''} ({response.status_code}): {detail}",
                response.status_code,
                detail,
            )
        return response

    def post_json(self, path: str, body: bytes, doing: str = ""):
        """POST a JSON body serialised beforehand (`json_body`). Bulk imports go this way: the
        SDK's request encoder walks every value of the payload in Python (0.7 s for 5,000 tasks
        with predictions, on the request's critical path), where `json.dumps` takes 0.07 s and can
        run while the previous batch is imported."""
        return self.request(
            "POST", path, content=body, headers={"Content-Type": "application/json"}, doing=doing
        )

    # ---- identity ------------------------------------------------------------------------------

    def check(self) -> str:
        """Check the server answers and accepts the key; return its version."""
        # A server that answers at all answers this at once: a hung one is found out quickly.
        quick = {"timeout_in_seconds": min(self.timeout, CHECK_TIMEOUT)}
        with self.errors("checking the API key"):
            self.sdk.users.whoami(request_options=quick)
            return self.version()

    def version(self) -> str:
        with self.errors("reading the version"):
            info = self.sdk.versions.get()
        release = getattr(info, "release", None)
        if release:
            return str(release)
        package = getattr(info, "label_studio_os_package", None) or {}
        return str(package.get("version", "unknown")) if isinstance(package, dict) else "unknown"

    def users(self) -> dict[int, str]:
        """{user id: email (or username)} of the organisation's members."""
        with self.errors("listing users"):
            users = self.sdk.users.list()
        return {int(u.id): (u.email or u.username or str(u.id)) for u in users}

    # ---- projects ------------------------------------------------------------------------------

    def find_project(self, title: str | None = None, project_id: int | None = None):
        """The project with this id, or the one with exactly this title; None when no such title."""
        if project_id is not None:
            try:
                with self.errors("reading the project"):
                    return self.sdk.projects.get(id=project_id)
            except RequestRefused as exc:
                if exc.status == 404:
                    raise ProjectNotFound(
                        f"Label Studio at {self.url} has no project {project_id}; "
                        "see the projects in its web UI, or create one with `mauqif setup`"
                    ) from None
                raise
        title = title or DEFAULT_TITLE
        with self.errors("listing projects"):
            found = [
                p for p in self.sdk.projects.list(title=title, page_size=100) if p.title == title
            ]
        if len(found) > 1:
            ids = ", ".join(str(p.id) for p in found)
            raise StudioError(
                f"several projects are titled {title!r} (ids {ids}) at {self.url}; choose one with --project ID"
            )
        if not found:
            return None
        with self.errors("reading the project"):
            return self.sdk.projects.get(id=found[0].id)

    def project(self, title: str | None = None, project_id: int | None = None):
        project = self.find_project(title, project_id)
        if project is None:
            raise ProjectNotFound(
                f"Label Studio at {self.url} has no project titled {title or DEFAULT_TITLE!r}; "
                "create it with `mauqif setup`"
            )
        return project

    def setup_project(
        self,
        schema: Schema,
        title: str | None = None,
        guidelines: dict[str, str] | None = None,
        sampling: str | None = None,
    ) -> SetupResult:
        """Create the project from the schema, or update the one with this title (idempotent)."""
        title = title or DEFAULT_TITLE
        config = label_config(schema)
        settings = {
            "title": title,
            "description": f"Stance toward {schema.topic.en} ({schema.topic.ur}) and sentiment, per sentence. "
            f"Schema {schema.digest()}.",
            "label_config": config,
            "expert_instruction": instructions(schema, guidelines),
            "show_instruction": True,
            "show_skip_button": True,
            "enable_empty_annotation": False,
            # Pre-label from the predictions of the project's model version.
            "show_collab_predictions": True,
            "reveal_preannotations_interactively": False,
        }
        if sampling is not None:
            if sampling not in SAMPLING:
                raise StudioError(
                    f"unknown sampling {sampling!r}; use one of {', '.join(SAMPLING)}"
                )
            settings["sampling"] = SAMPLING[sampling]
        existing = self.find_project(title)
        if existing is None:
            with self.errors("creating the project"), _config_refused(self.url):
                project = self.sdk.projects.create(**settings)
            return SetupResult(project.id, title, created=True, config_changed=True)
        changed = _normalise_xml(existing.label_config or "") != _normalise_xml(config)
        if changed:
            self._validate_config_change(existing.id, config)
        with self.errors("updating the project"), _config_refused(self.url):
            self.sdk.projects.update(id=existing.id, **settings)
        return SetupResult(existing.id, title, created=False, config_changed=changed)

    def _validate_config_change(self, project_id: int, config: str) -> None:
        try:
            with self.errors("validating the label config"):
                self.sdk.projects.validate_label_config(id=project_id, label_config=config)
        except RequestRefused as exc:
            if exc.status == 400:
                raise LabelConfigRejected(
                    _config_message(self.url, project_id, exc.detail)
                ) from None
            raise

    def set_model_version(self, project_id: int, model_version: str) -> None:
        """Make `model_version` the project's: Label Studio shows only that version's predictions."""
        with self.errors("setting the project's model version"):
            self.sdk.projects.update(
                id=project_id, model_version=model_version, show_collab_predictions=True
            )

    def set_sampling(self, project_id: int, sampling: str) -> None:
        if sampling not in SAMPLING:
            raise StudioError(f"unknown sampling {sampling!r}; use one of {', '.join(SAMPLING)}")
        with self.errors("setting the sampling"):
            self.sdk.projects.update(id=project_id, sampling=SAMPLING[sampling])

    # ---- users ---------------------------------------------------------------------------------

    def invite_link(self) -> str:
        """The organisation's invite link (signing up needs it on the local server)."""
        with self.errors("reading the invite link"):
            return self.sdk.organizations.invites.get_invite_link().invite_url

    def add_user(self, email: str, password: str) -> tuple[int, str]:
        """Sign up an annotator through the organisation's invite link; return (user id, API token).

        Label Studio's API creates users without a password, so this goes through its sign-up
        form, as a person following the invite link would, then reads the new user's legacy token
        with their session. The annotator can then log in to the web UI with `email`/`password`.
        """
        import httpx

        invite = self.invite_link()
        with self.errors(f"signing up {email}"), httpx.Client(base_url=self.url, timeout=60) as web:
            web.get(invite)
            csrf = web.cookies.get("csrftoken", "")
            response = web.post(
                invite,
                data={"email": email, "password": password, "csrfmiddlewaretoken": csrf},
                headers={"Referer": f"{self.url}{invite}", "X-CSRFToken": csrf},
            )
            if response.status_code >= 400 or "sessionid" not in web.cookies:
                raise RequestRefused(
                    f"Label Studio at {self.url} did not sign up {email} ({response.status_code}); "
                    "the address may be taken, or the password too short (8 characters at least)",
                    response.status_code,
                )
            me = web.get("/api/current-user/whoami").json()
            token = web.get("/api/current-user/token").json()["token"]
        return int(me["id"]), token


@dataclass(frozen=True)
class SetupResult:
    project_id: int
    title: str
    created: bool
    config_changed: bool


@contextlib.contextmanager
def _config_refused(url: str) -> Iterator[None]:
    """A create or update refused because of the label config becomes LabelConfigRejected."""
    try:
        yield
    except RequestRefused as exc:
        if exc.status == 400 and "label_config" in exc.detail:
            raise LabelConfigRejected(
                f"{exc}. The schema's label config was not applied."
            ) from None
        raise


def _config_message(url: str, project_id: int, text: str) -> str:
    labels = re.search(r"still exist in annotations or drafts:\s*(.+?)\s*Please", text, re.S)
    tags = re.findall(r'name="([^"]+)"', text)
    if labels:
        used = " ".join(labels.group(1).split())
        where = f" (in {', '.join(dict.fromkeys(tags))})" if tags else ""
        text = f"these labels are used in annotations or drafts{where}: {used}"
    else:
        text = " ".join(text.split())
    return (
        f"Label Studio at {url} refuses the new label config for project {project_id}: {text}. "
        "Keep those labels in the schema, or set up a new project with --title"
    )


def _normalise_xml(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def connect(url: str, api_key: str, check: bool = True, timeout: float = DEFAULT_TIMEOUT) -> Studio:
    """A `Studio` for `url`, checked (server answers, key accepted) unless `check` is False."""
    if not url:
        raise StudioError(
            "no Label Studio URL; give --url or start the local one with `mauqif studio start`"
        )
    if not api_key:
        raise StudioError(f"no API key for {url}; give --api-key or set LABEL_STUDIO_API_KEY")
    if not re.match(r"^https?://", url):
        raise StudioError(f"{url!r} is not an http(s) URL; give it like http://127.0.0.1:8080")
    studio = Studio(url, api_key, timeout=timeout)
    if check:
        studio.check()
    return studio

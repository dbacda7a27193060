"""The door's checker: nginx asks it about every request (`auth_request`), it answers 204 or 403.

nginx knows nothing of Label Studio's users, so the checker finds out who is asking the way
Label Studio does: it sends the request's own session cookie (or `Authorization` header) to
Label Studio's `GET /api/current-user/whoami` and reads the id back. That answer is cached for a
few seconds under a hash of the credentials (a page load makes dozens of requests). Then
`rules.decide` says what that member may do; for "the member's own annotation or draft" the
checker asks Label Studio, with the lead's key, whose it is (never cached: an owner can change).
When the rules let a request through only without its body (an annotator's `next_task`: its
body could filter the stream by other members' answers), the answer carries `X-Door-Body: blank`
and nginx sends Label Studio `{}` in its place.

Every refusal is appended to HOME/door/refused.jsonl (time, member, method, path, reason): the
lead sees who tried what. Nothing here logs a cookie, a token or a password.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .rules import decide, owner_of, public

CACHE_SECONDS = 5.0
BODY_HEADER = "X-Door-Body"  # nginx reads it as $upstream_http_x_door_body


@dataclass
class Checker:
    studio_url: str
    api_key: str  # the lead's, for whose-is-it lookups; never sent anywhere else
    leads: frozenset[int]
    refused_log: Path | None = None
    timeout: float = 10.0
    _cache: dict = field(default_factory=dict)

    def _lead_headers(self) -> dict:
        return {"Authorization": f"Token {self.api_key}"}

    async def whoami(self, client, cookie: str, authorization: str) -> dict | None:
        """The member the credentials log in, or None."""
        if not cookie and not authorization:
            return None
        key = hashlib.sha256(f"{cookie}\0{authorization}".encode()).hexdigest()
        hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        headers = {k: v for k, v in (("Cookie", cookie), ("Authorization", authorization)) if v}
        response = await client.get(
            f"{self.studio_url}/api/current-user/whoami", headers=headers, timeout=self.timeout
        )
        user = None
        if response.status_code == 200:
            body = response.json()
            if isinstance(body, dict) and isinstance(body.get("id"), int):
                user = {"id": body["id"], "email": body.get("email") or str(body["id"])}
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (time.monotonic() + CACHE_SECONDS, user)
        return user

    async def owner(self, client, kind: str, object_id: int) -> int | None:
        path = {"annotation": "annotations", "draft": "drafts", "view": "dm/views"}[kind]
        response = await client.get(
            f"{self.studio_url}/api/{path}/{object_id}/",
            headers=self._lead_headers(),
            timeout=self.timeout,
        )
        if response.status_code != 200:
            return None
        body = response.json()
        return owner_of(kind, body) if isinstance(body, dict) else None

    async def check(self, client, method: str, uri: str, cookie: str, authorization: str):
        """(HTTP status for nginx: 204, 401 or 403, the member or None, the reason, whether the
        body must be replaced by `{}`)."""
        if public(method, uri):
            return 204, None, "public", False
        user = await self.whoami(client, cookie, authorization)
        lead = user is not None and user["id"] in self.leads
        decision = decide(method, uri, user is not None, lead)
        if decision.outcome == "allow":
            return 204, user, decision.reason, decision.blank_body
        if decision.outcome == "login":
            return 401, None, decision.reason, False
        if decision.outcome == "lookup":
            owner = await self.owner(client, decision.kind, decision.object_id)
            if owner is not None and owner == user["id"]:
                return 204, user, decision.reason, False
            reason = f"{decision.kind} {decision.object_id} is not the member's own"
        else:
            reason = decision.reason
        self.refused(user, method, uri, reason)
        return 403, user, reason, False

    def refused(self, user, method: str, uri: str, reason: str) -> None:
        if self.refused_log is None:
            return
        line = {
            "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "member": user["email"] if user else None,
            "member_id": user["id"] if user else None,
            "method": method,
            "uri": uri.split("?", 1)[0][:500],
            "reason": reason,
        }
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode("utf-8")
        fd = os.open(self.refused_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)


def make_app(checker: Checker):
    """The Starlette app nginx's `auth_request` calls: `GET /check` with the original method
    and URI in `X-Original-Method` and `X-Original-URI`."""
    import httpx
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    client = httpx.AsyncClient()

    async def check(request):
        method = request.headers.get("x-original-method", "")
        uri = request.headers.get("x-original-uri", "")
        headers = {}
        try:
            status, _user, _reason, blank = await checker.check(
                client,
                method,
                uri,
                request.headers.get("cookie", ""),
                request.headers.get("authorization", ""),
            )
            if blank:
                headers[BODY_HEADER] = "blank"
        except httpx.HTTPError:
            status = 503  # Label Studio does not answer: let nothing through
        return Response(status_code=status, headers=headers)

    async def health(request):
        return JSONResponse({"door": "mauqif"})

    return Starlette(routes=[Route("/check", check), Route("/health", health)])

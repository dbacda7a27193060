"""Polite HTTP fetching with a cache on disk: robots.txt, a per-host delay, retries, timeouts.

Every page mauqif reads from the web goes through `Fetcher.fetch`:
- robots.txt is read first (once per host, kept in the cache like any page) and obeyed for the
  user agent `mauqif`, with its Crawl-delay when longer than ours (RFC 9309: a robots.txt that
  is missing (4xx) allows everything; one the server fails to give (5xx, no answer) forbids
  everything until it can be read);
- requests to one host are at least `delay` seconds apart;
- a 429 or 5xx answer, a timeout or a dropped connection is retried with exponential backoff,
  and a server's `Retry-After` is honoured (up to `retry_after_max` seconds);
- every answer worth keeping (2xx, and 4xx other than 408/429: a 404 stays a 404) is written to
  `<home>/cache/` with its URL, status and fetch time. An article page is never fetched again;
  feeds, sitemaps, robots.txt and error answers are fetched again once older than their
  `max_age`, with `If-None-Match` / `If-Modified-Since` so an unchanged feed costs a 304.

A failure raises `InputError(url, reason)`, which the readers report and go past.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
import urllib.robotparser
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import urllib3

from ..exceptions import InputError
from ..tables import write_bytes_atomic

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
NOT_KEPT = RETRY_STATUSES | {408}  # answers that say "try later", never cached
ROBOTS_MAX_AGE = 24 * 3600.0  # as the big crawlers do (RFC 9309 asks for at most 24 hours)
MAX_CRAWL_DELAY = 60.0  # a robots.txt asking for more is obeyed at this pace
MAX_BODY = 50 * 1024 * 1024


def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        v = version("mauqif")
    except PackageNotFoundError:  # a source tree that is not installed
        v = "0"
    return f"mauqif/{v} (Urdu news stance annotation; polite fetcher, obeys robots.txt)"


@dataclass(frozen=True)
class FetchPolicy:
    """How politely and how patiently to fetch. The defaults suit a news site.

    `delay`: seconds between two requests to one host. `timeout`: seconds to connect and,
    separately, to wait for the answer. `retries`: further attempts after a 429, 5xx, timeout
    or dropped connection, waiting `backoff` × 2^attempt seconds (or the server's Retry-After,
    at most `retry_after_max`). `max_age`: seconds a cached feed or sitemap is trusted before it
    is asked for again (article pages are kept for good).
    """

    user_agent: str = field(default_factory=_user_agent)
    robots_agent: str = "mauqif"
    delay: float = 1.0
    timeout: float = 20.0
    retries: int = 3
    backoff: float = 2.0
    retry_after_max: float = 120.0
    max_age: float = 900.0

    def __post_init__(self):
        for name in ("delay", "timeout", "backoff", "retry_after_max", "max_age"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.retries < 0:
            raise ValueError(f"retries must not be negative, got {self.retries}")


@dataclass(frozen=True)
class Page:
    """One fetched (or cached) answer."""

    url: str  # as asked for
    final_url: str  # after redirects
    status: int
    fetched_at: str  # ISO 8601, UTC
    headers: dict[str, str]
    body: bytes
    from_cache: bool = False

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def age(self, now: float | None = None) -> float:
        fetched = datetime.fromisoformat(self.fetched_at).timestamp()
        return (time.time() if now is None else now) - fetched


def canonical_url(url: str) -> str:
    """The URL a page is known by: without its #fragment and tracking parameters (utm_…)."""
    from courlan import normalize_url

    url = urldefrag(url.strip())[0]
    try:
        return urldefrag(normalize_url(url))[0]
    except ValueError:
        return url


def is_url(item: object) -> bool:
    return isinstance(item, str) and item.lower().startswith(("http://", "https://"))


class FetchCache:
    """Answers on disk: `<dir>/<2 hex>/<sha256 of the URL>.json` (URL, status, fetch time, the
    headers that matter) beside `.body`. Both are written atomically, the body first, so a
    half-written entry is never read."""

    KEPT_HEADERS = ("content-type", "etag", "last-modified", "content-location")

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def _paths(self, url: str) -> tuple[Path, Path]:
        digest = hashlib.sha256(url.encode()).hexdigest()
        base = self.directory / digest[:2] / digest
        return base.with_suffix(".json"), base.with_suffix(".body")

    def get(self, url: str) -> Page | None:
        meta_path, body_path = self._paths(url)
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
            body = body_path.read_bytes()
            if meta.get("url") != url or hashlib.sha256(body).hexdigest() != meta.get("sha256"):
                return None  # a damaged entry is fetched again
            return Page(
                url=url,
                final_url=meta["final_url"],
                status=int(meta["status"]),
                fetched_at=meta["fetched_at"],
                headers=dict(meta.get("headers") or {}),
                body=body,
                from_cache=True,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def put(self, page: Page) -> None:
        meta_path, body_path = self._paths(page.url)
        meta_path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(body_path, page.body)
        meta = {
            "url": page.url,
            "final_url": page.final_url,
            "status": page.status,
            "fetched_at": page.fetched_at,
            "headers": {k: v for k, v in page.headers.items() if k in self.KEPT_HEADERS},
            "sha256": hashlib.sha256(page.body).hexdigest(),
        }
        write_bytes_atomic(meta_path, json.dumps(meta, ensure_ascii=False, indent=1).encode())

    def touch(self, page: Page, fetched_at: str) -> Page:
        """A 304 said the cached copy is current: keep it, with the new fetch time."""
        fresh = Page(
            page.url, page.final_url, page.status, fetched_at, page.headers, page.body, True
        )
        self.put(fresh)
        return fresh


@dataclass
class FetchStats:
    requests: int = 0  # HTTP requests sent (retries and robots.txt included)
    cached: int = 0  # answers served from the cache without a request
    revalidated: int = 0  # 304 answers: the cached copy was still current


class Fetcher:
    """Fetches URLs politely into `cache` (see the module docstring). One per run.

    `sleep` and `clock` are `time.sleep` and `time.monotonic` unless a test gives others.
    """

    def __init__(
        self,
        cache: FetchCache | str | Path,
        policy: FetchPolicy | None = None,
        *,
        on_retry: Callable[[str, str, float], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.cache = cache if isinstance(cache, FetchCache) else FetchCache(cache)
        self.policy = policy or FetchPolicy()
        self.stats = FetchStats()
        self.on_retry = on_retry
        self._sleep = sleep
        self._clock = clock
        # Headers given to a request replace the pool's, so they are merged in `_get`.
        self._headers = {"User-Agent": self.policy.user_agent, "Accept-Encoding": "gzip, deflate"}
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=self.policy.timeout, read=self.policy.timeout),
            retries=urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=5),
        )
        self._robots: dict[str, urllib.robotparser.RobotFileParser | str] = {}
        self._last_request: dict[str, float] = {}
        self._not_before: dict[str, float] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_home(cls, home: str | Path, policy: FetchPolicy | None = None, **kwargs) -> Fetcher:
        """The fetcher whose cache is `<home>/cache/` (the mauqif home, `--home`)."""
        return cls(Path(home) / "cache", policy, **kwargs)

    # ---- the one public call --------------------------------------------------------------------

    def fetch(self, url: str, *, max_age: float | None = None) -> Page:
        """The answer for `url`, from the cache when it holds one, else from the web.

        `max_age` None: a cached page is used however old (article pages), a cached error
        status (404) for the policy's `max_age`. A number: an older cached answer is asked for
        again, conditionally (feeds, sitemaps).
        Raises InputError(url, reason) when robots.txt forbids it or no answer comes.
        """
        cached = self.cache.get(url)
        if cached is not None and not cached.ok and max_age is None:
            max_age = self.policy.max_age  # a 404 may be a page not yet up: asked again later
        if cached is not None and (max_age is None or cached.age() <= max_age):
            self.stats.cached += 1
            return cached
        self._check_robots(url)
        return self._get(url, cached)

    def require(self, url: str, *, max_age: float | None = None) -> Page:
        """`fetch`, and an HTTP error status becomes InputError(url, 'HTTP 404 Not Found')."""
        page = self.fetch(url, max_age=max_age)
        if not page.ok:
            when = f" (cached answer of {page.fetched_at})" if page.from_cache else ""
            raise InputError(url, f"HTTP {page.status} {status_phrase(page.status)}{when}")
        return page

    # ---- robots.txt -----------------------------------------------------------------------------

    def _check_robots(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.path == "/robots.txt":
            return
        robots = self._robots_for(f"{parts.scheme}://{parts.netloc}")
        if isinstance(robots, str):
            raise InputError(url, robots)
        if not robots.can_fetch(self.policy.robots_agent, url):
            raise InputError(
                url,
                f"disallowed by the site's robots.txt for user agent {self.policy.robots_agent}",
            )

    def _robots_for(self, origin: str) -> urllib.robotparser.RobotFileParser | str:
        with self._lock:
            if origin in self._robots:
                return self._robots[origin]
        robots_url = f"{origin}/robots.txt"
        parser = urllib.robotparser.RobotFileParser(robots_url)
        try:
            page = self.fetch(robots_url, max_age=ROBOTS_MAX_AGE)
        except InputError as exc:
            result: urllib.robotparser.RobotFileParser | str = (
                f"its robots.txt could not be read ({exc.reason}); not fetching until it can be"
            )
        else:
            if page.ok:
                parser.parse(page.body.decode("utf-8", "replace").splitlines())
                result = parser
            elif 400 <= page.status < 500:
                parser.parse([])  # no robots.txt: everything is allowed
                result = parser
            else:
                result = (
                    f"its robots.txt answered HTTP {page.status}; not fetching until it can be read"
                )
        with self._lock:
            self._robots[origin] = result
        return result

    def _host_delay(self, netloc: str) -> float:
        robots = self._robots.get(netloc)
        delay = self.policy.delay
        if isinstance(robots, urllib.robotparser.RobotFileParser):
            asked = robots.crawl_delay(self.policy.robots_agent)
            if asked:
                delay = max(delay, min(float(asked), MAX_CRAWL_DELAY))
        return delay

    # ---- the request ----------------------------------------------------------------------------

    def _wait_turn(self, origin: str) -> None:
        """Sleep until `delay` has passed since this host's previous request (and any pause a
        retry asked for), then take the turn."""
        delay = self._host_delay(origin)
        with self._lock:
            now = self._clock()
            turn = max(
                now,
                self._last_request.get(origin, now - delay) + delay,
                self._not_before.get(origin, now),
            )
            self._last_request[origin] = turn
        if turn > now:
            self._sleep(turn - now)

    def _get(self, url: str, cached: Page | None) -> Page:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        headers = dict(self._headers)
        if cached is not None and cached.ok:
            if "etag" in cached.headers:
                headers["If-None-Match"] = cached.headers["etag"]
            if "last-modified" in cached.headers:
                headers["If-Modified-Since"] = cached.headers["last-modified"]
        attempts = self.policy.retries + 1
        for attempt in range(attempts):
            self._wait_turn(origin)
            fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
            self.stats.requests += 1
            try:
                response = self._http.request(
                    "GET", url, headers=headers, preload_content=False, decode_content=True
                )
                try:
                    body = response.read(MAX_BODY + 1)
                finally:
                    response.release_conn()
            except urllib3.exceptions.HTTPError as exc:
                problem, wait = _network_reason(exc), None
            else:
                if len(body) > MAX_BODY:
                    raise InputError(url, f"is larger than {MAX_BODY // 2**20} MB; not read")
                status = response.status
                if status == HTTPStatus.NOT_MODIFIED and cached is not None:
                    self.stats.revalidated += 1
                    return self.cache.touch(cached, fetched_at)
                if status not in RETRY_STATUSES:
                    page = Page(
                        url=url,
                        # urllib3 gives the path alone when there was no redirect
                        final_url=urljoin(url, response.geturl() or url),
                        status=status,
                        fetched_at=fetched_at,
                        headers={k.lower(): v for k, v in response.headers.items()},
                        body=body,
                    )
                    if status not in NOT_KEPT:
                        self.cache.put(page)
                    return page
                problem = f"HTTP {status} {status_phrase(status)}"
                wait = self._retry_after(response.headers.get("Retry-After"))
            if attempt + 1 == attempts:
                break
            pause = wait if wait is not None else self.policy.backoff * 2**attempt
            if self.on_retry is not None:
                self.on_retry(url, problem, pause)
            # The pause holds the whole host: its other URLs wait for it too.
            with self._lock:
                self._not_before[origin] = self._clock() + pause
        if cached is not None:
            # A stale copy (a feed asked for again) beats nothing; the next run asks again.
            return cached
        raise InputError(url, f"{problem}, after {attempts} attempts")

    def _retry_after(self, value: str | None) -> float | None:
        if not value:
            return None
        # urllib3 parses both forms (seconds, or an HTTP date); a longer wait than we allow is
        # cut to `retry_after_max`.
        with contextlib.suppress(urllib3.exceptions.InvalidHeader, ValueError):
            seconds = float(urllib3.Retry().parse_retry_after(value))
            return min(seconds, self.policy.retry_after_max)
        return None

    def close(self) -> None:
        self._http.clear()


def status_phrase(status: int) -> str:
    """The reason phrase of an HTTP status ("Not Found"); empty for a status Python does not name."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _network_reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None) or exc
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return "connection refused or host unreachable"
    if isinstance(reason, urllib3.exceptions.TimeoutError | TimeoutError):
        return "timed out"
    if isinstance(reason, urllib3.exceptions.ProtocolError):
        return "the connection was dropped"
    text = str(reason)
    return text.split(": ", 1)[-1] if ": " in text else text

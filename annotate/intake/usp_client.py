"""ultimate-sitemap-parser's web client interface over our `Fetcher`.

usp fetches a sitemap index's children itself; giving it this client makes those fetches obey
robots.txt, the per-host delay and the cache like every other page. The Fetcher retries on its
own, so every failure is handed to usp as not retryable (usp would otherwise retry it again).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from usp.web_client.abstract_client import (
    AbstractWebClient,
    AbstractWebClientResponse,
    AbstractWebClientSuccessResponse,
    WebClientErrorResponse,
)

from ..exceptions import InputError
from .fetch import Page, status_phrase

if TYPE_CHECKING:
    from .sources import Intake


class _Response(AbstractWebClientSuccessResponse):
    def __init__(self, page: Page):
        self._page = page

    def status_code(self) -> int:
        return self._page.status

    def status_message(self) -> str:
        return status_phrase(self._page.status)

    def header(self, case_insensitive_name: str) -> str | None:
        return self._page.headers.get(case_insensitive_name.lower())

    def raw_data(self) -> bytes:
        return self._page.body

    def url(self) -> str:
        return self._page.final_url


class _Error(WebClientErrorResponse):
    pass


class FetcherWebClient(AbstractWebClient):
    """Sitemaps fetched through the run's Fetcher (and trusted for the feeds' max age)."""

    def __init__(self, intake: Intake):
        self._intake = intake

    def set_max_response_data_length(self, max_response_data_length: int | None) -> None:
        pass  # the Fetcher has its own limit

    def get(self, url: str) -> AbstractWebClientResponse:
        try:
            page = self._intake.fetcher.require(url, max_age=self._intake.feed_max_age)
        except InputError as exc:
            return _Error(exc.reason, retryable=False)
        return _Response(page)

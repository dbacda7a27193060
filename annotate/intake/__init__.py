"""News intake: article URLs, files of URLs, RSS/Atom feeds and sitemaps, fetched politely.

    from mauqif.annotate.intake import Fetcher, FetchPolicy, Intake
    from mauqif.annotate.reader import iter_articles

    intake = Intake(Fetcher.for_home(".mauqif", FetchPolicy(delay=2.0)))
    inputs = intake.sources(["https://example.com/news/1.html"], feeds=["https://example.com/rss"])
    for article in iter_articles(inputs, on_skip=print):
        ...

Pages are kept in `<home>/cache/`, so a second run fetches nothing it already has.
"""

from .fetch import FetchCache, Fetcher, FetchPolicy, FetchStats, Page, canonical_url, is_url
from .sources import Feed, Hints, Intake, Sitemap, UrlList, WebPage, page_article

__all__ = [
    "FetchCache",
    "FetchPolicy",
    "FetchStats",
    "Feed",
    "Fetcher",
    "Hints",
    "Intake",
    "Page",
    "Sitemap",
    "UrlList",
    "WebPage",
    "canonical_url",
    "is_url",
    "page_article",
]

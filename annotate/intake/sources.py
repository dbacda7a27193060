"""Where web articles come from: article URLs, a file of URLs, RSS/Atom feeds and sitemaps.

Each is an article source the readers accept beside files (`reader.iter_articles`): its `read`
yields `Article`s and reports each page that fails (with its URL and the reason) to `on_skip`,
going on with the others. Feeds are parsed by feedparser and sitemaps (indexes, gzip, news
sitemaps, plain-text lists) by ultimate-sitemap-parser, both fed through our own polite, cached
`Fetcher` (trafilatura's feed and sitemap helpers fetch on their own and drop loopback and IP
hosts, which rules out a test server). Title, date, author and URL come from the page's own
metadata (trafilatura); what the feed or sitemap says fills what the page leaves out.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from email.message import Message
from pathlib import Path

from ..exceptions import InputError
from ..reader import Article, SkipHandler, decode, html_article
from .fetch import Fetcher, Page, canonical_url, is_url

HTML_TYPES = ("text/html", "application/xhtml+xml", "")


@dataclass(frozen=True)
class Hints:
    """What a feed entry or a sitemap says of an article, used where the page itself is silent."""

    title: str | None = None
    published: str | None = None
    author: str | None = None


class Intake:
    """One run's reading from the web: the fetcher, and the articles already read in this run
    (a URL in a feed and in a sitemap is read once)."""

    def __init__(self, fetcher: Fetcher, feed_max_age: float | None = None):
        self.fetcher = fetcher
        self.feed_max_age = fetcher.policy.max_age if feed_max_age is None else feed_max_age
        self._read: set[str] = set()

    def sources(
        self,
        inputs: Iterable[str | Path] = (),
        *,
        urls: Iterable[str | Path] = (),
        feeds: Iterable[str] = (),
        sitemaps: Iterable[str] = (),
    ) -> list:
        """The inputs for `iter_articles`: files as they are, `http(s)://` inputs as web pages,
        then the URL files, feeds and sitemaps."""
        out: list = [WebPage(self, str(i)) if is_url(i) else i for i in inputs]
        out += [UrlList(self, Path(p)) for p in urls]
        out += [Feed(self, u) for u in feeds]
        out += [Sitemap(self, u) for u in sitemaps]
        return out

    def article(self, url: str, hints: Hints | None = None) -> Article | None:
        """The article at `url`, or None when this run has read it already."""
        key = canonical_url(url)
        if key in self._read:
            return None
        self._read.add(key)
        # Fetched (and cached) by its canonical URL: the same page behind two tracking links
        # is fetched once.
        page = self.fetcher.require(key)
        return page_article(page, key, hints or Hints())

    def page_articles(
        self, links: Iterable[tuple[str, Hints]], on_skip: SkipHandler
    ) -> Iterator[Article]:
        for url, hints in links:
            try:
                article = self.article(url, hints)
            except InputError as exc:
                on_skip(exc)
                continue
            if article is not None:
                yield article


def page_article(page: Page, article_id: str, hints: Hints) -> Article:
    """A fetched page → Article: its main text and metadata by trafilatura, `hints` as fallback."""
    mime = page.content_type.split(";")[0].strip().lower()
    if mime not in HTML_TYPES:
        if "rss" in mime or "atom" in mime or ("xml" in mime and b"<urlset" in page.body[:2000]):
            raise InputError(
                page.url, f"is a feed or sitemap ({mime}): give it with --feed or --sitemap"
            )
        raise InputError(page.url, f"is {mime}, not an HTML page")
    article = html_article(page_text(page), article_id, page.url)
    url = article.url if is_url(article.url) else page.final_url
    return replace(
        article,
        url=url,
        title=article.title or hints.title,
        published=article.published or hints.published,
        author=article.author or hints.author,
    )


def page_text(page: Page) -> str:
    """The page's bytes as text: the charset its Content-Type names, else trafilatura's guess."""
    message = Message()
    message["content-type"] = page.content_type or "text/html"
    charset = message.get_content_charset()
    if charset:
        try:
            return page.body.decode(charset, "replace")
        except LookupError:
            pass
    from trafilatura.utils import decode_file

    return decode_file(page.body)


@dataclass(frozen=True)
class WebPage:
    """One article URL."""

    intake: Intake
    url: str

    @property
    def name(self) -> str:
        return self.url

    def read(self, on_skip: SkipHandler) -> Iterator[Article]:
        article = self.intake.article(self.url)
        if article is not None:
            yield article


@dataclass(frozen=True)
class UrlList:
    """A text file of article URLs, one a line; blank lines and `#` comments are ignored."""

    intake: Intake
    path: Path

    @property
    def name(self) -> str:
        return str(self.path)

    def read(self, on_skip: SkipHandler) -> Iterator[Article]:
        text = decode(self.path.read_bytes(), str(self.path))
        links = []
        for lineno, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if not is_url(line):
                on_skip(InputError(f"{self.path}:{lineno}", f"not an http(s) URL: {line[:80]!r}"))
                continue
            links.append((line, Hints()))
        if not links:
            raise InputError(str(self.path), "has no URLs")
        yield from self.intake.page_articles(links, on_skip)


@dataclass(frozen=True)
class Feed:
    """An RSS or Atom feed: the articles its entries link to, parsed by feedparser."""

    intake: Intake
    url: str

    @property
    def name(self) -> str:
        return self.url

    def read(self, on_skip: SkipHandler) -> Iterator[Article]:
        import feedparser

        page = self.intake.fetcher.require(self.url, max_age=self.intake.feed_max_age)
        parsed = feedparser.parse(
            io.BytesIO(page.body),
            response_headers={
                "content-location": page.final_url,
                "content-type": page.content_type,
            },
        )
        if not parsed.entries:
            problem = parsed.get("bozo_exception")
            raise InputError(
                self.url,
                f"is not an RSS/Atom feed ({problem})" if problem else "is a feed with no entries",
            )
        links = []
        for number, entry in enumerate(parsed.entries, 1):
            link = entry.get("link")
            if not is_url(link):
                on_skip(InputError(f"{self.url} entry {number}", "has no http(s) link"))
                continue
            when = entry.get("published_parsed") or entry.get("updated_parsed")
            hints = Hints(
                title=entry.get("title") or None,
                published=f"{when.tm_year:04d}-{when.tm_mon:02d}-{when.tm_mday:02d}"
                if when
                else None,
                author=entry.get("author") or None,
            )
            links.append((link, hints))
        yield from self.intake.page_articles(links, on_skip)


@dataclass(frozen=True)
class Sitemap:
    """A sitemap (or sitemap index, gzipped or not, news sitemap or plain list of URLs): the
    pages it lists, parsed by ultimate-sitemap-parser."""

    intake: Intake
    url: str

    @property
    def name(self) -> str:
        return self.url

    def read(self, on_skip: SkipHandler) -> Iterator[Article]:
        from usp.fetch_parse import SitemapFetcher
        from usp.objects.sitemap import InvalidSitemap

        from .usp_client import FetcherWebClient

        root = SitemapFetcher(
            self.url, recursion_level=0, web_client=FetcherWebClient(self.intake)
        ).sitemap()
        if isinstance(root, InvalidSitemap):
            raise InputError(self.url, _sitemap_reason(root.reason, self.url))
        for sitemap in root.all_sitemaps():
            if isinstance(sitemap, InvalidSitemap):
                on_skip(InputError(sitemap.url, _sitemap_reason(sitemap.reason, sitemap.url)))
        links = []
        for entry in root.all_pages():
            story = entry.news_story
            published = (
                story.publish_date.date().isoformat() if story and story.publish_date else None
            )
            links.append(
                (entry.url, Hints(title=story.title if story else None, published=published))
            )
        if not links and not any(isinstance(s, InvalidSitemap) for s in root.all_sitemaps()):
            raise InputError(self.url, "is a sitemap that lists no pages")
        yield from self.intake.page_articles(links, on_skip)


def _sitemap_reason(reason: str, url: str) -> str:
    # usp says "Unable to fetch sitemap from URL: why"; the URL is already in front of our line.
    return reason.replace(f"Unable to fetch sitemap from {url}: ", "").strip() or "not a sitemap"

"""Articles → units: clean, segment, find mentions. One row per unit, streamed.

Articles read together are segmented together: `Segmenter.iter_units` reads a window of them
ahead, groups them by site (`sitelines.site_of`) and drops the lines that several different
stories of a site repeat (`sitelines.repeated_lines`): an outlet's masthead, prompts and boxes.
One article alone (`Segmenter.stream`) has only the rules of `segment` to go by.

A row's `note` is empty unless the unit is not what the segmentation rules alone would give:
a unit longer than the cleaning rules' `max_unit_chars` is cut into pieces noted
`cut: longer than N characters (part i of n)`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field

from .exceptions import InputError
from .mentions import ArticleMentions, MentionFinder
from .normalize import normalize, visible_text
from .reader import Article
from .schema import Schema, load_schema
from .segment import (
    CleaningRules,
    clean_text,
    furniture_reason,
    iter_units,
    load_cleaning_rules,
)
from .sitelines import RepeatRules, repeated_lines, site_of

# How far `iter_units` reads ahead to find a site's repeated lines: a window holds at most this
# many articles, or this many characters of text, whichever comes first.
WINDOW_ARTICLES = 200
WINDOW_CHARS = 2_000_000  # 200 news pages of 10,000 characters

UNIT_COLUMNS = [
    "article_id",
    "index",
    "sentence_id",
    "kind",
    "text",
    "context",
    "start",
    "end",
    "mentions",
    "title",
    "url",
    "published",
    "author",
    "note",
]


def sentence_id(article_id: str, text: str, occurrence: int) -> str:
    """Stable across runs: the same article text gives the same ids, so re-imports are idempotent.

    It depends on the unit's own text and how often that text came before in the article, not on
    its position, so an edit elsewhere in the article keeps the other ids.
    """
    key = f"{article_id}\x1f{text}\x1f{occurrence}".encode()
    return hashlib.sha1(key).hexdigest()[:16]


def with_title(article: Article, rules: CleaningRules | None = None) -> str:
    """The article's text with its title as the first line, unless the text already opens with it.

    A JSONL article carries its headline in `title`; annotators label headlines too. With `rules`,
    page furniture above the headline (a section label, a date) does not hide it.
    """
    title = (article.title or "").strip()
    if not title:
        return article.text
    lines = (line.strip() for line in article.text.strip().split("\n"))
    first_line = next(
        (line for line in lines if line and (rules is None or not furniture_reason(line, rules))),
        "",
    )
    if normalize(title) in normalize(first_line):
        return article.text
    return f"{title}\n\n{article.text}"


def _bounded(value, limit: int):
    """A text field cut to `limit` characters (other values as they are)."""
    return value[:limit] if isinstance(value, str) and len(value) > limit else value


@dataclass
class Segmenter:
    """The sentence pipeline with its configuration: schema (for mentions) and cleaning rules."""

    schema: Schema
    rules: CleaningRules
    finder: MentionFinder | None = None  # default: the schema's; a model's has learned aliases
    repeats: RepeatRules = field(default_factory=RepeatRules)

    @classmethod
    def default(
        cls, schema: Schema | None = None, finder: MentionFinder | None = None
    ) -> Segmenter:
        return cls(schema or load_schema(), load_cleaning_rules(), finder)

    def __post_init__(self):
        if self.finder is None:
            self.finder = MentionFinder(self.schema)

    def units(self, article: Article) -> list[dict]:
        """The article's rows (see `stream`), as a list."""
        return list(self.stream(article))

    def stream(self, article: Article, site_lines: Collection[str] = ()) -> Iterator[dict]:
        """The article's rows one at a time, so a huge article's rows are never all held.

        `site_lines`: keys of the lines its site repeats on other pages (see `iter_units`).
        Raises `InputError` (after yielding nothing) when no text is left after cleaning.
        """
        cleaned = clean_text(with_title(article, self.rules), self.rules, site_lines)
        rows = 0
        # How often each text came before, by a digest of it: the texts themselves would keep
        # the whole article alive while its rows stream out.
        seen: Counter[bytes] = Counter()
        previous = ""
        mentions = ArticleMentions(self.finder)  # people the article introduces by title
        # Every row repeats the article's metadata: a huge field (an 11 MB "title") would make
        # the output grow with rows × its size, so each is cut to the unit limit.
        limit = self.rules.max_unit_chars
        title = _bounded(visible_text(article.title) if article.title else article.title, limit)
        url, author = _bounded(article.url, limit), _bounded(article.author, limit)
        published = _bounded(article.published, limit)
        for index, span in enumerate(iter_units(cleaned, self.rules)):
            text = cleaned[span.start : span.end]
            paragraph_start = span.start == 0 or cleaned[span.start - 1] == "\n"
            key = hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()
            yield {
                "article_id": article.id,
                "index": index,
                "sentence_id": sentence_id(article.id, text, seen[key]),
                "kind": span.kind,
                "text": text,
                "context": previous,
                "start": span.start,
                "end": span.end,
                "mentions": mentions.find(text, paragraph_start=paragraph_start, context=previous),
                "title": title,
                "url": url,
                "published": published,
                "author": author,
                "note": span.note,
            }
            rows += 1
            seen[key] += 1
            previous = text
        if not rows:
            raise InputError(
                article.source or article.id, "has no text left after removing page furniture"
            )

    def iter_units(
        self,
        articles: Iterable[Article],
        on_error: Callable[[InputError], None] | None = None,
    ) -> Iterator[dict]:
        """The rows of every article, in order, with the lines each site repeats dropped.

        An article with no text left goes to `on_error` (raised without one). A line found
        repeated on a site stays furniture for that site's later windows.
        """
        known: dict[str, set[str]] = {}
        for window in _windows(articles):
            found = self.site_furniture(window)
            for site, keys in found.items():
                known.setdefault(site, set()).update(keys)
            for article in window:
                lines = known.get(site_of(article.url, article.source), ())
                try:
                    yield from self.stream(article, lines)
                except InputError as exc:
                    if on_error is None:
                        raise
                    on_error(exc)

    def site_furniture(self, articles: list[Article]) -> dict[str, set[str]]:
        """For each site with several articles among `articles`, the keys of its repeated lines."""
        sites: dict[str, list[Article]] = {}
        for article in articles:
            sites.setdefault(site_of(article.url, article.source), []).append(article)
        found = {}
        for site, pages in sites.items():
            if len(pages) < self.repeats.min_pages:
                continue
            texts = (visible_text(with_title(page, self.rules)) for page in pages)
            keys = repeated_lines([_lines(text) for text in texts], self.repeats)
            if keys:
                found[site] = keys
        return found


def _lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").split("\n")


def _windows(articles: Iterable[Article]) -> Iterator[list[Article]]:
    """The articles in windows of at most WINDOW_ARTICLES articles and about WINDOW_CHARS
    characters (an article longer than that is a window of its own)."""
    window: list[Article] = []
    chars = 0
    for article in articles:
        if window and (len(window) >= WINDOW_ARTICLES or chars + len(article.text) > WINDOW_CHARS):
            yield window
            window, chars = [], 0
        window.append(article)
        chars += len(article.text)
    if window:
        yield window

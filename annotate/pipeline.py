"""Articles → units: clean, segment, find mentions. One row per unit, streamed.

A row's `note` is empty unless the unit is not what the segmentation rules alone would give:
a unit longer than the cleaning rules' `max_unit_chars` is cut into pieces noted
`cut: longer than N characters (part i of n)`.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .exceptions import InputError
from .mentions import MentionFinder
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

    def stream(self, article: Article) -> Iterator[dict]:
        """The article's rows one at a time, so a huge article's rows are never all held.

        Raises `InputError` (after yielding nothing) when no text is left after cleaning.
        """
        cleaned = clean_text(with_title(article, self.rules), self.rules)
        rows = 0
        # How often each text came before, by a digest of it: the texts themselves would keep
        # the whole article alive while its rows stream out.
        seen: Counter[bytes] = Counter()
        previous = ""
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
                "mentions": self.finder.find(
                    text, paragraph_start=paragraph_start, context=previous
                ),
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

    def iter_units(self, articles: Iterable[Article]) -> Iterator[dict]:
        for article in articles:
            yield from self.stream(article)

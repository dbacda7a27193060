"""Lines an outlet repeats on its pages: its furniture, whatever it says.

A site's masthead, its menus, its app and comment prompts, its most-read box and its footer come
back on every page it serves, while its stories do not. The pipeline sees several pages of one
site in a batch: the pages are grouped by site (the URL's host when the article has one, else
the file or directory it came from), and a line that several *different* stories of a group
carry is furniture. This is trafilatura's cross-document rule (its `deduplicate` option drops
a text segment seen more than a few times) made safe for news:

- two pages that share half of their sentence-like lines (two at least, unless that is all they
  have) are copies of one story (an update, a wire story run twice, the same file read twice),
  not two stories: their shared lines prove nothing, and `dedupe` deals with copies; so are two
  pages whose other sentences share most of their word pairs (a wire story another site
  edited);
- a short or unpunctuated line (a label, a prompt, a headline in a list) is furniture once two
  different stories carry it; a sentence-like line (a disclaimer, a "follow us" sentence) only
  once three do, since an outlet may reuse one background sentence in two stories.

A repeated line is dropped where furniture sits: before the story's first sentence, after its
last, or next to other furniture (`segment._mark_site_lines`). One between two sentences of the
story is a sub-heading the site uses often ("ماہرین کیا کہتے ہیں") and stays.

Pure: `repeated_lines` takes the pages' lines and returns the keys of the repeated ones.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from urllib.parse import urlsplit

from .normalize import normalize

SPACE_RUN = re.compile(r"\s+")
SENTENCE_END = re.compile(r"[۔؟?!.]\W*$")
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class RepeatRules:
    """`min_pages`: different stories that must carry a short line for it to be furniture;
    `sentence_min_pages`: the same for a sentence-like line (`sentence_min_words` words or more,
    ending a sentence); `copy_share`: the share of the smaller page's sentence-like lines two
    pages must share to be copies of one story, or else the Jaccard similarity (`copy_jaccard`)
    or containment (`copy_containment`) of the word pairs of their sentence-like lines (a wire
    story lightly edited by a second site); `max_chars`: longer lines are never counted."""

    min_pages: int = 2
    sentence_min_pages: int = 3
    sentence_min_words: int = 8
    copy_share: float = 0.5
    copy_jaccard: float = 0.4
    copy_containment: float = 0.6
    max_chars: int = 300


def line_key(line: str) -> str:
    """What two lines must share to be the same line: normalised letters, squeezed spaces."""
    return SPACE_RUN.sub(" ", normalize(line)).strip()


def host_of(url) -> str | None:
    """A page's site: its URL's host, lower case, without `www.` (None without a URL)."""
    if not isinstance(url, str) or "://" not in url:
        return None
    return (urlsplit(url).hostname or "").lower().removeprefix("www.") or None


def site_of(url: str | None, source: str) -> str:
    """The group a page's lines are compared within: the URL's host (`host_of`) when the
    article has a URL, else the directory of its file (a JSONL file for its lines)."""
    host = host_of(url)
    if host:
        return host
    if not source or source.startswith("<"):
        return source  # stdin: the batch
    path = re.sub(r":\d+$", "", source)  # a JSONL line: `file.jsonl:12`
    if path.lower().endswith((".jsonl", ".ndjson")):
        return path
    return str(PurePath(path).parent)


def _sentence_like(key: str, rules: RepeatRules) -> bool:
    return bool(SENTENCE_END.search(key)) and len(WORD.findall(key)) >= rules.sentence_min_words


def repeated_lines(pages: Sequence[Iterable[str]], rules: RepeatRules | None = None) -> set[str]:
    """The keys (`line_key`) of the lines that different stories among `pages` repeat.

    `pages` are the pages of one site, each as its lines; blank lines and lines longer than
    `rules.max_chars` are left out.
    """
    rules = rules or RepeatRules()
    keys = [
        {k for k in (line_key(line) for line in page if len(line) <= rules.max_chars) if k}
        for page in pages
    ]
    where: dict[str, list[int]] = defaultdict(list)
    for i, page in enumerate(keys):
        for key in page:
            where[key].append(i)
    body = [{k for k in page if _sentence_like(k, rules)} for page in keys]
    copies: dict[tuple[int, int], bool] = {}
    # Imported here: `dedupe` brings numpy, which `segment` (importing `line_key`) need not load.
    from .dedupe import shingles

    def similar(a: int, b: int) -> bool:
        # The sentences one page has and the other lacks word for word: a disclaimer both
        # carry says nothing of their stories.
        x = set().union(*(shingles(line) for line in body[a] - body[b]))
        y = set().union(*(shingles(line) for line in body[b] - body[a]))
        if not x or not y:
            return False
        shared = len(x & y)
        return shared >= rules.copy_jaccard * len(x | y) or shared >= rules.copy_containment * min(
            len(x), len(y)
        )

    def are_copies(a: int, b: int) -> bool:
        pair = (a, b) if a < b else (b, a)
        if pair not in copies:
            shared = len(body[a] & body[b])
            smaller, larger = sorted((len(body[a]), len(body[b])))
            # One shared sentence (a disclaimer) makes no copy unless it is all either page has.
            copies[pair] = (
                shared > 0
                and shared >= rules.copy_share * smaller
                and (shared >= 2 or shared == larger)
            ) or similar(a, b)
        return copies[pair]

    found = set()
    for key, holders in where.items():
        needed = rules.sentence_min_pages if _sentence_like(key, rules) else rules.min_pages
        if len(holders) < needed:
            continue
        stories: list[int] = []  # pages none of which copies another
        for page in holders:
            if not any(are_copies(page, other) for other in stories):
                stories.append(page)
                if len(stories) >= needed:
                    found.add(key)
                    break
    return found

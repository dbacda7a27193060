"""Near-duplicate units: a sentence annotators have seen, with small edits, is not sent again.

The same wire story (APP, AFP, Reuters through an Urdu desk) runs on many sites with a word
changed here and a clause there. Each unit's text is normalised (`normalize`: Arabic letter
forms, diacritics, tatweel), cut into words and overlapping word pairs (shingles of
`shingle_size` words), and summarised by a MinHash; an LSH index (datasketch's `MinHashLSH`)
finds earlier units whose estimated Jaccard similarity reaches `threshold`, and each candidate
is checked against its stored signature before a unit is dropped. Exact repeats are the
similarity-1 case.

An article most of whose units were dropped is reported as a `DuplicateArticle` with
`duplicate_of`: the article most of those units repeat.

`UnitDeduper.filter` passes through units whose `sentence_id` is already known (an exact
re-push, which push skips or refreshes as before) and drops the near-duplicates of what it has
seen: the units it was seeded with (a project's tasks) and earlier units of the run.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np

from .normalize import normalize

WORD = re.compile(r"\w+")
DEFAULT_THRESHOLD = 0.7


@dataclass(frozen=True)
class DedupeConfig:
    """`threshold`: the Jaccard similarity of word shingles from which a unit is a duplicate
    (0.7: one word changed in a sentence of 15 words is still one). `shingle_size`: words per
    shingle. `num_perm`: MinHash permutations (memory: 4 bytes each per unit)."""

    threshold: float = DEFAULT_THRESHOLD
    shingle_size: int = 2
    num_perm: int = 64
    seed: int = 1

    def __post_init__(self):
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"the dedupe threshold must be in (0, 1], got {self.threshold}")
        if self.shingle_size < 1 or self.num_perm < 2:
            raise ValueError("shingle_size must be at least 1 and num_perm at least 2")


def shingles(text: str, size: int = 2) -> set[bytes]:
    """The text's normalised word shingles (a unit shorter than `size` words is one shingle).

    >>> sorted(s.decode() for s in shingles("روس نے کہا، روس نے"))
    ['روس نے', 'نے کہا', 'کہا روس']
    """
    words = WORD.findall(normalize(text).lower())
    if len(words) <= size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


class NearDuplicateIndex:
    """The texts seen so far, each with an owner (its article id); `match` names the owner of
    an earlier text the new one nearly repeats."""

    def __init__(self, config: DedupeConfig | None = None):
        from datasketch import MinHash, MinHashLSH

        self.config = config or DedupeConfig()
        # One sketch, cleared for each text: its hash values are copied out before the next.
        # CRC-32 hashes the shingles (datasketch mixes it with MurmurHash3's finaliser): the
        # signatures only meet others made in the same run, and SHA-1 would cost 4x more.
        self._sketch = MinHash(
            num_perm=self.config.num_perm, seed=self.config.seed, hashfunc=zlib.crc32
        )
        # Weighted towards finding near-duplicates (fewer misses, a few more candidates), since
        # every candidate is checked against its signature anyway.
        self._lsh = MinHashLSH(
            threshold=self.config.threshold, num_perm=self.config.num_perm, weights=(0.2, 0.8)
        )
        self._signatures = np.empty((1024, self.config.num_perm), dtype=np.uint32)
        self._owners: list[str] = []

    def __len__(self) -> int:
        return len(self._owners)

    def signature(self, text: str):
        """The MinHash of the text's shingles, or None for a text without words. The sketch is
        reused by the next call: use it (match, add) before asking for another."""
        grams = shingles(text, self.config.shingle_size)
        if not grams:
            return None
        sketch = self._sketch
        sketch.clear()
        sketch.update_batch(grams)
        return sketch

    def match(self, sketch) -> str | None:
        """The owner of the most similar earlier text at or above the threshold, else None."""
        candidates = self._lsh.query(sketch)
        if not candidates:
            return None
        keys = np.fromiter(candidates, dtype=np.int64, count=len(candidates))
        similarity = (self._signatures[keys] == sketch.hashvalues).mean(axis=1)
        best = int(np.argmax(similarity))
        if similarity[best] < self.config.threshold:
            return None  # LSH candidates are approximate: a near miss is not a duplicate
        return self._owners[int(keys[best])]

    def add(self, sketch, owner: str) -> None:
        key = len(self._owners)
        if key == len(self._signatures):
            self._signatures = np.resize(self._signatures, (2 * key, self.config.num_perm))
        self._signatures[key] = sketch.hashvalues
        self._owners.append(owner)
        self._lsh.insert(key, sketch, check_duplication=False)

    def check(self, text: str, owner: str) -> str | None:
        """The owner of an earlier near-duplicate of `text`; when there is none, `text` is added
        and None returned. A text without words is never a duplicate."""
        sketch = self.signature(text)
        if sketch is None:
            return None
        found = self.match(sketch)
        if found is None:
            self.add(sketch, owner)
        return found


@dataclass(frozen=True)
class DuplicateArticle:
    """An article at least half of whose units repeat earlier ones, most of them `duplicate_of`'s."""

    article_id: str
    duplicate_of: str
    dropped: int
    units: int

    def line(self) -> str:
        return (
            f"{self.article_id}: near-duplicate of {self.duplicate_of} "
            f"({self.dropped} of {self.units} units already seen, dropped)"
        )


@dataclass
class UnitDeduper:
    """Drops near-duplicate units from a stream of units (see the module docstring).

    `known_ids`: sentence ids already where the units go (a project): passed through untouched.
    `on_article`: told of each article that is mostly a repeat of another.
    """

    index: NearDuplicateIndex = field(default_factory=NearDuplicateIndex)
    known_ids: set[str] = field(default_factory=set)
    on_article: Callable[[DuplicateArticle], None] | None = None
    dropped: int = 0
    articles: list[DuplicateArticle] = field(default_factory=list)

    def seed(self, units: Iterable[tuple[str, str, str]]) -> None:
        """Units already there, as (sentence_id, text, article_id): known, and matched against."""
        for sid, text, article_id in units:
            self.known_ids.add(sid)
            sketch = self.index.signature(text)
            if sketch is not None and self.index.match(sketch) is None:
                self.index.add(sketch, article_id)

    def filter(self, units: Iterable[dict]) -> Iterator[dict]:
        """The units that are not near-duplicates of what came before; in order."""
        current: str | None = None
        total, repeats = 0, Counter()
        for unit in units:
            article_id = str(unit["article_id"])
            if article_id != current:
                self._close(current, total, repeats)
                current, total, repeats = article_id, 0, Counter()
            total += 1
            if str(unit["sentence_id"]) in self.known_ids:
                yield unit
                continue
            owner = self.index.check(unit["text"], article_id)
            if owner is None:
                yield unit
                continue
            self.dropped += 1
            repeats[owner] += 1
        self._close(current, total, repeats)

    def _close(self, article_id: str | None, total: int, repeats: Counter) -> None:
        if article_id is None:
            return
        others = Counter({k: v for k, v in repeats.items() if k != article_id})
        dropped = sum(repeats.values())
        if others and 2 * dropped >= total:
            duplicate = DuplicateArticle(article_id, others.most_common(1)[0][0], dropped, total)
            self.articles.append(duplicate)
            if self.on_article is not None:
                self.on_article(duplicate)


def project_units(studio, project_id: int) -> Iterator[tuple[str, str, str]]:
    """(sentence_id, text, article_id) of every task of a Label Studio project, through the
    SDK's pager (tasks without a sentence_id or text are left out)."""
    with studio.errors(f"listing the tasks of project {project_id}"):
        for task in studio.sdk.tasks.list(project=project_id, page_size=1000, include="id,data"):
            data = task.data or {}
            sid, text = data.get("sentence_id"), data.get("text")
            if sid is not None and isinstance(text, str):
                yield str(sid), text, str(data.get("article_id", ""))

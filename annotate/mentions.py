"""Finding party mentions in a sentence as real news names them, on normalised text.

A longer alias list does not keep up with a new outlet: each spells a foreign name its own way
(پوتن، پیوٹن، پوتین), glues a postposition to the name (کوجنوبی کوریا), writes an agency by its
initials (این آئی ایس) and names an official by title only (وزارت خارجہ کے ترجمان). So the finder
matches in layers, each a general rule rather than a list of cases:

1. **Aliases** of the schema (and aliases learned from annotators' spans, `learn_aliases`), whole
   words of normalised text; a postposition, conjunction or title glued to a name counts as a word
   boundary where the script shows one (after a letter that does not join to the left).
2. **Spelling variants** of long names: a looser normal form (`normalize.loose`: ٹ/ت, ڈ/د, ہ/ة,
   inner و/ی, doubled letters) compared exactly, then by a similarity ratio (difflib, stdlib) for
   words of five letters or more.
3. **Initials** spelt out in Urdu letter names (کے سی این اے, این آئی ایس) read as Latin ones and
   matched against the schema's Latin aliases (KCNA, NIS).
4. **Titles** of officials and state bodies (`[titles]` of the schema): a title a party owns
   ("روسی وزیر خارجہ", "جنوبی کوریا کے صدر") is that party's and is found through its mention; a
   bare title ("وزارت خارجہ کے ترجمان نے کہا") takes its country from the context sentence (the
   same title owned there, else the one party the context names). A bare person title counts
   only when no name follows it ("صدر ٹرمپ" is anyone's).
5. **People an article introduces**: news names an official once with title and country
   ("جاپانی وزیر اعظم شنزو ایبے نے کہا") and then by name alone ("ایبے نے مزید کہا"). Reading an
   article unit by unit (`find(..., names=...)`, `ArticleMentions`), the name after an owned
   person title becomes that party's for the rest of the article, and so does its surname.

Offsets index the original text; `alias` is the original text of the span.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher

from .normalize import folded, loose, normalize, normalize_with_map
from .schema import Schema

# A dateline opens a paragraph with a place and the agency or a colon: `ٹوکیو(یو این پی)`,
# `سیئول:`. It names where the news comes from, not a speaker.
DATELINE_AFTER = re.compile(r"\s*(\(|:|：|-|–|—)")
NON_SPACE = re.compile(r"\S")
# Units that are paragraphs of their own (the segmenter's `kind`).
PARAGRAPH_KINDS = frozenset({"heading", "caption"})
WORD_CHARS = 40  # longer than any word of Urdu news (the longest are about 20 letters)
WORD = re.compile(r"\w+")

# Letters that do not join the letter after them: a word ending in one looks spaced from the next
# even when no space was typed, so writers (and copy-paste) glue words there.
NON_JOINING = "اآأإدڈذرڑزژوؤےۓ"
# Words that get glued to a name: postpositions, conjunctions, titles (normalised below).
GLUE_BEFORE = ("کے", "کا", "کو", "نے", "سے", "پر", "اور", "و", "صدر", "وزیر", "سفیر")
GLUE_AFTER = ("کے", "کی", "کا", "کو", "نے", "سے", "میں", "پر", "تک", "اور")

GENITIVE = ("کے", "کی", "کا")
# Words a person title is followed by when no name comes after it ("صدر نے کہا", "ترجمان کا
# کہنا"); any other word may be a name, of anyone ("صدر ٹرمپ").
AFTER_BARE_PERSON = ("نے", "کا", "کی", "کے", "کو", "سے", "نےکہا")

# A name after a title is at most this many words, and ends at a word no name holds or at
# punctuation: postpositions, conjunctions, particles, the auxiliaries and light verbs that
# follow a subject (normalised below).
NAME_WORDS = 3
NOT_NAME = (
    "نے",
    "کا",
    "کی",
    "کے",
    "کو",
    "سے",
    "میں",
    "پر",
    "تک",
    "اور",
    "یا",
    "بھی",
    "ہی",
    "تو",
    "نہ",
    "نہیں",
    "جو",
    "جن",
    "جس",
    "جبکہ",
    "لیکن",
    "مگر",
    "کہ",
    "نےکہا",
    "ہے",
    "ہیں",
    "تھا",
    "تھی",
    "تھے",
    "ہوں",
    "گا",
    "گی",
    "گے",
    "کر",
    "کیا",
    "رہے",
    "رہی",
    "رہا",
    "بن",
    "ہو",
    "ہوئے",
    "ہوا",
    "ہوئی",
    "سمیت",
    "نیز",
    "جناب",
    "اپنے",
    "اپنی",
    "اپنا",
    "یہ",
    "وہ",
    "اس",
    "ان",
    "ایسے",
    "ایسی",
    "ایک",
    "جب",
    "اب",
    "پھر",
    "وقت",
    "آج",
    "کل",
    "منگل",
    "بدھ",
    "جمعرات",
    "جمعہ",
    "ہفتے",
    "اتوار",
    "پیر",
)
SURNAME_LETTERS = 4  # a surname alone is matched from this many letters (کم, ان are not names)

# Urdu names of the Latin letters, for initials spelt out (کے سی این اے = KCNA).
LETTER_NAMES = {
    "اے": "a", "بی": "b", "سی": "c", "ڈی": "d", "ای": "e", "ایف": "f", "جی": "g", "ایچ": "h",
    "آئی": "i", "جے": "j", "کے": "k", "ایل": "l", "ایم": "m", "این": "n", "او": "o", "پی": "p",
    "کیو": "q", "آر": "r", "ایس": "s", "ٹی": "t", "یو": "u", "وی": "v", "ڈبلیو": "w",
    "ایکس": "x", "وائی": "y", "زیڈ": "z", "زی": "z",
}  # fmt: skip

LONG = 5  # letters from which a name is matched tolerantly (shorter words collide: روسی/رسی)
SHORTEST_LOOSE = 4  # … and the shorter side of a loose match has at least this many letters
SIMILAR = 0.84  # SequenceMatcher ratio of folded spellings that counts as the same name
CACHE_WORDS = 200_000  # distinct words whose tolerant lookup is remembered


@dataclass(frozen=True)
class _Pattern:
    parties: tuple[str, ...]
    alias: str
    near: tuple[str, ...] = ()
    window: int = 0


def _glue_before(schema: Schema) -> set[str]:
    """Words that may be glued before a name: `GLUE_BEFORE` and the one-word titles of the
    schema ending in a letter that does not join (رہنماکم جونگ ان)."""
    titles = getattr(schema, "titles", None)
    words = titles.people if titles else ()
    out = {normalize(g) for g in GLUE_BEFORE}
    out |= {w for w in map(_key, words) if " " not in w and w[-1] in NON_JOINING}
    return out


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


class MentionFinder:
    """Finds `{party, start, end, alias}` mentions; offsets index the original text.

    `learned` adds aliases learned from annotators' spans ({party: aliases}, `learn_aliases`);
    the schema's aliases win where both name one spelling.
    """

    def __init__(self, schema: Schema, learned: Mapping[str, Iterable[str]] | None = None):
        self.schema = schema
        self.learned = {p: tuple(a) for p, a in (learned or {}).items() if a}
        patterns: list[_Pattern] = [_Pattern((), phrase) for phrase in schema.not_mentions]
        patterns += [_Pattern(c.parties, c.phrase) for c in schema.compounds]
        for party in schema.parties:
            patterns += [_Pattern((party.id,), alias) for alias in party.aliases]
            for ctx in party.contextual:
                patterns.append(
                    _Pattern(
                        (party.id,),
                        ctx.alias,
                        tuple(normalize(w) for w in ctx.near),
                        ctx.window,
                    )
                )
        known = set(schema.party_ids)
        for party, aliases in self.learned.items():
            if party in known:
                patterns += [_Pattern((party,), alias) for alias in aliases]
        # Spelling variants that normalise alike (کم جونگ اُن, کِم جونگ اُن) are one key; the
        # first listed wins, so a non-mention or a compound beats a party alias.
        self._by_key: dict[str, _Pattern] = {}
        for pat in patterns:
            self._by_key.setdefault(_key(pat.alias), pat)
        # Whole words only: روس must not match inside روسو (Rousseau) or پوت inside پوتے; a
        # glued postposition or title is a boundary where the script shows one.
        bodies = sorted(self._by_key, key=len, reverse=True)
        glue_before = "|".join(sorted(map(re.escape, _glue_before(schema)), key=len, reverse=True))
        glue_after = "|".join(sorted(map(re.escape, map(normalize, GLUE_AFTER)), key=len)[::-1])
        self._combined = re.compile(
            rf"(?<!\w)(?:{glue_before})?(?P<m>"
            + "|".join(r"\s+".join(re.escape(w) for w in b.split()) for b in bodies)
            + rf")(?:(?!\w)|(?<=[{NON_JOINING}])(?=(?:{glue_after})(?!\w)))"
        )
        # Tolerant layer: loose keys of the long aliases (parties' only: a non-mention is a
        # phrase, never misspelt into a name), and their folded spellings by first letter.
        self._loose: dict[str, _Pattern] = {}  # word for word (پیونگ یانگ ~ پیانگ یونگ)
        self._joined: dict[str, _Pattern] = {}  # a name of several words written as one
        self._similar: dict[str, list[tuple[str, _Pattern]]] = {}
        for key, pat in self._by_key.items():
            if not pat.parties or pat.near or _letters(key) < SHORTEST_LOOSE:
                continue
            self._loose.setdefault(loose(key), pat)
            if " " in key:
                self._joined.setdefault(loose(key.replace(" ", "")), pat)
            if _letters(key) >= LONG and " " not in key:
                f = folded(key)
                self._similar.setdefault(f[0], []).append((f, pat))
        self._max_words = max((len(k.split()) for k in self._by_key), default=1)
        self._tolerant_cache: dict[str, _Pattern | None] = {}
        # Initials: the Latin aliases (kcna, nis) and a regex of runs of Urdu letter names.
        self._initials = {
            k: p for k, p in self._by_key.items() if p.parties and re.fullmatch(r"[a-z]{2,8}", k)
        }
        names = sorted({normalize(n) for n in LETTER_NAMES}, key=len, reverse=True)
        self._letter_of = {normalize(n): c for n, c in LETTER_NAMES.items()}
        name_re = "|".join(map(re.escape, names))
        self._letter_run = re.compile(rf"(?<!\w)(?:{name_re})(?:[\s.\-]+(?:{name_re}))+(?!\w)")
        self._letter_name = re.compile(rf"(?<!\w)(?:{name_re})(?!\w)")
        self._titles = _Titles(schema)

    def find(
        self,
        text: str,
        *,
        paragraph_start: bool = False,
        context: str = "",
        names: dict[str, str] | None = None,
    ) -> list[dict]:
        """The mentions in `text`; `context` (the sentence before) gives a bare title its
        country. `names` ({normalised name: party}) are the people the article introduced in
        its earlier units; the people `text` introduces are added to it (see `ArticleMentions`)."""
        norm, origin = normalize_with_map(text)
        # Where the text proper starts: a dateline must open it (found once, not per match).
        opening = NON_SPACE.search(norm)
        first = opening.start() if opening else len(norm)
        spans: list[tuple[int, int, tuple[str, ...]]] = []  # (start, end, parties) in `norm`
        taken: list[tuple[int, int]] = []
        # One pass of one alternation, longest alias first: at each position the longest alias
        # wins (شمالی کوریائی over شمالی کوریا, a compound or a non-mention over its parts).
        for m in self._combined.finditer(norm):
            start, end = m.span("m")
            pat = self._by_key[_key(m.group("m"))]
            if pat.near and not _near(norm, start, end, pat.near, pat.window):
                continue
            taken.append((start, end))  # a dateline's place too: no other layer finds it
            if paragraph_start and start <= first and DATELINE_AFTER.match(norm, end):
                continue
            spans.append((start, end, pat.parties))
        spans += self._initial_spans(norm, taken)
        if names:
            spans += self._name_spans(norm, taken, names)
        spans += self._tolerant_spans(norm, taken)
        # A title owned by a mention in the sentence is that mention's party, already found; a
        # bare one takes its party from the context.
        spans += self._titles.bare(norm, spans, lambda: self._context_parties(context))
        if names is not None:
            for name, party in self._titles.introduced(norm, spans):
                names.setdefault(name, party)
                surname = name.split()[-1]
                if " " in name and _letters(surname) >= SURNAME_LETTERS:
                    names.setdefault(surname, party)
        mentions = []
        for start, end, parties in spans:
            s, e = origin[start], origin[end - 1] + 1
            for party in parties:
                mentions.append({"party": party, "start": s, "end": e, "alias": text[s:e]})
        mentions.sort(key=lambda m: (m["start"], m["party"]))
        return mentions

    # ---- the layers ----------------------------------------------------------------------------

    def _initial_spans(self, norm: str, taken: list) -> list[tuple[int, int, tuple[str, ...]]]:
        if not self._initials:
            return []
        out = []
        for run in self._letter_run.finditer(norm):
            letters = [
                (m.start(), m.end(), self._letter_of[m.group()])
                for m in self._letter_name.finditer(norm, run.start(), run.end())
            ]
            i = 0
            while i < len(letters):  # the longest known initials from each letter on
                for j in range(len(letters), i + 1, -1):
                    word = "".join(c for _, _, c in letters[i:j])
                    pat = self._initials.get(word)
                    start, end = letters[i][0], letters[j - 1][1]
                    if pat is not None and not _overlaps(start, end, taken):
                        out.append((start, end, pat.parties))
                        taken.append((start, end))
                        i = j - 1
                        break
                i += 1
        return out

    def _name_spans(self, norm: str, taken: list, names: Mapping[str, str]) -> list:
        """The article's introduced people (`names`) named again in `norm`, longest first; a
        full name (two words or more) also in another spelling of it (شنزو ایبے، شنزو ابے: the
        `loose` form), as one article's writers spell a foreign name by ear."""
        out = []
        words = None
        for name in sorted(names, key=len, reverse=True):
            pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, name.split())) + r"(?!\w)"
            for m in re.finditer(pattern, norm):
                if not _overlaps(*m.span(), taken):
                    out.append((*m.span(), (names[name],)))
                    taken.append(m.span())
            n = len(name.split())
            if n < 2 or _letters(name) < LONG:
                continue
            if words is None:
                words = [(m.start(), m.end(), m.group()) for m in WORD.finditer(norm)]
            key = loose(name)
            for i in range(len(words) - n + 1):
                start, end = words[i][0], words[i + n - 1][1]
                if _overlaps(start, end, taken) or not norm[start:end].replace(" ", "").isalnum():
                    continue
                if loose(" ".join(w for _, _, w in words[i : i + n])) == key:
                    out.append((start, end, (names[name],)))
                    taken.append((start, end))
        return out

    def _tolerant_spans(self, norm: str, taken: list) -> list[tuple[int, int, tuple[str, ...]]]:
        words = [(m.start(), m.end(), m.group()) for m in WORD.finditer(norm)]
        out = []
        i = 0
        while i < len(words):
            hit = None
            for n in range(min(self._max_words, len(words) - i), 0, -1):
                start, end = words[i][0], words[i + n - 1][1]
                if _overlaps(start, end, taken):
                    continue
                if n > 1 and not norm[start:end].replace(" ", "").isalnum():
                    continue  # a name's words are apart by spaces only
                phrase = " ".join(w for _, _, w in words[i : i + n])
                pat = self._tolerant(phrase)
                if pat is not None:
                    hit = (start, end, pat.parties, n)
                    break
            if hit is None:
                i += 1
                continue
            out.append(hit[:3])
            taken.append(hit[:2])
            i += hit[3]
        return out

    def _tolerant(self, phrase: str) -> _Pattern | None:
        """The alias `phrase` is a spelling variant of, if any (remembered per phrase)."""
        cached = self._tolerant_cache.get(phrase, False)
        if cached is not False:
            return cached
        found = None
        letters = _letters(phrase)
        if letters >= SHORTEST_LOOSE and not phrase.isascii():
            key = loose(phrase)
            for pat in (self._loose.get(key), None if " " in phrase else self._joined.get(key)):
                if pat is not None and max(letters, _letters(pat.alias)) >= LONG:
                    found = pat
                    break
            if found is None and letters >= LONG and " " not in phrase:
                found = self._similar_alias(folded(phrase))
        if len(self._tolerant_cache) >= CACHE_WORDS:
            self._tolerant_cache.clear()
        self._tolerant_cache[phrase] = found
        return found

    def _similar_alias(self, word: str) -> _Pattern | None:
        best, best_ratio = None, SIMILAR
        for alias, pat in self._similar.get(word[0], ()):
            if abs(len(alias) - len(word)) > 1:
                continue  # an inflection (روسیوں) or another word, not a spelling
            matcher = SequenceMatcher(None, word, alias, autojunk=False)
            if matcher.real_quick_ratio() < best_ratio or matcher.quick_ratio() < best_ratio:
                continue
            ratio = matcher.ratio()
            if ratio >= best_ratio:
                best, best_ratio = pat, ratio
        return best

    def _context_parties(self, context: str) -> tuple[list[str], dict[str, str]]:
        """(the distinct parties the context names, {title: party} of its owned titles)."""
        if not context or not context.strip():
            return [], {}
        norm = normalize(context)
        spans = list(self._plain_spans(norm))
        parties = list(dict.fromkeys(p for _, _, ps in spans for p in ps))
        return parties, self._titles.owned(norm, spans)

    def _plain_spans(self, norm: str):
        for m in self._combined.finditer(norm):
            pat = self._by_key[_key(m.group("m"))]
            if pat.parties and not pat.near:
                yield (*m.span("m"), pat.parties)


class _Titles:
    """Titles of officials and state bodies, and the party each belongs to in a sentence."""

    def __init__(self, schema: Schema):
        titles = getattr(schema, "titles", None)
        self.people = frozenset(_key(t) for t in (titles.people if titles else ()))
        self.bodies = frozenset(_key(t) for t in (titles.bodies if titles else ()))
        self.modifiers = frozenset(_key(t) for t in (titles.modifiers if titles else ()))
        every = sorted(self.people | self.bodies, key=len, reverse=True)
        self._re = (
            re.compile(
                r"(?<!\w)(?:"
                + "|".join(r"\s+".join(re.escape(w) for w in t.split()) for t in every)
                + r")(?!\w)"
            )
            if every
            else None
        )
        self._genitive = frozenset(normalize(w) for w in GENITIVE)
        self._after_person = frozenset(normalize(w) for w in AFTER_BARE_PERSON)
        self._not_name = frozenset(normalize(w) for w in NOT_NAME) | self.modifiers

    def _titles(self, norm: str, mentions: list):
        """(start, end, title, words before it less modifiers, owner) of each title of `norm`
        outside the `mentions` ((start, end, parties)); owner: the index of its owning mention."""
        if self._re is None:
            return
        for m in self._re.finditer(norm):
            start, end = m.span()
            if _overlaps(start, end, [(s, e) for s, e, _ in mentions]):
                continue
            before = [(w.start(), w.end(), w.group()) for w in WORD.finditer(norm, 0, start)]
            while before and before[-1][2] in self.modifiers:
                before.pop()
            yield start, end, _key(m.group()), before, _owner(before, mentions, self._genitive)

    def owned(self, norm: str, mentions: list) -> dict[str, str]:
        """{title: party} of the titles of `norm` that one party's mention owns."""
        out: dict[str, str] = {}
        for _start, _end, title, _before, owner in self._titles(norm, mentions):
            if owner is not None and len(mentions[owner][2]) == 1:
                out.setdefault(title, mentions[owner][2][0])
        return out

    def introduced(self, norm: str, mentions: list) -> list[tuple[str, str]]:
        """(name, party) of each person `norm` introduces: the words after a person title one
        party owns ("روسی وزیر خارجہ سرگئی لاوروف", "جنوبی کوریا کے صدر مون جے ان"), up to
        `NAME_WORDS` of them, ending at a word no name holds or at punctuation. A name the
        finder already knows (a mention) or one that runs on is no introduction."""
        out = []
        for _start, end, title, _before, owner in self._titles(norm, mentions):
            if title not in self.people or owner is None or len(mentions[owner][2]) != 1:
                continue
            spans = [(s, e) for s, e, _ in mentions]
            words = []
            position = end
            for m in WORD.finditer(norm, end):
                gap = norm[position : m.start()]
                if gap.strip() or m.group() in self._not_name or m.group().isdigit():
                    break
                if _overlaps(*m.span(), spans):
                    # a party's name ends the person's (… موریتا ٹوکیو میں); one word before
                    # it is a first name of someone the finder knows (ولادیمیر پیوٹن)
                    if len(words) == 1:
                        words = []
                    break
                words.append(m)
                position = m.end()
                if len(words) > NAME_WORDS:
                    break
            if not words or len(words) > NAME_WORDS:
                continue
            out.append((" ".join(w.group() for w in words), mentions[owner][2][0]))
        return out

    def bare(self, norm: str, mentions: list, context) -> list:
        """(start, end, parties) of the bare titles of `norm` whose party `context()`
        ((parties, {title: party}) of the context sentence) settles: the same title owned by a
        party there, else the one party it names."""
        out = []
        resolved = None
        for start, end, title, before, owner in self._titles(norm, mentions):
            if owner is not None or not self._bare(norm, end, before, title, mentions):
                continue
            if resolved is None:
                resolved = context()
            parties, owned = resolved
            # the same title, or one of its parts (وزارت خارجہ and وزارت خارجہ کے ترجمان)
            same = [p for t, p in owned.items() if title.startswith(t) or t.startswith(title)]
            party = same[0] if same else (parties[0] if len(parties) == 1 else None)
            if party is not None:
                out.append((start, end, (party,)))
        return out

    def _bare(self, norm: str, end: int, before: list, title: str, mentions: list) -> bool:
        """A title no country owns: not after a genitive (someone's) or a nisba adjective
        (امریکی صدر: another country's), nor after a party the sentence names ("روس اور X دونوں
        میں سرکاری میڈیا"), and, for a person, with no name after it ("صدر ٹرمپ")."""
        if before and (before[-1][2] in self._genitive or _nisba(before[-1][2])):
            return False
        if before and any(e <= before[-1][1] for _s, e, _p in mentions):
            return False
        if title in self.people:
            after = norm[end:].split()
            return bool(after) and after[0] in self._after_person
        return True


class ArticleMentions:
    """The mentions of one article's units, read in order: the people an earlier unit
    introduced by title are found when named again (`MentionFinder.find`'s `names`)."""

    def __init__(self, finder: MentionFinder):
        self.finder = finder
        self.names: dict[str, str] = {}

    def find(self, text: str, *, paragraph_start: bool = False, context: str = "") -> list[dict]:
        return self.finder.find(
            text, paragraph_start=paragraph_start, context=context, names=self.names
        )


def find_in_articles(
    finder: MentionFinder,
    texts: Iterable,
    contexts: Iterable,
    articles: Iterable | None = None,
    order: Iterable | None = None,
    kinds: Iterable | None = None,
) -> list[list[dict]]:
    """The mentions of each unit. The units of one article (same `articles` value) are read in
    `order` (their index in the article; default: as given) and share the people the article
    introduced; a unit without an article is read alone.

    `kinds` (the units' `kind`: sentence, heading, caption) says where paragraphs start, as the
    segmenter knows it: a heading or caption is a paragraph of its own, and so starts the unit
    after it, where a dateline (`سیئول:`) names a place and no speaker."""
    texts, contexts = list(texts), list(contexts)
    articles = list(articles) if articles is not None else [None] * len(texts)
    order = list(order) if order is not None else list(range(len(texts)))
    kinds = list(kinds) if kinds is not None else None
    out: list[list[dict]] = [[] for _ in texts]
    readers: dict = {}
    previous: dict = {}  # article → kind of its last unit read
    for i in sorted(range(len(texts)), key=lambda i: (unit_position(order[i]), i)):
        article, context = articles[i], contexts[i]
        context = "" if context is None or context != context else str(context)
        alone = article is None or article != article  # None or NaN: no article
        start = False
        if kinds is not None:
            before = None if alone else previous.get(article, "start")
            start = kinds[i] in PARAGRAPH_KINDS or before in PARAGRAPH_KINDS or before == "start"
            if not alone:
                previous[article] = kinds[i]
        if alone:
            out[i] = finder.find(str(texts[i]), context=context, paragraph_start=start)
        else:
            reader = readers.setdefault(article, ArticleMentions(finder))
            out[i] = reader.find(str(texts[i]), context=context, paragraph_start=start)
    return out


def unit_position(value) -> float:
    """A unit's position in its article as a sort key (a missing or unreadable one sorts last)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return float("inf")
    return number if number == number else float("inf")


def _owner(before: list, mentions: list, genitive) -> int | None:
    """The index in `mentions` of the mention that owns a title starting after the words `before` ((start,
    end, word)): right before it (روسی وزیر خارجہ) or before a genitive (جنوبی کوریا کے صدر)."""
    if before and before[-1][2] in genitive:
        before = before[:-1]
    if not before:
        return None
    end = before[-1][1]  # the owner's mention ends where those words end
    for i, (_s, e, parties) in enumerate(mentions):
        if e == end and parties:
            return i
    return None


def _nisba(word: str) -> bool:
    """A nationality adjective (امریکی، یوکرینی، چینی): a word of four letters or more in ی."""
    return len(word) >= 4 and word.endswith("ی")


def _overlaps(start: int, end: int, spans) -> bool:
    return any(s < end and start < e for s, e in spans)


def _key(alias: str) -> str:
    return " ".join(normalize(alias).split())


def _near(norm: str, start: int, end: int, words: tuple[str, ...], window: int) -> bool:
    """Whether one of `words` is among the `window` words on either side of the match.

    Only the characters that can hold `window` words are looked at (no word is longer than
    WORD_CHARS), so a sentence with many matches costs linear time, not quadratic.
    """
    reach = window * WORD_CHARS
    left = norm[max(0, start - reach) : start].split()[-window:]
    right = norm[end : end + reach].split()[:window]
    around = " ".join(left + right)
    return any(w in around for w in words)


# ---- aliases learned from annotators' spans --------------------------------------------------

PRONOUNS = ("انھوں", "انہوں", "ان", "وہ", "انہیں", "انھیں", "اس", "یہ", "ہم", "میں")


def learn_aliases(
    units: Iterable[tuple[str, Iterable[dict]]], schema: Schema
) -> dict[str, tuple[str, ...]]:
    """Aliases learned from the spans annotators marked: {party: aliases}, sorted.

    `units` are (text, mentions) pairs, each mention `{party, start, end}` at offsets into the
    text (the `mentions` of an aggregated labels table). A span counts when the schema's finder
    finds no mention of its party there, its text has at least three letters, and it is not a
    pronoun or a bare title (whose country changes with the article). A text marked with two
    different parties is left out: it is no one party's name.
    """
    finder = MentionFinder(schema)
    pronouns = frozenset(normalize(p) for p in PRONOUNS)
    t = finder._titles
    titles = t.people | t.bodies | t.modifiers
    glue = tuple(normalize(g) for g in GLUE_BEFORE if len(g) > 1)
    seen: dict[str, tuple[str, set[str]]] = {}  # key → (first spelling, parties)
    for text, mentions in units:
        text = str(text)
        mentions = [m for m in mentions or () if m.get("party") in schema.party_ids]
        if not mentions:
            continue
        found = finder.find(text)
        for m in mentions:
            start, end = int(m["start"]), int(m["end"])
            span = text[start:end].strip()
            key = _key(span)
            for g in glue:  # an annotator's span with a glued postposition: the name only
                if key.startswith(g) and _key(key[len(g) :]) in finder._by_key:
                    key = ""
            if _letters(key) < 3 or key in pronouns or key in titles or key in finder._by_key:
                continue
            if any(
                f["party"] == m["party"] and f["start"] < end and start < f["end"] for f in found
            ):
                continue
            spelling, parties = seen.setdefault(key, (span, set()))
            parties.add(m["party"])
    learned: dict[str, list[str]] = {}
    for spelling, parties in seen.values():
        if len(parties) == 1:
            learned.setdefault(next(iter(parties)), []).append(spelling)
    return {p: tuple(sorted(a)) for p, a in sorted(learned.items())}

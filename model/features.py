"""Sentences → the model's inputs: one row per sentence × party, one row per sentence.

Stance belongs to a party, and most (sentence, party) pairs are `none`. One model over all pairs
learns "who is speaking" once for every party: in each pair the party's own mentions become the
token `xtgt` and the other parties' `xoth`, so "xtgt نے کہا" means the same for Russia and Japan.
Each pair carries the marked sentence, the words around the party's mentions, the marked context
sentence (a pronoun speaker, `انھوں نے کہا`, is named there) and a few cue tokens that spell out
the structure a linear model cannot combine by itself (the party is the ergative subject of a
reporting verb, the sentence opens with a pronoun speaker and the party spoke in the context ...).

Features are computed on `mauqif.annotate.normalize` text (no diacritics, Urdu letters for Arabic
ones); mention offsets index the original text and are mapped through the normalisation.
Everything here is pure and stateless: the pair table of a data set can be built once and sliced
for each cross-validation fold.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache

import pandas as pd

from mauqif.annotate.mentions import NON_JOINING, MentionFinder, unit_position
from mauqif.annotate.normalize import normalize, normalize_with_map

# scikit-learn's default token_pattern, (?u)\b\w\w+\b, cuts a word at a diacritic (کِتاب → تاب,
# because a combining mark is not \w) and drops one-letter words (و "and"). Features are built
# on normalised text, which has no diacritics left, but the pattern keeps them inside a word
# anyway so that text normalised some other way is not cut.
ARABIC_MARKS = "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed"
URDU_TOKEN_PATTERN = rf"[\w{ARABIC_MARKS}]+"
TOKEN_RE = re.compile(rf"{URDU_TOKEN_PATTERN}|[^\w\s{ARABIC_MARKS}]")
_WORD = re.compile(rf"^{URDU_TOKEN_PATTERN}$")

TARGET = "xtgt"
OTHER = "xoth"
NO_MENTION = "xnomention"
NO_CONTEXT = "xnocontext"

PAIR_COLUMNS = ["row", "party", "text", "sentence", "window", "context", "cues"]

# Words are normalised before use, so they may be written with diacritics or Arabic letters.
REPORTING_VERBS = (
    "کہا",
    "کہی",
    "کہتے",
    "کہتی",
    "کہنا",
    "بتایا",
    "بتاتے",
    "خبردار",
    "انتباہ",
    "اعلان",
    "تصدیق",
    "دعوی",
    "دعویٰ",
    "الزام",
    "مذمت",
    "شکریہ",
    "زور",
    "واضح",
    "قرار",
    "اظہار",
    "مطالبہ",
    "یقین",
    "خیرمقدم",
    "خیر",
    "سراہا",
    "تعریف",
    "تنقید",
    "انکار",
    "تردید",
    "مسترد",
    "وعدہ",
    "عزم",
    "پیشکش",
    "اپیل",
    "امید",
    "دھمکی",
    "لکھا",
    "کہ",
    # More of the forms Urdu news reports speech with: "کہہ چکا ہے", "بتائی", "عندیہ دیا",
    # "اشارہ دیا", "مدعو کیا", "خواہاں ہے", "اتفاق کیا", "امید ظاہر کی", "پیغام دیا".
    "کہہ",
    "کہے",
    "بتائی",
    "بتائے",
    "عندیہ",
    "اشارہ",
    "مدعو",
    "دعوت",
    "خواہاں",
    "خواہش",
    "اتفاق",
    "ظاہر",
    "انکشاف",
    "پیغام",
    "اصرار",
    "تجویز",
    "باور",
    "مبارکباد",
)
ATTRIBUTION = (
    "مطابق",
    "بقول",
    "کہنا",
    "ترجمان",
    "بیان",
    "اعلامیہ",
    "اعلامیے",
    "موقف",
    "مؤقف",
    "اندازہ",
    "اندازے",
    "خیال",
    "حوالے",
)
# The attributions that make a party speak through what it owns, however long the owned title
# ("شمالی کوریا کی سرکاری خبر رساں ایجنسی کے مطابق", "جاپان کی وزارت دفاع کا کہنا ہے").
OWNED_ATTRIBUTION = ("مطابق", "بقول", "کہنا")
# A party's media that are not its state (GUIDELINES: private media of a country are not that
# party): "جنوبی کوریا کے نشریاتی ادارے نے دعوی کیا", "جاپانی اخبار کے مطابق". Not میڈیا: news
# of North Korea and Russia mostly means their state media by it ("شمالی کورین میڈیا کے مطابق"),
# and with a state word first ("روسی سرکاری میڈیا") media are the state, as the titles say.
MEDIA_NOUNS = ("نشریاتی", "اخبار", "اخبارات", "چینل", "ٹی")
PRONOUNS = ("انھوں", "انہوں", "اُنھوں", "اُنہوں")
PRONOUN_PHRASES = (
    ("ان", "کا", "کہنا"),
    ("ان", "کے", "بقول"),
    ("ان", "کے", "مطابق"),
    ("ان", "کی", "جانب"),
)
BOTH = ("دونوں", "فریقین", "فریقوں")
# Words that take a side (GUIDELINES: favor / against). A source whose sentence has neither kind
# reports (rule 10: figures and estimates are `neutral`); one with them judges.
SUPPORT_WORDS = (
    "حمایت",
    "شکریہ",
    "سراہا",
    "سراہتے",
    "تعریف",
    "خیرمقدم",
    "دوستی",
    "دوستانہ",
    "برادرانہ",
    "برادر",
    "مضبوط",
    "فروغ",
    "وسعت",
    "توسیع",
    "بڑھانے",
    "دعوت",
    "قبول",
    "پیشکش",
    "عزم",
    "وعدہ",
    "یکجہتی",
    "تاریخی",
    "کامیاب",
    "ناقابل",
    "بہادری",
    # Rejecting critics' accusations is `favor` (rule 8), rejecting a proposal is not: the
    # rejecting words count through `speaker_rejects_claims`, where a claim or report is named.
    "مدد",
    # "کے ساتھ کھڑے ہیں" (stand with); "ساتھ" alone is "with" and "تیار" "ready", in most
    # sentences of news that report a meeting or an agreement: they took no side.
    "کھڑے",
    "کھڑا",
    "خواہاں",
    "قریبی",
)
CONDEMN_WORDS = (
    "مذمت",
    "تشویش",
    "تشویشناک",
    "فکرمند",
    "خطرہ",
    "خطرے",
    "خطرناک",
    # "خلاف ورزی" (violation) judges; "خلاف" alone is "against" ("یوکرین کے خلاف جنگ"), a
    # report of the war, and "استحکام" alone is "stability": only "عدم استحکام" counts.
    "ورزی",
    "غیرقانونی",
    "انتباہ",
    "خبردار",
    "تنقید",
    "دھمکی",
    "سنگین",
    "عدم",
    "افسوس",
    "قراردادوں",
    "پابندیوں",
    "جوابی",
)
# Acts (rule 7): a party that only signs, meets, visits, arrives or receives is the doer.
ACT_WORDS = (
    "ملاقات",
    "دستخط",
    "دورہ",
    "دورے",
    "پہنچ",
    "پہنچے",
    "پہنچا",
    "پہنچیں",
    "استقبال",
    "شرکت",
    "روانہ",
    "توثیق",
    "ملے",
    "ضیافت",
    # Travel, inspections and talks held: logistics, not statements.
    "داخل",
    "معائنہ",
    "آمد",
    "روانگی",
    "سفر",
    "مذاکرات",
)
NUMBER_WORDS = ("ہزار", "لاکھ", "کروڑ", "سو", "فیصد", "درجن", "ہزاروں", "سیکڑوں", "سینکڑوں")
# Attribution after the words (rule 9): "یہ بات X نے کہی", "X نے یہ اطلاع دی".
AFTER_WORDS = ("بات", "اطلاع", "انکشاف")
GENITIVES = ("کا", "کی", "کے")
# A writer's note opens the sentence ("واضح رہے کہ …", "یاد رہے کہ …"): background the
# reporter adds, not a statement of the party in the sentence before (GUIDELINES rule 1).
BACKGROUND_OPENERS = (
    ("واضح", "رہے"),
    ("یاد", "رہے"),
    ("خیال", "رہے"),
    ("قابل", "ذکر"),
    ("یہاں", "یہ", "امر"),
)
OPENER_WORDS = 4  # a note opens within the first words ("یہاں یہ امر قابل ذکر ہے")
# Postpositions that make the word before them an object or a place, not a speaker:
# "روس پر الزام", "جاپان کو خبردار کیا", "ماسکو میں اعلان".
OBJECT_MARKS = ("پر", "کو", "سے", "میں")
# Rule 11: an accusation or a claim. Framed as feeding the war or breaking rules it is
# `against` (the condemning words say so); a bare claim of the fact is `neutral`.
CLAIM_WORDS = ("دعوی", "دعویٰ", "دعوے", "الزام", "الزامات", "عائد")
# Rule 12: an announced or expected position ("توقع ہے کہ X خبردار کریں گے").
EXPECTED_WORDS = ("توقع", "متوقع", "امکان")
FUTURE = ("گا", "گی", "گے")
# A threat to respond to the cooperation (GUIDELINES: `against`): "اگر پیانگ یانگ اور ماسکو کا
# تعاون بڑھا تو ہم یوکرین کو ہتھیار دیں گے", "X اور Y تعلقات استوار کرتے ہیں تو … دیں گے". The
# condition names the partners and ends at تو; a future verb follows within `THEN_WORDS`.
IF_WORDS = ("اگر",)
THEN = "تو"
THEN_WORDS = 10
# The words that end a condition without اگر ("… کرتے ہیں تو", "… بڑھتا رہا تو", "… ہوا تو").
CONDITION_ENDS = ("ہیں", "ہے", "رہا", "رہی", "رہے", "ہوا", "ہوئی", "ہوئے", "گیا", "گئی", "گئے")
# Rule 13: a party whose report is only the object of another's rejection
# ("X کی اس خبر کو بے بنیاد افواہ قرار دیا"): the report nouns and the rejecting words.
REPORT_NOUNS = (
    "خبر",
    "خبروں",
    "خبریں",
    "رپورٹ",
    "رپورٹس",
    "رپورٹوں",
    "دعوے",
    "دعووں",
    "الزامات",
    "اطلاعات",
)
REJECT_WORDS = (
    "مسترد",
    "بےبنیاد",
    "بنیاد",
    "افواہ",
    "افواہیں",
    "تردید",
    "جھوٹ",
    "جھوٹا",
    "گھڑت",
    "پروپیگنڈا",
)
# Rule 14: deflecting a question, declining to comment, congratulating on something else.
QUESTION_WORDS = ("سوال", "سوالات", "استفسار")
COMMENT_WORDS = ("تبصرہ", "تبصرے")
CONGRATULATE = ("مبارکباد", "مبارک", "تہنیتی")
# A headline that names its speaker at the end, after a colon, a comma or a dash
# ("… دیں گے: شمالی کوریا", "…، کم جونگ ان"): the last part is at most this many words.
TAIL_WORDS = 5
TAIL_MARKS = frozenset(":،,-–|")
# "خیال کیا جاتا ہے کہ", "بتایا جاتا ہے": impersonal attribution names no source (rule 5).
IMPERSONAL = ("جاتا", "جاتی", "جاتے")
# Experts, think tanks and academics are not a party (GUIDELINES: parties), even when the party's
# capital names where they work.
EXPERT_WORDS = (
    "ماہر",
    "ماہرین",
    "تجزیہ",
    "تجزیہ کار",
    "تجزیہ کاروں",
    "پروفیسر",
    "تھنک",
    "ٹینک",
    "محقق",
    "محققین",
    "یونیورسٹی",
    "انسٹی",
    "ٹیوٹ",
)
# Sentiment words (GUIDELINES: sentiment of the sentence); the keyword baseline counts them and
# the sentiment model gets them as cues.
POSITIVE = (
    "دوستی",
    "دوست",
    "تعاون",
    "شکریہ",
    "حمایت",
    "کامیاب",
    "کامیابی",
    "خوش",
    "خوشی",
    "مضبوط",
    "تعریف",
    "سراہا",
    "خیرمقدم",
    "مبارکباد",
    "امن",
    "ترقی",
    "اتحاد",
    "بھائی",
    "قریبی",
    "مثبت",
    "اعتماد",
    "فخر",
    "بہترین",
    "شاندار",
    "بہادری",
    "گرمجوشی",
    "یکجہتی",
    "خوشگوار",
    "فتح",
    "ناقابل",
    # agreement, progress and friendly gestures (GUIDELINES: friendship, success)
    "اتفاق",
    "بہتر",
    "بہتری",
    "مستحکم",
    "رفت",
    "مصافحہ",
    "ملایا",
)
NEGATIVE = (
    "جنگ",
    "حملہ",
    "حملے",
    "حملوں",
    "ہلاک",
    "ہلاکت",
    "ہلاکتیں",
    "زخمی",
    "خطرہ",
    "خطرے",
    "خطرناک",
    "تشویش",
    "مذمت",
    "تنقید",
    "پابندی",
    "پابندیاں",
    "پابندیوں",
    "دھمکی",
    "خلاف",
    "تباہ",
    "تباہی",
    "کشیدگی",
    "بحران",
    "مخالفت",
    "الزام",
    "ناکام",
    "نقصان",
    "موت",
    "خبردار",
    "اشتعال",
    "غیرقانونی",
    # fighting, killing, fear and disputes (GUIDELINES: war, death, threat, concern)
    "لڑائی",
    "لڑنے",
    "لڑ",
    "مارے",
    "جنگی",
    "خدشہ",
    "خدشات",
    "تنازع",
    "تنازعہ",
    "تنازعے",
    "اختلاف",
    "اختلافات",
    "بداعتمادی",
    "نقصانات",
    "جارحیت",
    "خطرات",
    "شدت",
    "گرفتار",
    "گرفتاری",
)

# GUIDELINES, sentiment: "Troops or arms sent, deployed or counted are `neutral` even when the
# sentence names the war: it is mainly about the transfer." A sentence naming arms or troops and
# a transfer is marked `transfer`, and `transfer_plain` when its only negative words are the war
# it happens in (جنگ، خلاف، لڑنے), not a judgement of it (خطرہ، مذمت، تشویش).
ARMS_WORDS = (
    "ہتھیار", "ہتھیاروں", "اسلحہ", "اسلحے", "میزائل", "میزائلوں", "میزائلیں", "فوجی",
    "فوجیوں", "فوجیں", "فوج", "دستے", "گولہ", "گولے", "گولوں", "بارود", "توپ", "ڈرون",
    "ڈرونز", "اہلکار", "سپاہی", "سپاہیوں",
)  # fmt: skip
TRANSFER_WORDS = (
    "بھیجے", "بھیجا", "بھیجی", "بھیجنے", "بھیجیں", "بھیج", "بھیجا", "فراہمی", "فراہم",
    "منتقلی", "منتقل", "ترسیل", "دیے", "دیئے", "خریدنے", "خرید", "خریدے", "تعینات",
    "تعیناتی", "سپلائی", "پہنچائے", "روانہ", "مدد",
)  # fmt: skip
# Arms fired or tested (a missile test, shells fired, a depot hit) are an attack or a threat, not
# a transfer (GUIDELINES, sentiment: war, attack, threat are `negative`).
USE_WORDS = (
    "تجربہ", "تجربے", "تجربات", "داغا", "داغے", "داغی", "داغنے", "فائر", "برسائیں", "برسائے",
    "برسانے", "نشانہ", "استعمال",
)  # fmt: skip
WAR_WORDS = ("جنگ", "جنگی", "خلاف", "لڑنے", "لڑ", "لڑائی", "لڑتے", "محاذ", "حملوں", "حملے")
_DIGIT = re.compile(r"\d")
ERGATIVE = "نے"
QUOTES = frozenset('’‘“”"')
LOOKAHEAD = 5  # words between a party's mention and its `نے` / `کے مطابق` (titles, names)
WINDOW = 4  # words either side of a party's mention in the `window` column


@cache
def _lexicon(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalize(w) for w in words)


@cache
def _phrases(phrases: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(normalize(w) for w in p) for p in phrases)


# Bits of `_word_kinds`: the word lists a word is in.
_BOTH, _SUPPORT, _CONDEMN, _ACT, _NUMBER, _AFTER, _EXPERT = (1 << i for i in range(7))
_POSITIVE, _NEGATIVE, _PRONOUN, _PHRASE_START, _IMPERSONAL, _QUOTE = (1 << i for i in range(7, 13))
_CLAIM, _EXPECTED, _REPORT_NOUN, _REJECT, _QUESTION, _COMMENT, _CONGRATULATE, _TAIL = (
    1 << i for i in range(13, 21)
)
_ARMS, _TRANSFER, _WAR, _USE = (1 << i for i in range(21, 25))


@cache
def _word_kinds() -> dict[str, int]:
    """Every word of the lists (normalised; quotes as they are) → the bits of the lists holding
    it: one set intersection per sentence finds the words, instead of a test per list."""
    lists = {
        _BOTH: _lexicon(BOTH),
        _SUPPORT: _lexicon(SUPPORT_WORDS),
        _CONDEMN: _lexicon(CONDEMN_WORDS),
        _ACT: _lexicon(ACT_WORDS),
        _NUMBER: _lexicon(NUMBER_WORDS),
        _AFTER: _lexicon(AFTER_WORDS),
        _EXPERT: _lexicon(EXPERT_WORDS),
        _POSITIVE: _lexicon(POSITIVE),
        _NEGATIVE: _lexicon(NEGATIVE),
        _PRONOUN: _lexicon(PRONOUNS),
        _PHRASE_START: frozenset(p[0] for p in _phrases(PRONOUN_PHRASES)),
        _IMPERSONAL: _lexicon(IMPERSONAL),
        _QUOTE: QUOTES,
        _CLAIM: _lexicon(CLAIM_WORDS),
        _EXPECTED: _lexicon(EXPECTED_WORDS),
        _REPORT_NOUN: _lexicon(REPORT_NOUNS),
        _REJECT: _lexicon(REJECT_WORDS),
        _QUESTION: _lexicon(QUESTION_WORDS),
        _COMMENT: _lexicon(COMMENT_WORDS),
        _CONGRATULATE: _lexicon(CONGRATULATE),
        _TAIL: TAIL_MARKS,
        _ARMS: _lexicon(ARMS_WORDS),
        _TRANSFER: _lexicon(TRANSFER_WORDS),
        _WAR: _lexicon(WAR_WORDS),
        _USE: _lexicon(USE_WORDS),
    }
    kinds: dict[str, int] = {}
    for bit, words in lists.items():
        for word in words:
            kinds[word] = kinds.get(word, 0) | bit
    return kinds


@cache
def _listed_words() -> frozenset[str]:
    return frozenset(_word_kinds())


Token = str | frozenset  # a word or punctuation mark, or a party mention (the set of its parties)


@dataclass(frozen=True, slots=True)  # slots: one object per sentence for the GC to track
class View:
    """A sentence and its context, normalised and tokenised, mentions as single tokens.

    The other fields are what the stance cues and the sentiment cues both read, worked out once
    per sentence.
    """

    text: str  # normalised sentence, for the sentence-level (sentiment) features
    tokens: tuple[Token, ...]
    context: tuple[Token, ...]
    # The tokens that are words or punctuation, not mentions, and the parties the mentions name
    # (worked out from the tokens when not given).
    words: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    parties: frozenset | None = field(default=None, repr=False, compare=False)
    context_words: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    context_parties: frozenset | None = field(default=None, repr=False, compare=False)
    # For each distinct word of the sentence that is in a word list, the bits of its lists.
    listed: tuple[int, ...] = field(init=False, repr=False, compare=False)
    figures: bool = field(init=False, repr=False, compare=False)  # a digit in a word

    def __post_init__(self):
        words, parties = self.words, self.parties
        if words is None or parties is None:
            words, parties = _words_and_parties(self.tokens)
        context_words, context_parties = self.context_words, self.context_parties
        if context_words is None or context_parties is None:
            context_words, context_parties = _words_and_parties(self.context)
        kinds = _word_kinds()
        for name, value in (
            ("words", words),
            ("parties", parties),
            ("context_words", context_words),
            ("context_parties", context_parties),
            ("listed", tuple(kinds[w] for w in _listed_words().intersection(words))),
            # The normalised text has every word's characters: a text without digits (most)
            # is decided by one search.
            ("figures", bool(_DIGIT.search(self.text)) and bool(_DIGIT.search(" ".join(words)))),
        ):
            object.__setattr__(self, name, value)


_NO_PARTIES: frozenset = frozenset()


def _words_and_parties(tokens: tuple[Token, ...]) -> tuple[tuple[str, ...], frozenset]:
    if all(t.__class__ is str for t in tokens):  # most sentences name no party
        return tokens, frozenset()
    return (
        tuple(t for t in tokens if isinstance(t, str)),
        frozenset().union(*(t for t in tokens if not isinstance(t, str))),
    )


def parse_mentions(value) -> list[dict]:
    """Mentions as given in a table cell: a list of dicts, JSON text (CSV, Parquet) or nothing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else []
    return [dict(m) for m in value]


# A reporting verb glued to the word after it, as pages type them where the verb's last letter
# does not join (کہاکہ، کہاتھا، بتایاکہ): read as two words, or the speaker is lost.
GLUED_AFTER_VERB = ("کہ", "تھا", "تھی", "تھے", "ہے", "ہیں", "گیا", "گئی", "گئے")


@cache
def _glued_verbs() -> dict[str, tuple[str, str]]:
    verbs = [normalize(v) for v in REPORTING_VERBS if normalize(v)[-1:] in NON_JOINING]
    return {v + normalize(t): (v, normalize(t)) for v in verbs for t in GLUED_AFTER_VERB}


def _unglued(tokens: list[str]) -> list[str]:
    glued = _glued_verbs()
    if glued.keys().isdisjoint(tokens):
        return tokens
    return [w for t in tokens for w in glued.get(t, (t,))]


def tokenize(text: str, mentions: Sequence[dict]) -> tuple[str, tuple[Token, ...]]:
    """Normalise `text` and tokenise it; each mention span becomes one token, the set of its
    parties (a compound like `روس اور شمالی کوریا` is one span of two parties)."""
    if not mentions:  # most sentences: no offsets to map
        norm = normalize(text)
        return norm, tuple(_unglued(TOKEN_RE.findall(norm)))
    norm, origin = normalize_with_map(text)
    spans: dict[tuple[int, int], set[str]] = {}
    for m in mentions:
        start, end = bisect_left(origin, m["start"]), bisect_left(origin, m["end"])
        if start < end:
            spans.setdefault((start, end), set()).add(m["party"])
    tokens: list[Token] = []
    pos = 0
    for (start, end), parties in sorted(spans.items(), key=lambda s: (s[0][0], -s[0][1])):
        if start < pos:
            continue  # overlaps the previous span; the longer, earlier one wins
        tokens.extend(_unglued(TOKEN_RE.findall(norm, pos, start)))
        tokens.append(frozenset(parties))
        pos = end
    tokens.extend(_unglued(TOKEN_RE.findall(norm, pos)))
    return norm, tuple(tokens)


def views(frame: pd.DataFrame, finder: MentionFinder) -> list[View]:
    """A `View` per row of a sentence table with columns text, context and mentions.

    Context mentions are found with `finder` (or read from a `context_mentions` column). In
    article order the context is the previous sentence, whose tokens are reused. When the table
    says which article each row is from (`article_id`, and `index` for the order, else the
    table's), a pronoun speaker whose context sentence names no party is resolved across the
    article (`resolve_pronouns`).
    """
    out = _views(frame, finder)
    if "article_id" in frame and len(out):
        order = frame["index"].tolist() if "index" in frame else None
        out = resolve_pronouns(out, frame["article_id"].tolist(), order)
    return out


def resolve_pronouns(views_: list[View], articles: Sequence, order: Sequence | None = None):
    """`views_` with the context of each pronoun speaker (انھوں نے کہا، ان کا کہنا تھا) whose
    context sentence names no party replaced by the article's last sentence that names one, so
    that a chain of pronouns ("انہوں نے مزید کہا" two sentences after the name) still points to
    the named speaker (GUIDELINES rule 1).

    The walk back through the article passes over other pronoun sentences (the same speaker
    goes on) and sentences without a speaker, and stops at a speaker who is no party (an expert,
    "ذرائع کے مطابق"): the pronoun is theirs. `articles[i]` is the article of row i and
    `order[i]` its position in the article (default: the rows' order). Annotators still see one
    context sentence: only the model's view of the context changes.
    """
    by_article: dict = {}
    for i, article in enumerate(articles):
        if article is None or (isinstance(article, float) and math.isnan(article)):
            continue
        by_article.setdefault(article, []).append(i)
    out = list(views_)
    for rows in by_article.values():
        if order is not None:
            rows.sort(key=lambda i: (unit_position(order[i]), i))
        for k, i in enumerate(rows):
            v = views_[i]
            if v.context_parties or not _is_pronoun_speaker(v):
                continue
            antecedent = _antecedent(views_, rows[:k])
            if antecedent is not None and antecedent is not (views_[rows[k - 1]] if k else None):
                out[i] = View(
                    v.text,
                    v.tokens,
                    antecedent.tokens,
                    v.words,
                    v.parties,
                    antecedent.words,
                    antecedent.parties,
                )
    return out


def _is_pronoun_speaker(v: View) -> bool:
    return any(k & (_PRONOUN | _PHRASE_START) for k in v.listed) and _pronoun_speaker(v.words)


def _antecedent(views_: list[View], earlier: list[int]) -> View | None:
    """The last of the `earlier` rows (in article order) that names a party and is no pronoun
    sentence, unless a speaker who is no party comes after it."""
    verbs, attribution = _lexicon(REPORTING_VERBS), _lexicon(ATTRIBUTION)
    for j in reversed(earlier):
        v = views_[j]
        if _is_pronoun_speaker(v):
            continue  # the same speaker goes on
        if v.parties:
            return v
        words = v.words
        if ERGATIVE in words and not verbs.isdisjoint(words[words.index(ERGATIVE) + 1 :]):
            return None  # someone who is no party speaks: the pronoun is theirs
        if not attribution.isdisjoint(words):
            return None
    return None


def _views(frame: pd.DataFrame, finder: MentionFinder) -> list[View]:
    texts = frame["text"].tolist()
    contexts = frame["context"].tolist() if "context" in frame else [""] * len(frame)
    mentions = frame["mentions"].tolist() if "mentions" in frame else [None] * len(frame)
    context_mentions = frame["context_mentions"].tolist() if "context_mentions" in frame else None
    out: list[View] = []
    previous_text, previous = None, None
    for i, (text, context) in enumerate(zip(texts, contexts, strict=True)):
        text = "" if text is None else str(text)
        context = (
            ""
            if context is None or (isinstance(context, float) and math.isnan(context))
            else str(context)
        )
        found = parse_mentions(mentions[i])
        norm, tokens = tokenize(text, found)
        # Without mentions every token is a word: nothing to sort out (most sentences).
        words, parties = (tokens, _NO_PARTIES) if not found else (None, None)
        if not context.strip():
            context_tokens: tuple[Token, ...] = ()
            context_words, context_parties = (), _NO_PARTIES
        elif context == previous_text and previous is not None:
            context_tokens = previous.tokens
            context_words, context_parties = previous.words, previous.parties
        else:
            found = (
                parse_mentions(context_mentions[i])
                if context_mentions is not None
                else finder.find(context)
            )
            context_tokens = tokenize(context, found)[1]
            context_words, context_parties = (
                (context_tokens, _NO_PARTIES) if not found else (None, None)
            )
        previous = View(
            norm, tokens, context_tokens, words, parties, context_words, context_parties
        )
        out.append(previous)
        previous_text = text
    return out


def sentence_frame(views_: Sequence[View]) -> pd.DataFrame:
    """One row per sentence: the normalised text and its sentiment cues (the sentiment model's
    input). The cues name the sentiment words present (`pos` / `neg`, and which ones), so that a
    word the labelled sentences rarely show still counts through its list."""
    return pd.DataFrame(
        {
            "sentence": [v.text for v in views_],
            "sentiment_cues": [_sentiment_cues(v) for v in views_],
        },
        dtype=object,
    )


NEGATIONS = ("نہیں", "نہ")
NEGATION_REACH = 4  # words after a positive word in which a negation turns it


def _negated_positives(tokens: Sequence[Token]) -> int:
    """How many distinct positive words of `tokens` a negation follows within NEGATION_REACH."""
    kinds, negations = _word_kinds(), _lexicon(NEGATIONS)
    return len(
        {
            token
            for i, token in enumerate(tokens)
            if isinstance(token, str)
            and kinds.get(token, 0) & (_POSITIVE | _SUPPORT)
            and negations.intersection(tokens[i + 1 : i + 1 + NEGATION_REACH])
        }
    )


def _sentiment_cues(v: View) -> str:
    kinds = 0
    for k in v.listed:
        kinds |= k
    # A transfer in a war is about the transfer: the war's words do not count as negative.
    transfer = bool(kinds & _ARMS and kinds & _TRANSFER)
    plain = transfer and not any(k & (_NEGATIVE | _CONDEMN) and not k & _WAR for k in v.listed)
    positive = sum(bool(k & _POSITIVE) + bool(k & _SUPPORT) for k in v.listed)
    negative = 0 if plain else sum(bool(k & _NEGATIVE) + bool(k & _CONDEMN) for k in v.listed)
    if positive and _lexicon(NEGATIONS).intersection(t for t in v.tokens if isinstance(t, str)):
        # "قبول نہیں کر سکتا", "کوئی پیش رفت نہیں": a good word negated is a refusal or a failure.
        negated = _negated_positives(v.tokens)
        positive -= negated
        negative += negated
    used = bool(kinds & _ARMS and kinds & _USE) and not transfer
    negative += used
    # "اگر X اور Y … تو ہم … کریں گے": a response threatened to what two parties do.
    threat = normalize(THEN) in v.words and len(_condition_parties(v.tokens)) >= 2
    negative += threat
    out = [f"pos{min(positive, 3)}", f"neg{min(negative, 3)}"]
    if positive > negative:
        out.append("more_pos")
    elif negative > positive:
        out.append("more_neg")
    else:
        out.append("balanced")
    if v.figures:
        out.append("figures")
    if transfer:
        out.append("transfer_plain" if plain else "transfer")
    if used:
        out.append("arms_used")
    if threat:
        out.append("conditional_threat")
    if kinds & _QUOTE:
        out.append("quote")
    return " ".join(out)


def pair_frame(
    views_: Sequence[View],
    party_ids: Sequence[str],
    window: int = WINDOW,
    topic: TopicCues | None = None,
) -> pd.DataFrame:
    """One row per sentence × party (sentence-major: the pairs of sentence i are rows
    i*len(party_ids) ... ), with the columns of `PAIR_COLUMNS`. `topic` (from the schema)
    tells the cues which sentences are on the topic."""
    rows: dict[str, list] = {c: [] for c in PAIR_COLUMNS}
    topic = topic or TopicCues()
    labels = [f"p_{party}" for party in party_ids]
    k = len(party_ids)
    for i, v in enumerate(views_):
        shared = _SentenceCues.of(v, topic)
        if not (shared.parties or shared.context_parties):
            # Most sentences: no party named here or in the context, every pair "absent".
            sentence, window_, context, absent = _absent_pair(v, shared)
            rows["sentence"] += [sentence] * k
            rows["window"] += [window_] * k
            rows["context"] += [context] * k
            rows["cues"] += [f"{label} {absent}" for label in labels]
        else:
            absent = None  # the pair of a party named neither here nor in the context
            for party, label in zip(party_ids, labels, strict=True):
                if party in shared.parties or party in shared.context_parties:
                    marked, context = _marked(v.tokens, party), _marked(v.context, party)
                    pair = (
                        " ".join(marked),
                        _window(marked, window),
                        " ".join(context) if context else NO_CONTEXT,
                        " ".join(cues(marked, context, party, shared)),
                    )
                else:
                    absent = absent or _absent_pair(v, shared)
                    pair = (*absent[:3], f"{label} {absent[3]}")
                rows["sentence"].append(pair[0])
                rows["window"].append(pair[1])
                rows["context"].append(pair[2])
                rows["cues"].append(pair[3])
        rows["row"] += [i] * k
        rows["party"] += party_ids
        rows["text"] += [v.text] * k
    # Object columns from the start: pandas would otherwise store Arrow strings, and the
    # vectorisers turn them back into Python strings.
    return pd.DataFrame(
        {c: rows[c] if c == "row" else pd.Series(rows[c], dtype=object) for c in PAIR_COLUMNS}
    )


def _absent_pair(v: View, shared: _SentenceCues) -> tuple[str, str, str, str]:
    """(sentence, window, context, cues without the `p_<party>` label) of the pairs of a party
    named neither in the sentence nor in its context: the same for every such party."""
    marked = _marked(v.tokens, "", bool(shared.parties))
    context = _marked(v.context, "", bool(shared.context_parties))
    return (
        " ".join(marked),
        NO_MENTION,
        " ".join(context) if context else NO_CONTEXT,
        " ".join(cues(marked, context, "", shared)[1:]),
    )


@dataclass(frozen=True)
class TopicCues:
    """The schema's topic as the cues need it: its parties, and its keywords normalised."""

    parties: frozenset = frozenset()
    keywords: frozenset = frozenset()

    @classmethod
    def of(cls, topic) -> TopicCues:
        return cls(frozenset(topic.parties), frozenset(normalize(k) for k in topic.keywords))


@dataclass(frozen=True)
class _SentenceCues:
    """What the cues of a sentence's pairs share: computed once per sentence, not per party."""

    parties: frozenset
    context_parties: frozenset
    pronoun: bool
    quote: bool
    both: bool
    support: bool = False
    condemn: bool = False
    act: bool = False
    figures: bool = False
    after: bool = False  # "یہ بات … نے کہی": the words came before their speaker
    on_topic: bool = True
    impersonal: bool = False
    expert: bool = False
    context_expert: bool = False
    claim: bool = False  # rule 11
    expected: bool = False  # rule 12
    rejected_report: bool = False  # rule 13: a report noun and a rejecting word
    rejects_claims: bool = False  # rule 8: a rejecting word and a claim or report noun
    question: bool = False  # rule 14
    declined: bool = False  # rule 14: "تبصرہ کرنے سے انکار"
    congratulates: bool = False  # rule 14
    tail: bool = False  # a colon, comma or dash: maybe a headline's speaker at the end
    conditional_response: bool = False  # "اگر X اور Y … تو … گے": a threat to respond
    background: bool = False  # a writer's note ("واضح رہے کہ")
    own_speaker: bool = False  # someone in the sentence speaks (… نے کہا، … کے مطابق)
    # The parties "both sides" stand for when they speak ("فریقین نے اتفاق کیا", "دونوں ممالک
    # … انکار کرتے ہیں"): the context's parties, else the sentence's (two or more of them).
    both_speak: frozenset = frozenset()
    topic_parties: frozenset = frozenset()
    keyword: bool = False  # a topic keyword in the sentence itself (not only the context)
    # Per party named in the context: `_spoke` of the context marked for it (computed once here,
    # read by every pair of the sentence).
    context_spoke: dict = field(default_factory=dict)

    @property
    def context_speakers(self) -> frozenset:
        """The parties that speak in the context sentence."""
        return frozenset(p for p, spoke in self.context_spoke.items() if any(spoke[1:]))

    @classmethod
    def of(cls, v: View, topic: TopicCues | None = None) -> _SentenceCues:
        # This runs once per sentence of every batch, so it is written for speed: one lookup of
        # the sentence's words in all the word lists (`View.listed`), and the rarer tests
        # (pronoun speaker, impersonal) only where their words occur; same values as
        # word-by-word tests.
        words, parties, context_parties = v.words, v.parties, v.context_parties
        kinds = 0
        for k in v.listed:
            kinds |= k
        on_topic, keyword = True, False
        if topic is not None and (topic.parties or topic.keywords):
            keyword = not topic.keywords.isdisjoint(words)
            on_topic = bool(
                (topic.parties and topic.parties <= (parties | context_parties))
                or not topic.keywords.isdisjoint(words)
                or not topic.keywords.isdisjoint(v.context_words)
            )
        return cls(
            parties=parties,
            context_parties=context_parties,
            pronoun=bool(kinds & (_PRONOUN | _PHRASE_START)) and _pronoun_speaker(words),
            quote=bool(kinds & _QUOTE),
            both=bool(kinds & _BOTH),
            support=bool(kinds & _SUPPORT),
            condemn=bool(kinds & _CONDEMN),
            act=bool(kinds & _ACT),
            figures=v.figures or bool(kinds & _NUMBER),
            after=bool(kinds & _AFTER),
            on_topic=on_topic,
            impersonal=bool(kinds & _IMPERSONAL) and _impersonal(words),
            expert=bool(kinds & _EXPERT),
            context_expert=not _lexicon(EXPERT_WORDS).isdisjoint(v.context_words),
            claim=bool(kinds & _CLAIM),
            expected=bool(kinds & _EXPECTED) and not _lexicon(FUTURE).isdisjoint(words),
            rejected_report=bool(kinds & _REPORT_NOUN) and bool(kinds & _REJECT),
            rejects_claims=bool(kinds & _REJECT) and bool(kinds & (_REPORT_NOUN | _CLAIM)),
            question=bool(kinds & _QUESTION),
            declined=bool(kinds & _COMMENT) and normalize("انکار") in words,
            congratulates=bool(kinds & _CONGRATULATE),
            tail=bool(kinds & _TAIL),
            conditional_response=topic is not None
            and len(topic.parties) >= 2
            and normalize(THEN) in words
            and topic.parties <= _condition_parties(v.tokens),
            background=_background(words),
            own_speaker=_own_speaker(words),
            both_speak=_both_referents(parties, context_parties)
            if kinds & _BOTH and _both_speak(words)
            else frozenset(),
            topic_parties=topic.parties if topic is not None else frozenset(),
            keyword=keyword,
            context_spoke={p: _spoke(_marked(v.context, p)) for p in context_parties},
        )


@cache
def _openers() -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(normalize(w) for w in opener) for opener in BACKGROUND_OPENERS)


def _background(words: Sequence[str]) -> bool:
    """The sentence opens with a writer's note (`BACKGROUND_OPENERS`)."""
    head = [w for w in words[: OPENER_WORDS + 2] if _WORD.match(w)][: OPENER_WORDS + 1]
    return any(tuple(head[i : i + len(o)]) == o for o in _openers() for i in range(OPENER_WORDS))


def _both_speak(words: Sequence[str]) -> bool:
    """ "Both sides" are the subject of a statement: a `BOTH` word followed, in its clause, by
    `نے` and then a reporting verb, by an attribution (کا کہنا، کے مطابق) or by a reporting verb
    of the present or future ("دونوں ممالک … انکار کرتے ہیں")."""
    both, verbs, attribution = _lexicon(BOTH), _lexicon(REPORTING_VERBS), _lexicon(ATTRIBUTION)
    for i, w in enumerate(words):
        if w not in both:
            continue
        clause = []
        for t in words[i + 1 : i + 1 + 2 * LOOKAHEAD]:
            if not _WORD.match(t):
                break
            clause.append(t)
        if ERGATIVE in clause[:LOOKAHEAD]:
            after = words[i + 1 + clause.index(ERGATIVE) + 1 :]
            return any(t in verbs for t in after)
        if any(t in attribution for t in clause[:LOOKAHEAD]) or any(t in verbs for t in clause):
            return True
    return False


def _both_referents(parties: frozenset, context_parties: frozenset) -> frozenset:
    if len(context_parties) >= 2:
        return context_parties
    return parties if len(parties) >= 2 else frozenset()


def _own_speaker(words: Sequence[str]) -> bool:
    """Someone the sentence names speaks in it: `نے` and then a reporting verb, or an
    attribution (کے مطابق، بقول). Its words only: a party's mention is not among them."""
    verbs, ergative = _lexicon(REPORTING_VERBS), ERGATIVE
    if ergative in words and any(w in verbs for w in words[words.index(ergative) + 1 :]):
        return True
    return normalize("مطابق") in words or normalize("بقول") in words


def _marked(tokens: Iterable[Token], party: str, mentioned: bool = True) -> list[str]:
    """The tokens with each mention as `xtgt` (names `party`) or `xoth`; `mentioned=False`
    says there is no mention among them (the tokens are the words)."""
    if not mentioned:
        return list(tokens)
    return [t if isinstance(t, str) else (TARGET if party in t else OTHER) for t in tokens]


def _window(marked: list[str], width: int) -> str:
    words = [t for t in marked if _WORD.match(t)]
    parts = [
        " ".join(words[max(0, i - width) : i + width + 1])
        for i, t in enumerate(words)
        if t == TARGET
    ]
    return " ".join(parts) if parts else NO_MENTION


def _spoke(marked: list[str]) -> tuple[bool, bool, bool]:
    """(a target mention is followed by نے, …by نے and a reporting verb, …by an attribution
    word like کے مطابق / کا کہنا / ترجمان, or by a genitive and a speech noun as headlines say
    it, "X کی … پیشکش") within a few words."""
    verbs, attribution = _lexicon(REPORTING_VERBS), _lexicon(ATTRIBUTION)
    owner_speaks = _lexicon(OWNED_ATTRIBUTION)
    ergative = reported = attributed = False
    media = _lexicon(MEDIA_NOUNS)
    for i, t in enumerate(marked):
        if t != TARGET:
            continue
        ahead = marked[i + 1 : i + 1 + LOOKAHEAD]
        if ahead and (
            ahead[0] in media or (ahead[0] in GENITIVES and ahead[1:2] and ahead[1] in media)
        ):
            continue  # its private media speak, not the party
        if ERGATIVE in ahead:
            ergative = True
            after = marked[i + 1 + ahead.index(ERGATIVE) + 1 :]
            reported = reported or any(w in verbs for w in after)
        attributed = attributed or any(w in attribution for w in ahead)
        if ahead and ahead[0] in GENITIVES:
            owned = marked[i + 2 : i + 2 + 2 * LOOKAHEAD]
            attributed = attributed or any(w in verbs for w in owned)
            # "X کی سرکاری خبر ایجنسی کے مطابق": what X owns speaks (its clause only).
            for w in owned:
                if not _WORD.match(w) or w in (TARGET, OTHER):
                    break
                if w in owner_speaks:
                    attributed = True
                    break
    return ergative, reported, attributed


def _nominative_speaker(marked: list[str]) -> bool:
    """A target mention that speaks without `نے`: "X کہہ چکا ہے کہ", "X خبردار کرے گا", "X
    حمایت کا اعلان کرتا ہے" (present, future and perfect tenses take no ergative): a reporting
    verb within a few words, before any punctuation, and no postposition that makes the
    mention an object or a place right after it."""
    verbs = _lexicon(REPORTING_VERBS) - {normalize("کہ")}
    objects = _lexicon(OBJECT_MARKS)
    for i, t in enumerate(marked):
        if t != TARGET:
            continue
        ahead = marked[i + 1 : i + 3 + LOOKAHEAD]
        if not ahead or ahead[0] in objects or ERGATIVE in ahead:
            continue
        for w in ahead:
            if not _WORD.match(w) or w in (TARGET, OTHER):
                break
            if w in verbs:
                return True
    return False


def _report_rejected(marked: list[str]) -> bool:
    """Rule 13: the target's report is what another rejects ("X کی اس خبر کو بے بنیاد قرار
    دیا"): a report noun a few words after the mention, a rejecting word after it."""
    nouns, reject = _lexicon(REPORT_NOUNS), _lexicon(REJECT_WORDS)
    for i, t in enumerate(marked):
        if t != TARGET:
            continue
        ahead = marked[i + 1 : i + 2 + LOOKAHEAD]
        for j, w in enumerate(ahead):
            if w in nouns:
                return any(x in reject for x in marked[i + 2 + j :])
    return False


def _condition_parties(tokens: Sequence[Token]) -> frozenset:
    """The parties named in a condition that ends at تو, opened by اگر or closed by a finite
    verb (`CONDITION_ENDS`), with a future verb within `THEN_WORDS` words after it ("اگر ماسکو
    اور پیانگ یانگ کا تعاون بڑھا تو … دیں گے"); empty when the sentence has no such condition."""
    then, future = normalize(THEN), _lexicon(FUTURE)
    ifs, ends = _lexicon(IF_WORDS), _lexicon(CONDITION_ENDS)
    named: set = set()
    for j, t in enumerate(tokens):
        if t != then or j == 0:
            continue
        before = tokens[:j]
        opened = [i for i, b in enumerate(before) if isinstance(b, str) and b in ifs]
        if not (opened or (isinstance(before[-1], str) and before[-1] in ends)):
            continue
        after = [a for a in tokens[j + 1 : j + 1 + THEN_WORDS] if isinstance(a, str)]
        if any(a in future for a in after):
            condition = before[opened[-1] :] if opened else before
            named.update(*(b for b in condition if not isinstance(b, str)))
    return frozenset(named)


def _tail_speaker(marked: list[str]) -> bool:
    """A headline naming its speaker at the end, after a colon, comma or dash ("… : xtgt",
    "…، xtgt کا دعوی"): the target is in the last part, which has at most `TAIL_WORDS` words,
    and at least three words come before it."""
    cuts = [i for i, t in enumerate(marked) if t in TAIL_MARKS]
    if not cuts:
        return False
    cut = cuts[-1]
    tail = [t for t in marked[cut + 1 :] if _WORD.match(t)]
    head = [t for t in marked[:cut] if _WORD.match(t)]
    return TARGET in tail and len(tail) <= TAIL_WORDS and len(head) >= 3


def _speaker_topic(party: str, shared: _SentenceCues) -> str | None:
    """What a speaker of the topic's parties talks about (rule 6), from what the sentence
    itself names: its partner or a topic keyword (`speaker_partner`); a third party but not the
    partner, as in "a peace treaty with Japan" or "talks with Seoul" (`speaker_third_party`);
    nobody, only the context naming the partner (`speaker_partner_context`) or not even that
    (`speaker_no_partner`). None for a speaker outside the topic's parties."""
    if party not in shared.topic_parties:
        return None
    partners = shared.topic_parties - {party}
    if partners and partners <= shared.parties:
        return "speaker_partner"
    if shared.parties - shared.topic_parties:
        return "speaker_third_party"
    if shared.keyword:
        return "speaker_topic_keyword"
    if partners and partners <= shared.context_parties:
        return "speaker_partner_context"
    return "speaker_no_partner"


def _impersonal(words: list[str]) -> bool:
    """A reporting verb or خیال / سمجھا followed by جاتا/جاتی/جاتے: "it is believed / said"."""
    verbs = _lexicon((*REPORTING_VERBS, "خیال", "سمجھا", "کیا", "بتایا"))
    impersonal = _lexicon(IMPERSONAL)
    if impersonal.isdisjoint(words):
        return False
    return any(w in impersonal and i and words[i - 1] in verbs for i, w in enumerate(words))


def _pronoun_speaker(words: list[str]) -> bool:
    pronouns = _lexicon(PRONOUNS)
    phrases = _phrases(PRONOUN_PHRASES)
    if pronouns.isdisjoint(words) and phrases[0][0] not in words:
        return False
    for i, t in enumerate(words):
        if t in pronouns:
            return True
        if t == phrases[0][0] and any(tuple(words[i : i + len(p)]) == p for p in phrases):
            return True
    return False


def cues(marked: list[str], context: list[str], party: str, shared: _SentenceCues) -> list[str]:
    """Cue tokens of one pair (see the module docstring), `p_<party>` first. `kw_source` is
    the keyword rule's test: the party is mentioned next to a reporting verb or an attribution."""
    in_sentence = TARGET in marked
    in_context = TARGET in context
    parties = [t for t in marked if t in (TARGET, OTHER)]
    ergative, reported, attributed = _spoke(marked) if in_sentence else (False, False, False)
    source = reported or attributed
    # The context's `_spoke` for this party, shared with the sentence's other pairs.
    c_ergative, c_reported, c_attributed = shared.context_spoke.get(party, (False, False, False))
    context_source = c_reported or c_attributed
    pronoun = shared.pronoun
    out = [f"p_{party}"]
    if in_sentence:
        out.append("in_sentence")
        out.append("first_party" if parties[0] == TARGET else "not_first_party")
        if OTHER not in parties:
            out.append("only_party")
    else:
        out.append("not_in_sentence")
    if OTHER in parties:
        out.append("other_party")
    if (in_sentence or in_context) and shared.both:
        out.append("both_sides" if in_sentence else "both_sides_context")
    if ergative:
        out.append("ergative")
    if source:
        out += ["kw_source", f"kw_source_{party}"]
    elif ergative:
        out.append("ergative_no_report")
    # A pronoun's speaker is the context's: the party that spoke there, else (nobody spoke
    # there) the party that was the subject of its verb ("X نے … کی۔ انہوں نے کہا …").
    context_subject = context_source or (c_ergative and not shared.context_speakers)
    speaker = source or (pronoun and in_context and context_subject)
    if in_sentence and ergative and shared.after and reported:
        out.append("speaker_after")  # rule 9: "یہ بات X نے کہی" closes the statement
        speaker = True
    if in_sentence and not ergative and _nominative_speaker(marked):
        out.append("nominative_speaker")  # "X کہہ چکا ہے", "X خبردار کرے گا"
        speaker = True
    if in_sentence and shared.tail and _tail_speaker(marked):
        out.append("tail_speaker")  # a headline's speaker after its colon or comma
        speaker = True
    if party in shared.both_speak:
        out.append("both_speak")  # "فریقین نے اتفاق کیا": both sides are the speakers
        speaker = True
    if in_sentence and shared.rejected_report and not ergative and _report_rejected(marked):
        out.append("report_rejected")  # rule 13: only the object of another's rejection
        speaker = False
    if speaker:
        # Rules 11-14: accusations and claims, expected positions, deflecting, congratulating.
        if shared.claim:
            out.append("speaker_claim_judging" if shared.condemn else "speaker_claim_plain")
        if shared.expected:
            out.append("speaker_expected")
        if shared.question:
            out.append("speaker_question")
        if shared.declined:
            out.append("speaker_declines")
        if shared.congratulates:
            out.append("speaker_congratulates")
        if shared.rejects_claims:
            out.append("speaker_rejects_claims")  # rule 8 (its object: rule 13)
        if shared.conditional_response and party not in shared.topic_parties:
            out.append("speaker_threatens_response")  # "if the partners … then we will …"
        # Who speaks, and what kind of thing they say (rules 6, 8, 10).
        if shared.support:
            out.append("speaker_support")
        if shared.condemn:
            out.append("speaker_condemn")
        if not (shared.support or shared.condemn):
            out.append("speaker_plain")
            if shared.figures:
                out.append("speaker_figures_plain")
        elif shared.figures:
            out.append("speaker_figures_judging")
        out.append("speaker_on_topic" if shared.on_topic else "speaker_off_topic")
        topic_cue = _speaker_topic(party, shared)
        if topic_cue:
            out.append(topic_cue)
    elif in_sentence and shared.act:
        out.append("actor_only")  # rule 7: acts are not statements
    if in_sentence and not speaker:
        out.append("not_speaker")  # named, but nothing in the sentence makes it speak
    if not shared.on_topic:
        out.append("off_topic")
    if shared.impersonal and not speaker:
        out.append("impersonal")
    if shared.expert:
        out.append("expert")
    if in_context and pronoun and not context_source:
        if shared.context_speakers - {party}:
            out.append("pronoun_other_speaker")  # the pronoun is another party's speaker
        elif shared.context_expert:
            out.append("pronoun_expert")  # … or an expert's, who is no party
    if shared.background:
        out.append("background" if in_sentence else "background_context_only")
    if not in_sentence and in_context and shared.own_speaker and not pronoun:
        out.append("own_speaker_context_only")  # the sentence has its own speaker
    if shared.quote:
        out.append("quote")
    if pronoun:
        out.append("pronoun_speaker")
    if in_context:
        out.append("in_context")
        if context_source:
            out.append("context_source")
        elif c_ergative:
            out.append("context_ergative")
        ctx_parties = [t for t in context if t in (TARGET, OTHER)]
        if ctx_parties[0] == TARGET:
            out.append("context_first_party")
        if ctx_parties[-1] == TARGET:
            out.append("context_last_party")
        if pronoun:
            out.append("pronoun_context_party")
            if context_subject:
                out += ["pronoun_context_source", f"pronoun_context_source_{party}"]
            if not in_sentence:
                out.append("pronoun_context_only")
    return out

"""The annotation schema: parties, stance and sentiment values and the topic, read from TOML.

Everything downstream (label config, instructions, model outputs, export columns) is derived
from a `Schema`; tag names in Label Studio come from the helpers at the bottom of this module.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .exceptions import SchemaError

DEFAULT_SCHEMA = "schema.toml"

# What a value means, whatever it is called. Stance: `polar` values take a side (F_avg is the
# mean F1 over them), `neutral` is a source without a side, `not_source` is the one value for a
# party that is not a source at all. Sentiment: `positive`, `negative`, `neutral`.
POLAR, NEUTRAL, NOT_SOURCE = "polar", "neutral", "not_source"
POSITIVE, NEGATIVE = "positive", "negative"
# Roles of values left without one in older schemas, known from their conventional names.
STANCE_ROLES = {"favor": POLAR, "against": POLAR, "neutral": NEUTRAL, "none": NOT_SOURCE}
SENTIMENT_ROLES = {"positive": POSITIVE, "negative": NEGATIVE, "neutral": NEUTRAL}

# A string with at least one character that is not white space.
Text = Annotated[str, Field(pattern=r"\S")]


@dataclass(frozen=True)
class Value:
    value: str
    en: str
    ur: str
    role: str


@dataclass(frozen=True)
class ContextualAlias:
    alias: str
    near: tuple[str, ...]
    window: int = 3


@dataclass(frozen=True)
class Party:
    id: str
    en: str
    ur: str
    color: str
    aliases: tuple[str, ...]
    contextual: tuple[ContextualAlias, ...] = ()


@dataclass(frozen=True)
class Compound:
    phrase: str
    parties: tuple[str, ...]


@dataclass(frozen=True)
class Titles:
    """Titles of officials and state bodies (GUIDELINES: a party is its state, its ministers,
    officials, spokespeople and ministries). A title is a mention of the party that owns it in
    the sentence (روسی وزیر خارجہ, جنوبی کوریا کے صدر); a bare one takes its country from the
    context. `people` are persons (a name may follow them: of anyone), `bodies` are institutions;
    `modifiers` may stand between a country and its title (نائب, سابق …)."""

    people: tuple[str, ...] = ()
    bodies: tuple[str, ...] = ()
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    id: str
    en: str
    ur: str
    # The parties whose relation the topic is (a sentence naming all of them is on the topic),
    # and words that put a sentence on the topic without naming them. Both optional: the model
    # uses them to tell a source speaking on the topic from one speaking about something else.
    parties: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schema:
    topic: Topic
    parties: tuple[Party, ...]
    stance: tuple[Value, ...]
    sentiment: tuple[Value, ...]
    compounds: tuple[Compound, ...] = field(default=())
    not_mentions: tuple[str, ...] = field(default=())
    titles: Titles = field(default=Titles())

    @property
    def party_ids(self) -> list[str]:
        return [p.id for p in self.parties]

    @property
    def stance_values(self) -> list[str]:
        return [v.value for v in self.stance]

    @property
    def sentiment_values(self) -> list[str]:
        return [v.value for v in self.sentiment]

    def stance_with(self, role: str) -> list[str]:
        """The stance values with `role` (POLAR, NEUTRAL, NOT_SOURCE), in schema order."""
        return [v.value for v in self.stance if v.role == role]

    @property
    def not_source(self) -> str:
        """The stance value meaning "this party is not a source here" (`none` by default)."""
        return self.stance_with(NOT_SOURCE)[0]

    @property
    def polar(self) -> list[str]:
        """The stance values that take a side (`favor`, `against` by default)."""
        return self.stance_with(POLAR)

    def sentiment_with(self, role: str) -> str:
        """The sentiment value with `role` (POSITIVE, NEGATIVE, NEUTRAL)."""
        return next(v.value for v in self.sentiment if v.role == role)

    def party(self, party_id: str) -> Party:
        for p in self.parties:
            if p.id == party_id:
                return p
        raise SchemaError(f"unknown party {party_id!r}; the schema has {', '.join(self.party_ids)}")

    def digest(self) -> str:
        """A stable hash of the schema's content: models and exports record it."""
        canonical = json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


# Label Studio tag names, shared by the label config, push, pull and the gold set.
TEXT_TAG = "text"
CONTEXT_TAG = "context"
MENTIONS_TAG = "mentions"
SENTIMENT_TAG = "sentiment"


def stance_tag(party_id: str) -> str:
    return f"stance_{party_id}"


def load_schema(path: str | Path | None = None) -> Schema:
    """Read a schema TOML file (the packaged default when `path` is None)."""
    if path is None:
        text = resources.files(__package__).joinpath(DEFAULT_SCHEMA).read_text("utf-8")
        source = f"default schema ({DEFAULT_SCHEMA})"
    else:
        source = str(path)
        try:
            text = Path(path).read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SchemaError(f"{source}: cannot read the schema ({exc})") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SchemaError(f"{source}: not valid TOML ({exc})") from exc
    return parse_schema(raw, source)


class _Item(BaseModel):
    # Keys of one value, party or alias: a misspelt key is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid")


class _Value(_Item):
    value: Text
    en: Text
    ur: Text
    role: str | None = None


class _Contextual(_Item):
    alias: Text
    near: list[Text]
    window: int = Field(default=3, ge=1)


class _Party(_Item):
    id: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    en: Text
    ur: Text
    color: str = "#888888"
    aliases: Annotated[list[Text], Field(min_length=1)]
    contextual: list[_Contextual] = []


class _Compound(_Item):
    phrase: Text
    parties: Annotated[list[Text], Field(min_length=1)]


class _Topic(_Item):
    id: Text
    en: Text
    ur: Text
    parties: list[Text] = []
    keywords: list[Text] = []


class _Titles(_Item):
    people: list[Text] = []
    bodies: list[Text] = []
    modifiers: list[Text] = []


class _Schema(BaseModel):
    # Other top-level tables are allowed: other parts of mauqif keep their settings here too.
    topic: _Topic
    stance: Annotated[list[_Value], Field(min_length=1)]
    sentiment: Annotated[list[_Value], Field(min_length=1)]
    party: Annotated[list[_Party], Field(min_length=1)]
    compound: list[_Compound] = []
    not_mentions: list[Text] = []
    titles: _Titles = _Titles()


def _key(location: tuple) -> str:
    """('party', 0, 'aliases') → party[0].aliases"""
    key = ""
    for part in location:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _roles(
    values: list[_Value], kind: str, roles: dict[str, str], source: str
) -> tuple[Value, ...]:
    """The values with their roles: given, else known from the value's conventional name."""
    allowed = sorted(set(roles.values()))
    out = []
    for i, item in enumerate(values):
        role = item.role or roles.get(item.value)
        if role is None:
            raise SchemaError(
                f"{source}: key `{kind}[{i}].role` is missing: say what {item.value!r} means, "
                f"one of {', '.join(allowed)}"
            )
        if role not in allowed:
            raise SchemaError(
                f"{source}: key `{kind}[{i}].role` is {role!r}; use one of {', '.join(allowed)}"
            )
        out.append(Value(item.value, item.en, item.ur, role))
    if len({v.value for v in out}) != len(out):
        raise SchemaError(f"{source}: key `{kind}` has a value twice")
    return tuple(out)


def _exactly_one(values: tuple[Value, ...], kind: str, role: str, source: str) -> None:
    found = [v.value for v in values if v.role == role]
    if len(found) != 1:
        raise SchemaError(
            f"{source}: key `{kind}` must have exactly one value with role `{role}`, "
            f"has {len(found)} ({', '.join(found) or 'none'})"
        )


def parse_schema(raw: dict, source: str = "schema") -> Schema:
    """Validate a schema read from TOML; an error names the key and what is wrong with it."""
    try:
        parsed = _Schema.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        problem = first["msg"]
        if first["type"] == "missing":
            problem = "missing"
        elif first["type"] == "extra_forbidden":
            problem = "not a schema key (misspelt?)"
        raise SchemaError(f"{source}: key `{_key(first['loc'])}`: {problem}") from None

    stance = _roles(parsed.stance, "stance", STANCE_ROLES, source)
    _exactly_one(stance, "stance", NOT_SOURCE, source)
    if not any(v.role == POLAR for v in stance):
        raise SchemaError(f"{source}: key `stance` must have a value with role `{POLAR}`")
    if sum(v.role == NEUTRAL for v in stance) > 1:
        raise SchemaError(f"{source}: key `stance` has more than one value with role `{NEUTRAL}`")
    sentiment = _roles(parsed.sentiment, "sentiment", SENTIMENT_ROLES, source)
    for role in (POSITIVE, NEGATIVE, NEUTRAL):
        _exactly_one(sentiment, "sentiment", role, source)

    parties = tuple(
        Party(
            id=p.id,
            en=p.en,
            ur=p.ur,
            color=p.color,
            aliases=tuple(p.aliases),
            contextual=tuple(
                ContextualAlias(c.alias, tuple(c.near), c.window) for c in p.contextual
            ),
        )
        for p in parsed.party
    )
    ids = [p.id for p in parties]
    if len(set(ids)) != len(ids):
        raise SchemaError(f"{source}: key `party.id` has a party twice")
    unknown_topic = [p for p in parsed.topic.parties if p not in ids]
    if unknown_topic:
        raise SchemaError(f"{source}: key `topic.parties` names unknown parties {unknown_topic}")
    topic = Topic(
        parsed.topic.id,
        parsed.topic.en,
        parsed.topic.ur,
        parties=tuple(parsed.topic.parties),
        keywords=tuple(parsed.topic.keywords),
    )
    compounds = []
    for i, item in enumerate(parsed.compound):
        unknown = [m for m in item.parties if m not in ids]
        if unknown:
            raise SchemaError(
                f"{source}: key `compound[{i}].parties` names unknown parties {unknown}"
            )
        compounds.append(Compound(item.phrase, tuple(item.parties)))
    titles = Titles(
        tuple(parsed.titles.people),
        tuple(parsed.titles.bodies),
        tuple(parsed.titles.modifiers),
    )
    return Schema(
        topic,
        parties,
        stance,
        sentiment,
        tuple(compounds),
        tuple(parsed.not_mentions),
        titles,
    )

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

from .exceptions import SchemaError

DEFAULT_SCHEMA = "schema.toml"


@dataclass(frozen=True)
class Value:
    value: str
    en: str
    ur: str


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

    @property
    def party_ids(self) -> list[str]:
        return [p.id for p in self.parties]

    @property
    def stance_values(self) -> list[str]:
        return [v.value for v in self.stance]

    @property
    def sentiment_values(self) -> list[str]:
        return [v.value for v in self.sentiment]

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


def parse_schema(raw: dict, source: str = "schema") -> Schema:
    def need(table: dict, key: str, where: str, kind: type = str):
        if key not in table:
            raise SchemaError(f"{source}: missing key `{where}{key}`")
        value = table[key]
        if not isinstance(value, kind) or (kind is str and not value.strip()):
            raise SchemaError(f"{source}: key `{where}{key}` must be a non-empty {kind.__name__}")
        return value

    def values(key: str) -> tuple[Value, ...]:
        items = need(raw, key, "", list)
        out = []
        for i, item in enumerate(items):
            where = f"{key}[{i}]."
            out.append(
                Value(need(item, "value", where), need(item, "en", where), need(item, "ur", where))
            )
        if len({v.value for v in out}) != len(out):
            raise SchemaError(f"{source}: key `{key}` has a value twice")
        return tuple(out)

    topic_raw = need(raw, "topic", "", dict)
    topic_words = {}
    for key in ("parties", "keywords"):
        listed = topic_raw.get(key, [])
        if not isinstance(listed, list) or not all(isinstance(x, str) and x for x in listed):
            raise SchemaError(f"{source}: key `topic.{key}` must be a list of non-empty strings")
        topic_words[key] = tuple(listed)
    topic = Topic(
        *(need(topic_raw, k, "topic.") for k in ("id", "en", "ur")),
        parties=topic_words["parties"],
        keywords=topic_words["keywords"],
    )
    stance = values("stance")
    if "none" not in {v.value for v in stance}:
        raise SchemaError(f"{source}: key `stance` must include the value `none` (not a source)")
    sentiment = values("sentiment")

    parties = []
    for i, item in enumerate(need(raw, "party", "", list)):
        where = f"party[{i}]."
        pid = need(item, "id", where)
        if not pid.isidentifier() or not pid.isascii():
            raise SchemaError(f"{source}: key `{where}id` must be an ASCII identifier, got {pid!r}")
        aliases = need(item, "aliases", where, list)
        if not aliases or not all(isinstance(a, str) and a.strip() for a in aliases):
            raise SchemaError(f"{source}: key `{where}aliases` must be a list of non-empty strings")
        contextual = []
        for j, c in enumerate(item.get("contextual", [])):
            cw = f"{where}contextual[{j}]."
            contextual.append(
                ContextualAlias(
                    need(c, "alias", cw), tuple(need(c, "near", cw, list)), int(c.get("window", 3))
                )
            )
        parties.append(
            Party(
                id=pid,
                en=need(item, "en", where),
                ur=need(item, "ur", where),
                color=item.get("color", "#888888"),
                aliases=tuple(aliases),
                contextual=tuple(contextual),
            )
        )
    if not parties:
        raise SchemaError(f"{source}: key `party` must list at least one party")
    ids = [p.id for p in parties]
    if len(set(ids)) != len(ids):
        raise SchemaError(f"{source}: key `party.id` has a party twice")

    unknown_topic = [p for p in topic.parties if p not in ids]
    if unknown_topic:
        raise SchemaError(f"{source}: key `topic.parties` names unknown parties {unknown_topic}")

    compounds = []
    for i, item in enumerate(raw.get("compound", [])):
        where = f"compound[{i}]."
        members = tuple(need(item, "parties", where, list))
        unknown = [m for m in members if m not in ids]
        if unknown:
            raise SchemaError(f"{source}: key `{where}parties` names unknown parties {unknown}")
        compounds.append(Compound(need(item, "phrase", where), members))

    not_mentions = raw.get("not_mentions", [])
    if not isinstance(not_mentions, list) or not all(
        isinstance(x, str) and x for x in not_mentions
    ):
        raise SchemaError(f"{source}: key `not_mentions` must be a list of non-empty strings")

    return Schema(topic, tuple(parties), stance, sentiment, tuple(compounds), tuple(not_mentions))

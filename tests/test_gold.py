"""The committed gold set: read by the same reader as pulled exports, complete, balanced, ours."""

import json
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from conftest import ROOT, SEEDS
from mauqif.annotate.labels import aggregate, read_export, read_exports
from mauqif.annotate.normalize import normalize
from mauqif.annotate.reader import iter_articles

GOLD = ROOT / "exports" / "gold" / "gold.json"
ARTICLES = Path(str(resources.files("mauqif.annotate").joinpath("samples/articles")))


@pytest.fixture(scope="module")
def gold(schema):
    table = read_exports([GOLD], schema)
    sentences, report = aggregate(table, schema)
    return table, sentences, report


@pytest.fixture(scope="module")
def sample_units(segmenter):
    return [u for a in iter_articles([ARTICLES]) for u in segmenter.units(a)]


def test_the_gold_set_is_a_label_studio_export_with_the_pull_sidecar(schema):
    tasks, meta = read_export(GOLD)
    assert meta["schema_hash"] == schema.digest()
    assert set(meta["users"].values()) >= {"lead@mauqif.local"}
    for task in tasks:
        assert {"text", "context", "article_id", "sentence_id", "index"} <= set(task["data"])
        assert sum(a["ground_truth"] for a in task["annotations"]) == 1


def test_every_label_is_one_the_schema_knows(gold, schema):
    table, _, report = gold
    assert report["unknown_choices"] == 0
    for party in schema.party_ids:
        assert set(table[f"stance_{party}"]) <= set(schema.stance_values)
    assert set(table["sentiment"]) <= set(schema.sentiment_values)


def test_every_sample_unit_has_exactly_one_adjudicated_label_set(gold, sample_units, schema):
    _, sentences, report = gold
    assert len(sample_units) >= 600
    assert len({u["article_id"] for u in sample_units}) >= 30
    assert sorted(sentences["sentence_id"]) == sorted(u["sentence_id"] for u in sample_units)
    assert report["ground_truth"] == len(sample_units) and report["several_ground_truth"] == 0
    assert sum(report["ties"].values()) == 0
    labelled = sentences.set_index("sentence_id")
    for column in [f"stance_{p}" for p in schema.party_ids] + ["sentiment"]:
        assert labelled[column].notna().all(), column


def test_at_least_a_fifth_is_labelled_twice_with_both_passes_kept(gold):
    table, sentences, _ = gold
    per_sentence = table.groupby("sentence_id")["annotator"].nunique()
    assert (per_sentence >= 2).sum() >= 0.2 * len(sentences)
    assert "lead@mauqif.local" in set(table["annotator"])  # real disagreements were adjudicated


def test_label_balance_per_party_and_sentiment(gold):
    _, sentences, _ = gold
    plausible = {
        "russia": ["favor", "neutral"],
        "north_korea": ["favor", "neutral"],
        "south_korea": ["against", "neutral"],
        "japan": ["against", "neutral"],
    }
    for party, values in plausible.items():
        counts = Counter(sentences[f"stance_{party}"])
        assert sum(n for v, n in counts.items() if v != "none") >= 40, (party, counts)
        for value in values:
            assert counts[value] >= 10, (party, value, counts)
    sentiment = Counter(sentences["sentiment"])
    assert min(sentiment[v] for v in ("positive", "negative", "neutral")) >= 100, sentiment


def test_no_seed_sentence_is_in_the_samples_or_the_gold_set(sample_units):
    """Our own writing only: not one sentence of the seed articles is copied into the project."""
    seed_sentences = {
        normalize(s).strip()
        for seed in SEEDS
        for line in seed.read_text("utf-8").splitlines()
        for s in line.split("۔")
        if len(s.strip()) > 25
    }
    ours = {
        normalize(s).strip()
        for u in sample_units
        for s in u["text"].split("۔")
        if len(s.strip()) > 25
    }
    assert not ours & seed_sentences


def test_no_training_row_is_in_the_real_news_dev_set(schema):
    """The dev set (../shared/dev) measures real news: not one of its units, nor a long piece
    of one, may be among the rows `mauqif train` learns from by default."""
    dev_file = ROOT.parent / "shared" / "dev" / "seeds_labelled.jsonl"
    if not dev_file.exists():
        pytest.skip("../shared/dev is not here")

    def pieces(text: str) -> set[str]:
        text = normalize(text)
        parts = {p.strip() for p in re.split(r"[۔،؟!:‘’“”\n]", text) if len(p.strip()) > 25}
        return parts | {text.strip()}

    dev = set()
    # The seeds' units and the real pages' units (`real/gold.jsonl`, when it is here).
    for path in (dev_file, dev_file.parent / "real" / "gold.jsonl"):
        if not path.exists():
            continue
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                dev |= pieces(json.loads(line)["text"])
    paths = [GOLD] + sorted((ROOT / "exports" / "snapshots").glob("*.json"))
    paths = [p for p in paths if not p.name.endswith(".meta.json")]
    training = read_exports(paths, schema)
    rows = set()
    for text in training["text"]:
        rows |= pieces(str(text))
    assert len(training) >= 1000
    assert not rows & dev


def test_the_gold_set_is_up_to_date_with_its_sources():
    """`make gold` output is committed: rebuilding from labels/ gives the same tasks."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_gold", ROOT / "exports" / "build_gold.py")
    build_gold = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build_gold)
    tasks, meta, _ = build_gold.build()
    assert tasks == json.loads(GOLD.read_text("utf-8"))

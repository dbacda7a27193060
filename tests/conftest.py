from pathlib import Path

import pytest

from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.schema import load_schema

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SEEDS = sorted((SHARED / "seeds").glob("*.txt"))
UD_SENTENCES = SHARED / "corpora" / "ud_urdu" / "sentences.txt"
COUNTER = SHARED / "corpora" / "counter" / "counter.txt"


@pytest.fixture(scope="session")
def schema():
    return load_schema()


@pytest.fixture(scope="session")
def segmenter(schema):
    return Segmenter.default(schema)

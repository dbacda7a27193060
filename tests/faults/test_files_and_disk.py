"""Corrupt files (model, manifest, export, credentials), a models directory from a newer mauqif,
and a full disk while writing a table or a model: one clear line, nothing written earlier damaged,
and the same command run again (after the fault is gone) completes the work."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from .conftest import GOLD, TRAIN_FAST
from .texts import URDU, jsonl, tiny_articles


def tree_digest(root: Path) -> dict[str, str]:
    """{relative path: sha256} of every file under `root` (hidden ones included)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def models(trained, tmp_path):
    copy = tmp_path / "models"
    shutil.copytree(trained, copy)
    version = (copy / "current").read_text().strip()
    return copy, copy / version


@pytest.fixture
def articles(tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_bytes(jsonl(("a1", "\n\n".join(URDU))))
    return path


def predict_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


# ---- corrupt model files ----------------------------------------------------------------------


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _truncate_and_rehash(path: Path) -> None:
    """A truncated model.joblib whose manifest checksum was changed to match (made by hand)."""
    _truncate(path)
    manifest = path.parent / "manifest.json"
    data = json.loads(manifest.read_text())
    data["artifact_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    manifest.write_text(json.dumps(data))


def _newer(path: Path) -> None:
    manifest = path.parent / "manifest.json"
    data = json.loads(manifest.read_text())
    data["format_version"] = 99
    data["new_field_of_the_future"] = {"x": 1}
    manifest.write_text(json.dumps(data))


MODEL_FAULTS = [
    ("truncated model.joblib", "model.joblib", _truncate,
     r"model\.joblib does not match the checksum in its manifest.*not loaded"),
    ("truncated model.joblib, checksum forged to match", "model.joblib", _truncate_and_rehash,
     r"model\.joblib cannot be loaded \(.*\); retrain"),
    ("truncated manifest.json", "manifest.json", _truncate, r"manifest\.json cannot be read"),
    ("manifest.json of zero bytes", "manifest.json", lambda p: p.write_bytes(b""),
     r"manifest\.json cannot be read"),
    ("manifest.json not UTF-8", "manifest.json", lambda p: p.write_bytes(b"\xff\xfe{"),
     r"manifest\.json cannot be read"),
    ("manifest.json a JSON list", "manifest.json", lambda p: p.write_text("[1, 2]"),
     r"manifest\.json is not a mauqif model manifest"),
    ("models directory from a newer mauqif (format 99)", "model.joblib", _newer,
     r"newer mauqif.*format 99.*reads 1"),
    ("model.joblib missing", "model.joblib", lambda p: p.unlink(), r"has a manifest but no model\.joblib"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("fault", "name", "damage", "message"), MODEL_FAULTS, ids=[f[0] for f in MODEL_FAULTS]
)
def test_corrupt_model(fault, name, damage, message, models, articles, mauqif, fault_row):
    import re

    root, version_dir = models
    damage(version_dir / name)
    out = articles.parent / "pred.jsonl"
    out.write_text("earlier\n")
    r = mauqif("predict", articles, "--model", root, "-o", out)
    shown = r.outcome().replace(f"{root}/", "MODELS/")
    fault_row(f"{fault}", "mauqif predict ARTICLES --model MODELS -o OUT",
              "one Error line naming the file and what to do; no unpickling; OUT kept",
              shown)  # fmt: skip
    assert r.code == 1 and "Traceback" not in r.err, r.err
    assert len(r.error_lines) == 1 and r.error_lines[0].startswith("Error: "), r.err
    assert re.search(message, r.error_lines[0]), r.error_lines[0]
    assert out.read_text() == "earlier\n"


def test_current_names_a_missing_version(models, articles, mauqif, fault_row):
    root, _ = models
    (root / "current").write_text("20990101T000000Z-gone\n")
    r = mauqif("predict", articles, "--model", root)
    fault_row("models/current names a version that is not there", "mauqif predict ARTICLES --model MODELS",
              "Error: MODELS/current names '…', which is not a model directory", r.outcome().replace(f"{root}/", "MODELS/"))  # fmt: skip
    assert r.code == 1 and "Traceback" not in r.err
    assert "names '20990101T000000Z-gone', which is not a model directory" in r.err


# ---- corrupt exports --------------------------------------------------------------------------


EXPORT_FAULTS = [
    ("truncated export JSON", lambda b: b[: len(b) // 2], r"is not valid JSON"),
    ("export JSON of zero bytes", lambda b: b"", r"is not valid JSON|is empty"),
    ("export JSON not UTF-8", lambda b: b"\xff" + b, r"is not UTF-8"),
    ("export JSON an object, not a list", lambda b: b'{"tasks": []}', r"is not a Label Studio JSON export"),
]  # fmt: skip


def test_corrupt_exports(tmp_path, mauqif, fault_row):
    """One training run over the gold set and each broken export (training is the slow part)."""
    import re

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(GOLD, data / "gold.json")
    for n, (_, damage, _) in enumerate(EXPORT_FAULTS):
        (data / f"broken{n}.json").write_bytes(damage(GOLD.read_bytes()))
    r = mauqif("train", "--data", data, "--models", "models", *TRAIN_FAST, cwd=tmp_path)
    skipped = {
        m.group(1): m.group(2)
        for x in r.error_lines
        if (m := re.match(rf"skipped: {re.escape(str(data))}/(broken\d)\.json: (.*)", x))
    }
    made = len(list((tmp_path / "models").glob("2*/model.joblib")))
    for n, (fault, _, _) in enumerate(EXPORT_FAULTS):
        fault_row(fault, "mauqif train --data DIR (gold.json + broken exports)",
                  "skipped: DIR/brokenN.json: reason; a model from the good export; exit 1",
                  f"exit {r.code}: skipped: DIR/broken{n}.json: {skipped.get(f'broken{n}')}; models made: {made}")  # fmt: skip
    assert r.code == 1 and "Traceback" not in r.err, r.err
    for n, (_, _, message) in enumerate(EXPORT_FAULTS):
        assert re.search(message, skipped.get(f"broken{n}", "")), r.err
    assert made == 1


def test_corrupt_credentials(tmp_path, mauqif, fault_row):
    home = tmp_path / "home"
    home.mkdir()
    secret = "f" * 40
    good = {
        "url": "http://127.0.0.1:9",
        "username": "admin@mauqif.local",
        "password": "p" * 24,
        "api_key": secret,
    }
    (home / "credentials.json").write_text(json.dumps(good)[:70])  # truncated mid-file
    r = mauqif("pull", "--home", home, "-o", tmp_path / "exports")
    fault_row("truncated credentials.json", "mauqif pull --home HOME",
              "Error: HOME/credentials.json: not a readable credentials file; how to recover; no secret shown",
              r.outcome().replace(f"{home}/", "HOME/"))  # fmt: skip
    assert r.code == 1 and "Traceback" not in r.err
    assert "credentials.json: not a readable credentials file" in r.err
    assert "p" * 24 not in r.out + r.err and secret[:12] not in r.out + r.err


# ---- a full disk ------------------------------------------------------------------------------


def test_disk_full_writing_a_table(tmp_path, small_disk, mauqif, fault_row):
    disk = small_disk("256k")
    articles = tmp_path / "many.jsonl"
    articles.write_bytes(tiny_articles(3000))  # about 1.5 MB of rows: more than the disk holds
    out = disk / "units.jsonl"
    out.write_bytes(b'{"earlier": true}\n')
    before = out.read_bytes()
    r = mauqif("sentences", articles, "-o", out)
    left = sorted(p.name for p in disk.iterdir())
    fault_row("disk full while writing a table", "mauqif sentences 3000-ARTICLES.jsonl -o FULL/units.jsonl",
              "Error: FULL/units.jsonl: cannot be written (No space left on device); earlier file kept, no temp file left",
              r.outcome().replace(f"{disk}/", "FULL/") + f"; files: {left}")  # fmt: skip
    assert r.code == 1 and "Traceback" not in r.err, r.err[-3000:]
    assert len(r.error_lines) == 1 and "No space left on device" in r.error_lines[0], r.err
    assert str(out) in r.error_lines[0]
    assert out.read_bytes() == before and left == ["units.jsonl"]

    # The fault gone (a bigger disk), the same command completes the work.
    out2 = small_disk("8m") / "units.jsonl"
    r2 = mauqif("sentences", articles, "-o", out2)
    assert r2.code == 0 and len(out2.read_text("utf-8").splitlines()) == 3000


def test_disk_full_writing_a_model(tmp_path, small_disk, mauqif, trained, fault_row):
    disk = small_disk("1m")  # the model alone is about 1.5 MB
    (disk / "models").mkdir()
    (disk / "models" / "current").write_text("earlier\n")
    before = tree_digest(disk)
    r = mauqif("train", "--data", GOLD, "--models", disk / "models", *TRAIN_FAST)
    after = tree_digest(disk)
    fault_row("disk full while writing a model", "mauqif train --data GOLD --models FULL/models",
              "Error naming FULL/models and ENOSPC; no half-written model; models/current kept",
              r.outcome().replace(f"{disk}/", "FULL/") + f"; files: {sorted(after)}")  # fmt: skip
    assert r.code == 1 and "Traceback" not in r.err, r.err[-3000:]
    assert "No space left on device" in r.error_lines[-1] and "models" in r.error_lines[-1], r.err
    assert after == before

    bigger = small_disk("16m")
    r2 = mauqif("train", "--data", GOLD, "--models", bigger / "models", *TRAIN_FAST)
    assert r2.code == 0, r2.err
    assert len(list((bigger / "models").glob("2*/model.joblib"))) == 1

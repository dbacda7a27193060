"""Model artifacts: written atomically with a manifest, checked on load (mauqif.model.artifact)."""

import json
import tomllib
from importlib import resources

import joblib
import pandas as pd
import pytest
from modeldata import small_model

from mauqif.annotate.schema import parse_schema
from mauqif.model import current_model_dir, load_model, save_model
from mauqif.model.artifact import promote
from mauqif.model.exceptions import ArtifactError, ModelVersionWarning, SchemaMismatchError

SENTENCES = pd.DataFrame(
    {
        "text": ["جاپان نے اس معاہدے کی سخت مذمت کی۔", "انھوں نے کہا کہ دوستی مضبوط ہے۔"],
        "context": ["", "روسی وزیر خارجہ نے آج ملاقات کی۔"],
    }
)


@pytest.fixture(scope="module")
def model(schema):
    return small_model(schema)


@pytest.fixture
def saved(model, tmp_path):
    return save_model(model, tmp_path / "models")


def raw_schema():
    return tomllib.loads(
        resources.files("mauqif.annotate").joinpath("schema.toml").read_text("utf-8")
    )


def test_a_saved_model_loads_and_predicts_the_same(model, saved, schema):
    loaded = load_model(saved, schema)

    assert loaded.version == model.version == saved.name
    before, after = model.predict_frame(SENTENCES), loaded.predict_frame(SENTENCES)
    assert before["stance_proba"].tolist() == after["stance_proba"].tolist()
    assert before["sentiment"].tolist() == after["sentiment"].tolist()


def test_the_manifest_records_what_the_model_depends_on(saved, schema):
    manifest = json.loads((saved / "manifest.json").read_text("utf-8"))
    assert manifest["version"] == saved.name
    assert manifest["schema_hash"] == schema.digest()
    assert manifest["parties"] == schema.party_ids
    assert set(manifest["labels"]["stance"]) == set(schema.stance_values)
    assert {"python", "scikit-learn", "joblib"} <= set(manifest["versions"])
    assert len(manifest["artifact_sha256"]) == 64
    assert manifest["created_at"]


def test_a_schema_with_other_parties_is_refused(saved):
    raw = raw_schema()
    raw["party"].append({"id": "china", "en": "China", "ur": "چین", "aliases": ["چین"]})
    with pytest.raises(SchemaMismatchError, match="the schema in use has parties .*'china'"):
        load_model(saved, parse_schema(raw))


def test_a_schema_with_other_aliases_only_warns(saved):
    raw = raw_schema()
    raw["party"][3]["aliases"].append("نیپون")
    with pytest.warns(ModelVersionWarning, match="another version of the schema"):
        load_model(saved, parse_schema(raw))


def test_another_scikit_learn_version_warns(saved, schema):
    manifest_path = saved / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest["versions"]["scikit-learn"] = "0.24.2"
    manifest_path.write_text(json.dumps(manifest), "utf-8")
    with pytest.warns(ModelVersionWarning, match="scikit-learn 0.24.2"):
        load_model(saved, schema)


def test_a_corrupted_artifact_is_refused_before_unpickling(saved, schema):
    artifact = saved / "model.joblib"
    data = artifact.read_bytes()
    artifact.write_bytes(data[: len(data) // 2])
    with pytest.raises(ArtifactError, match="does not match the checksum in its manifest"):
        load_model(saved, schema)


def test_a_pickle_swapped_in_by_hand_is_refused(saved, schema):
    joblib.dump({"anything": 1}, saved / "model.joblib")
    with pytest.raises(ArtifactError, match="not written by mauqif"):
        load_model(saved, schema)


def test_a_directory_without_manifest_is_not_a_model(tmp_path, schema):
    (tmp_path / "model.joblib").write_bytes(b"x")
    with pytest.raises(ArtifactError, match="not a mauqif model: it has no manifest.json"):
        load_model(tmp_path, schema)


def test_a_version_is_never_overwritten(model, saved):
    with pytest.raises(ArtifactError, match="already exists"):
        save_model(model, saved.parent)


def test_current_names_the_promoted_version(saved, schema):
    root = saved.parent
    assert current_model_dir(root) is None
    promote(root, saved.name)
    assert current_model_dir(root) == saved
    assert load_model(root, schema).version == saved.name  # a models root means its current model
    assert load_model(root / "current", schema).version == saved.name  # … and so does its pointer
    (root / "current").write_text("gone\n")
    with pytest.raises(ArtifactError, match="names 'gone', which is not a model directory"):
        current_model_dir(root)


def test_a_failed_save_leaves_nothing_behind(model, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(joblib, "dump", fail)
    with pytest.raises(OSError, match="disk full"):
        save_model(model, tmp_path)
    assert list(tmp_path.iterdir()) == []

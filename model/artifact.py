"""Model artifacts: `models/<version>/model.joblib` + `manifest.json`; `models/current` names the
promoted version.

`joblib.load` runs pickle, and unpickling can run any code: mauqif loads only artifacts it wrote
itself. The manifest records the SHA-256 of `model.joblib` and `load_model` refuses a file that
does not match it (a truncated copy, a file swapped in by hand), before unpickling anything.
That is a guard against accidents, not against someone who can write to your models directory:
never load a models directory you did not make (or fully trust).

Checks on load: the schema's parties and labels must be the ones the model learned (else
`SchemaMismatchError`); another scikit-learn version, or the same labels with other aliases,
gives a `ModelVersionWarning`.
"""

from __future__ import annotations

import hashlib
import json
import platform
import warnings
from datetime import UTC, datetime
from pathlib import Path

import joblib
import sklearn
from sklearn.exceptions import InconsistentVersionWarning

from mauqif.annotate.schema import Schema, load_schema
from mauqif.annotate.tables import atomic_directory, write_bytes_atomic

from .exceptions import ArtifactError, ModelVersionWarning, SchemaMismatchError
from .model import Model
from .pipeline import ModelConfig

FORMAT = "mauqif-model"
FORMAT_VERSION = 1
ARTIFACT = "model.joblib"
MANIFEST = "manifest.json"
CURRENT = "current"
REPORT = "report.html"


def labels_digest(schema: Schema) -> str:
    """What a model's answers depend on: the topic, the parties, the label values and their roles
    (not the aliases or display names, which only change how mentions are found)."""
    key = [
        schema.topic.id,
        schema.party_ids,
        [[v.value, v.role] for v in schema.stance],
        [[v.value, v.role] for v in schema.sentiment],
    ]
    return hashlib.sha256(json.dumps(key).encode()).hexdigest()[:16]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_for(model: Model, extra: dict | None = None) -> dict:
    from mauqif import __version__

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": model.version,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "schema_hash": model.schema.digest(),
        "labels_hash": labels_digest(model.schema),
        "topic": model.schema.topic.id,
        "parties": model.schema.party_ids,
        "labels": {"stance": model.stance_labels, "sentiment": model.sentiment_labels},
        "config": model.config.as_dict(),
        "min_confidence": model.min_confidence,
        # Aliases learned from annotators' spans (also in model.joblib, which the finder reads).
        "learned_aliases": {p: list(a) for p, a in model.learned_aliases.items()},
        "versions": {
            "mauqif": __version__,
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "joblib": joblib.__version__,
        },
    }
    manifest.update(extra or {})
    return manifest


def save_model(
    model: Model, root: str | Path, extra: dict | None = None, files: dict | None = None
) -> Path:
    """Write `root/<version>/` (model.joblib, manifest.json and any `files` {name: bytes}) in one
    step: everything goes to a hidden temporary directory renamed into place at the end, so a
    crash leaves no half-written model. Returns the model directory."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    target = root / model.version
    if target.exists():
        raise ArtifactError(f"{target} already exists; model versions are never overwritten")
    with atomic_directory(target) as tmp:
        payload = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "pipelines": model.pipelines,
            "config": model.config,
            "trained_on": model.trained_on,
            "learned_aliases": model.learned_aliases,
        }
        joblib.dump(payload, tmp / ARTIFACT, compress=3)
        manifest = manifest_for(model, extra)
        manifest["artifact_sha256"] = _sha256(tmp / ARTIFACT)
        (tmp / MANIFEST).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8"
        )
        for name, data in (files or {}).items():
            (tmp / name).write_bytes(data)
    model.manifest = manifest
    return target


def promote(root: str | Path, version: str) -> None:
    """Make `root/<version>` the current model (atomic rewrite of `root/current`)."""
    root = Path(root)
    if not (root / version / MANIFEST).is_file():
        raise ArtifactError(f"{root / version} is not a model directory; nothing to promote")
    write_bytes_atomic(root / CURRENT, (version + "\n").encode())


def current_model_dir(root: str | Path = Path("models")) -> Path | None:
    """The directory `root/current` names, or None when no model was promoted yet."""
    root = Path(root)
    pointer = root / CURRENT
    if not pointer.is_file():
        return None
    version = pointer.read_text("utf-8").strip()
    target = root / version
    if not version or not (target / MANIFEST).is_file():
        raise ArtifactError(
            f"{pointer} names {version or '(nothing)'!r}, which is not a model directory in {root}; "
            f"promote another one (write its version into {pointer}) or retrain with `mauqif train`"
        )
    return target


def read_manifest(path: str | Path) -> dict:
    path = Path(path)
    manifest_file = path / MANIFEST
    try:
        manifest = json.loads(manifest_file.read_text("utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{path} is not a mauqif model: it has no {MANIFEST}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(
            f"{manifest_file} cannot be read ({exc}); retrain with `mauqif train`"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArtifactError(f"{manifest_file} is not a mauqif model manifest")
    found = manifest.get("format_version")
    if isinstance(found, int) and found > FORMAT_VERSION:
        raise ArtifactError(
            f"{path} was written by a newer mauqif (artifact format {found}; this one reads "
            f"{FORMAT_VERSION}): upgrade mauqif to use it, or retrain with this one (`mauqif train`)"
        )
    if found != FORMAT_VERSION:
        raise ArtifactError(
            f"{path} has artifact format {manifest.get('format_version')!r}, this mauqif reads {FORMAT_VERSION}; "
            "retrain with `mauqif train`"
        )
    return manifest


def resolve_model_dir(path: str | Path) -> Path:
    """A model directory as given, or the current model of a models root (given as the root or
    as its `current` pointer file, as in `--model models/current`)."""
    path = Path(path)
    if not path.exists():
        raise ArtifactError(f"{path}: no such model directory; train one with `mauqif train`")
    if path.is_file() and path.name == CURRENT:
        return current_model_dir(path.parent)
    if not (path / MANIFEST).exists() and (path / CURRENT).exists():
        return current_model_dir(path)
    return path


def load_model(path: str | Path, schema: Schema | None = None) -> Model:
    """Load a model directory written by `save_model` (or the current model of a models root).

    `schema` (default: the packaged one) is the schema the model will be used with."""
    path = resolve_model_dir(path)
    manifest = read_manifest(path)
    artifact = path / ARTIFACT
    if not artifact.is_file():
        raise ArtifactError(f"{path} has a manifest but no {ARTIFACT}; retrain with `mauqif train`")
    if _sha256(artifact) != manifest.get("artifact_sha256"):
        raise ArtifactError(
            f"{artifact} does not match the checksum in its manifest: it is corrupted or was not written "
            "by mauqif, and it is not loaded (unpickling runs code); retrain with `mauqif train`"
        )
    schema = schema or load_schema()
    if manifest.get("labels_hash") != labels_digest(schema):
        raise SchemaMismatchError(
            f"{path} was trained for parties {manifest.get('parties')} and labels {manifest.get('labels')}, "
            f"but the schema in use has parties {schema.party_ids}, stance {schema.stance_values} and "
            f"sentiment {schema.sentiment_values}; retrain with `mauqif train` or use the schema it was trained with"
        )
    if manifest.get("schema_hash") != schema.digest():
        warnings.warn(
            f"{path} was trained with another version of the schema (same parties and labels, other aliases "
            "or names): mentions are found with the new aliases; retrain to learn from them",
            ModelVersionWarning,
            stacklevel=2,
        )
    trained_with = manifest.get("versions", {}).get("scikit-learn")
    if trained_with != sklearn.__version__:
        warnings.warn(
            f"{path} was written by scikit-learn {trained_with}, this is {sklearn.__version__}: its "
            "predictions may differ; retrain with `mauqif train`",
            ModelVersionWarning,
            stacklevel=2,
        )
    try:
        with warnings.catch_warnings():
            # Our own version warning above says the same, with the remedy.
            warnings.simplefilter("ignore", InconsistentVersionWarning)
            payload = joblib.load(artifact)
    except Exception as exc:
        raise ArtifactError(
            f"{artifact} cannot be loaded ({type(exc).__name__}: {exc}); retrain with `mauqif train`"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ArtifactError(f"{artifact} is not a mauqif model")
    return Model(
        pipelines=payload["pipelines"],
        schema=schema,
        config=payload.get("config") or ModelConfig(),
        version=manifest["version"],
        trained_on=list(payload.get("trained_on", [])),
        manifest=manifest,
        learned_aliases=dict(payload.get("learned_aliases") or {}),
    )

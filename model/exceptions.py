"""Errors and warnings of the model half. Each says what went wrong, with the file or value, and
what to do. All errors derive from `MauqifError`, so the CLI prints them as one `Error:` line."""

from mauqif.annotate.exceptions import MauqifError


class ModelError(MauqifError):
    """Training or prediction cannot go on (no labels, too few articles, no model to use)."""


class ArtifactError(ModelError):
    """A model directory is missing, incomplete, corrupted, or was not written by mauqif."""


class SchemaMismatchError(ArtifactError):
    """The model was trained for other parties or labels than the schema in use."""


class ModelVersionWarning(UserWarning):
    """The model was written by another scikit-learn version, or for a schema whose labels are the
    same but whose aliases or names changed: it loads, but retrain to be sure of its answers."""

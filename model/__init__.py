"""The stance and sentiment classifier: training, evaluation, artifacts and batch prediction.

    from mauqif.model import load_model, current_model_dir
    model = load_model(current_model_dir())
    rows = model.predict_frame(df)  # df: text, context, mentions

It learns from tables (`mauqif.annotate.labels`) and never talks to Label Studio.
"""

from .artifact import current_model_dir, load_model, save_model
from .model import Model, train_model
from .pipeline import ModelConfig, make_pipelines

__all__ = [
    "Model",
    "ModelConfig",
    "current_model_dir",
    "load_model",
    "make_pipelines",
    "save_model",
    "train_model",
]

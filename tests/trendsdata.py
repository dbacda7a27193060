"""A small model that stores its error rates, and prediction rows of it over three months and
two outlets (some undated): what the trends tests read."""

import numpy as np
import pandas as pd
from modeldata import labelled_tasks

from mauqif.annotate.labels import aggregate, labels_table
from mauqif.annotate.tables import write_rows
from mauqif.model import save_model, train_model
from mauqif.model.evaluate import grouped_folds
from mauqif.model.model import make_dataset
from mauqif.model.pipeline import ModelConfig, make_pipelines
from mauqif.model.predict import flat_columns, flat_rows, flat_types
from mauqif.model.rates import RATES_KEY, cv_rates, rates_block


def models_with_and_without_rates(root, schema):
    """(the model, its directory with error rates, the directory of a model without them)."""
    sentences, _ = aggregate(labels_table(labelled_tasks(0), schema), schema)
    model = train_model(sentences, schema)
    data = make_dataset(sentences, schema)
    rates = cv_rates(data, make_pipelines(ModelConfig(), schema.not_source), grouped_folds(data, 2))
    with_rates = save_model(model, root, extra={RATES_KEY: rates_block(rates, 2)})
    bare_model = train_model(sentences, schema)
    bare_model.version += "-bare"
    without = save_model(bare_model, root)
    return model, with_rates, without


def prediction_rows(model, n=300, seed=0):
    """Nested prediction rows over three months and two outlets, every tenth without a date."""
    rng = np.random.default_rng(seed)
    tasks = [t["data"]["text"] for t in labelled_tasks(1)][:n]
    frame = pd.DataFrame({"text": tasks, "context": [""] * len(tasks)})
    answers = model.answers(model.predict_frame(frame)[["text", "context", "mentions"]], digits=4)
    rows = []
    for i, (text, answer) in enumerate(zip(tasks, answers, strict=True)):
        month = int(rng.integers(1, 4))
        published = None if i % 10 == 0 else f"2024-{month:02d}-{1 + i % 27:02d}"
        host = ["www.jang.com.pk", "urdu.example.org"][i % 2]
        rows.append(
            {
                "id": f"s{i}",
                "article_id": f"a{i // 5}",
                "url": f"https://{host}/news/{i // 5}",
                "published": published,
                "text": text,
                **answer,
            }
        )
    return rows


def write_flat(model, rows, path):
    """`rows` as `mauqif predict` writes them to a .parquet or .csv `path`."""
    fmt = path.suffix.lstrip(".")
    write_rows(flat_rows(rows), path, fmt, flat_columns(model), flat_types(model))
    return path

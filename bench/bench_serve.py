"""The ML backend: /predict latency of a real `mauqif serve` process, against the raw model.

- one task per request and one request of 100 tasks, sent as Label Studio sends them (JSON over
  HTTP, keep-alive) to `python -m mauqif serve` on 127.0.0.1: p50 and p95 of the wall time of
  each request, as the client sees it;
- the raw model on the same rows in this process (`Model.predict_frame`: mention finding, pair
  building, both pipelines), timed the same way. The ratio raw / served says how much of a
  request's time is the model; the rest is HTTP, JSON and building Label Studio's results.

The model is trained on exports/gold/ (about 12 s); the tasks are the sample articles' sentences.
Label Studio itself is not involved (it adds its own /health and /setup calls before /predict).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from mauqif.annotate.labels import aggregate, read_exports
from mauqif.annotate.pipeline import Segmenter
from mauqif.annotate.reader import iter_articles
from mauqif.annotate.schema import load_schema
from mauqif.annotate.studio.server import free_port
from mauqif.model import load_model, save_model, train_model
from mauqif.model.artifact import promote

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "exports" / "gold"
SAMPLES = ROOT / "annotate" / "samples" / "articles"
SINGLE_RUNS = 200
BATCH = 100
BATCH_RUNS = 30


def percentiles(seconds: list[float]) -> tuple[float, float]:
    ms = np.asarray(seconds) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 95))


def post_predict(client: httpx.Client, body: str, n: int) -> None:
    response = client.post("/predict", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200 and len(response.json()["results"]) == n


def timed(call, runs: int) -> list[float]:
    call()  # warm up
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    schema = load_schema()
    units = list(Segmenter.default(schema).iter_units(iter_articles([SAMPLES])))
    tasks = [
        {"id": i, "data": {"text": u["text"], "context": u.get("context") or ""}}
        for i, u in enumerate(units)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        sentences, _ = aggregate(read_exports([GOLD]), schema)
        model = train_model(sentences, schema)
        save_model(model, models)
        promote(models, model.version)
        model = load_model(models, schema)

        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = open(Path(tmp) / "serve.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "mauqif", "serve", "--model", str(models),
             "--port", str(port), "--home", str(Path(tmp) / "home"), "--retrain-every", "0"],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp,
        )  # fmt: skip
        try:
            with httpx.Client(base_url=url, timeout=60) as client:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        if client.get("/health").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline or process.poll() is not None:
                        raise SystemExit(f"the backend did not start; see {log.name}")
                    time.sleep(0.3)

                rows = [
                    (
                        f"1 task (n={SINGLE_RUNS})",
                        tasks[:1],
                        SINGLE_RUNS,
                    ),
                    (f"batch of {BATCH} tasks (n={BATCH_RUNS})", tasks[:BATCH], BATCH_RUNS),
                ]
                print(
                    f"{'':28} {'served p50':>11} {'p95':>8} {'raw p50':>9} {'p95':>8}  raw/served"
                )
                for name, chunk, runs in rows:
                    body = json.dumps({"tasks": chunk, "project": "1.0"})

                    served = partial(post_predict, client, body, len(chunk))

                    frame = pd.DataFrame(
                        {
                            "text": [t["data"]["text"] for t in chunk],
                            "context": [t["data"]["context"] for t in chunk],
                        }
                    )
                    s50, s95 = percentiles(timed(served, runs))
                    r50, r95 = percentiles(
                        timed(lambda frame=frame: model.predict_frame(frame), runs)
                    )
                    print(
                        f"{name:28} {s50:9.1f}ms {s95:6.1f}ms {r50:7.1f}ms {r95:6.1f}ms  {r50 / s50:9.2f}"
                    )
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(30)
            log.close()


if __name__ == "__main__":
    main()

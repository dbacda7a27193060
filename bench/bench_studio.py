"""Label Studio push and pull against a real local server started for the benchmark.

Push: `mauqif push` (the library call: list what the project holds, build tasks with mention
predictions, import one request per batch, set the model version) beside the SDK's raw bulk
import of the same task payload in one request (goal: push ≥ 0.8 of it), and beside one request
per task. Also push with the model's predictions against push without (goal ≥ 0.8), beside
Label Studio's own time for the same two payloads sent as ready JSON bodies (the bound of that
ratio), and a second push that only skips.

Pull: `mauqif pull` (export → snapshot + meta → labels table as CSV and Parquet) for 10,000
annotated tasks beside the SDK's raw JSON export of the same project.

The server (Label Studio 1.23 from the installed package, temporary data directory, 127.0.0.1)
is started here and stopped at the end; the figures depend on the 2 shared cores of this machine.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

N_PUSH = 5000
N_ONE_BY_ONE = 200
N_PULL = 10_000
ROOT = Path(__file__).resolve().parents[1]


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def sample_units(schema, n: int) -> list[dict]:
    """`n` units: the sample articles' units repeated, each copy with its own sentence_id."""
    from importlib import resources

    from mauqif.annotate.pipeline import Segmenter
    from mauqif.annotate.reader import iter_articles

    with resources.as_file(
        resources.files("mauqif.annotate").joinpath("samples", "articles")
    ) as path:
        base = list(Segmenter.default(schema).iter_units(iter_articles([path])))
    return [
        {
            **base[i % len(base)],
            "sentence_id": f"{base[i % len(base)]['sentence_id']}-{i // len(base)}",
        }
        for i in range(n)
    ]


def annotated_tasks(units: list[dict], schema, user_id: int) -> list[dict]:
    """Tasks with one complete annotation each, as an import payload."""
    from mauqif.annotate.schema import SENTIMENT_TAG, stance_tag
    from mauqif.annotate.studio.push import mention_results, task

    out = []
    for i, unit in enumerate(units):
        made = task(unit, schema, "bench")
        result = mention_results(unit["text"], unit["mentions"])
        result += [
            {
                "from_name": stance_tag(p),
                "to_name": "text",
                "type": "choices",
                "value": {"choices": [schema.stance_values[(i + j) % 4]]},
            }
            for j, p in enumerate(schema.party_ids)
        ]
        result.append(
            {
                "from_name": SENTIMENT_TAG,
                "to_name": "text",
                "type": "choices",
                "value": {"choices": [schema.sentiment_values[i % 3]]},
            }
        )
        made["annotations"] = [{"result": result, "completed_by": user_id, "lead_time": 5.0}]
        made.pop("predictions")
        out.append(made)
    return out


def main() -> None:
    from mauqif.annotate.schema import load_schema
    from mauqif.annotate.studio import (
        LocalStudio,
        connect,
        mentions_version,
        pull,
        push,
        start,
        stop,
    )
    from mauqif.annotate.studio.client import json_body
    from mauqif.annotate.studio.pull import download_export
    from mauqif.annotate.studio.push import predict_units, task

    schema = load_schema()
    with tempfile.TemporaryDirectory(prefix="mauqif-bench-") as tmp:
        local = LocalStudio(Path(tmp) / "home")
        seconds, _ = timed(lambda: start(local, base_env=dict(os.environ), timeout=300))
        print(f"server start (fresh data dir): {seconds:.1f} s")
        try:
            credentials = local.credentials()
            studio = connect(credentials.url, credentials.api_key)
            units = sample_units(schema, N_PUSH)
            payload = [task(u, schema, mentions_version(schema)) for u in units]

            def project(name: str) -> int:
                return studio.setup_project(schema, title=f"bench-{name}").project_id

            raw_times, push_times = [], []
            for rep in range(2):  # alternated, best of two: the 2 cores are shared
                raw_id = project(f"raw-{rep}")
                options = {"timeout_in_seconds": 900}
                raw_times.append(
                    timed(
                        studio.sdk.projects.import_tasks,
                        id=raw_id,
                        request=payload,
                        request_options=options,
                    )[0]
                )
                push_id = project(f"push-{rep}")
                seconds, summary = timed(push, studio, push_id, units, schema)
                assert summary.added == N_PUSH, summary.line()
                push_times.append(seconds)
            raw_s, push_s = min(raw_times), min(push_times)
            big_id = project("push-one-batch")
            big_s, _ = timed(lambda: push(studio, big_id, units, schema, batch=N_PUSH))
            again_s, again = timed(lambda: push(studio, push_id, units, schema))
            assert again.added == 0

            single_id = project("one-by-one")
            single_s, _ = timed(
                lambda: [
                    studio.sdk.projects.import_tasks(id=single_id, request=[t])
                    for t in payload[:N_ONE_BY_ONE]
                ]
            )

            print(f"\npush {N_PUSH} sentences with mention predictions (tasks/s):")
            rows = [
                ("raw SDK bulk import, one request", N_PUSH, raw_s, ""),
                (
                    "mauqif push, --batch 1000 (default)",
                    N_PUSH,
                    push_s,
                    f"  ratio {raw_s / push_s:.2f}",
                ),
                (f"mauqif push, --batch {N_PUSH}", N_PUSH, big_s, f"  ratio {raw_s / big_s:.2f}"),
                (f"one request per task ({N_ONE_BY_ONE} tasks)", N_ONE_BY_ONE, single_s, ""),
            ]
            for name, n, took, extra in rows:
                print(f"  {name:<42}{n / took:7.0f}   ({took:.1f} s){extra}")
            print(f"  second push of the same {N_PUSH} (all skipped): {again_s:.1f} s")

            try:
                from mauqif.annotate.labels import aggregate, read_exports
                from mauqif.model import train_model
            except ImportError:
                print("  (no model package: push with a model not measured)")
            else:
                sentences, _ = aggregate(
                    read_exports([ROOT / "exports" / "gold" / "gold.json"]), schema
                )
                from mauqif.model.pipeline import SKLEARN_VECTORISERS

                # The model before issue 13 (scikit-learn's vectorisers) and today's, each
                # against push without predictions, alternated, best of two (goal: today's at
                # least 0.8 of push without).
                models = {
                    "before (sklearn vectorisers)": train_model(
                        sentences, schema, SKLEARN_VECTORISERS
                    ),
                    "fast vectorisers (default)": train_model(sentences, schema),
                }
                times: dict[str, list[float]] = {"without": [], **{k: [] for k in models}}
                for rep in range(2):
                    times["without"].append(
                        timed(push, studio, project(f"without-{rep}"), units, schema)[0]
                    )
                    for i, (label, model) in enumerate(models.items()):
                        model_id = project(f"push-model-{i}-{rep}")
                        times[label].append(
                            timed(push, studio, model_id, units, schema, model=model)[0]
                        )
                without_s = min(times["without"])
                print(
                    f"  {'mauqif push, no model (again)':<42}{N_PUSH / without_s:7.0f}   ({without_s:.1f} s)"
                )
                for label in models:
                    model_s = min(times[label])
                    name = f"push + predictions, {label}"
                    print(
                        f"  {name:<42}{N_PUSH / model_s:7.0f}   ({model_s:.1f} s, prediction "
                        f"included)  ratio to push without {without_s / model_s:.2f}"
                    )
                # What Label Studio itself takes: the same tasks built and serialised beforehand,
                # each payload in one request, without the model's answers and with them. The
                # ratio of the two is the most push with predictions can reach.
                fast = models["fast vectorisers (default)"]
                answers = predict_units(units, fast)
                with_answers = [
                    task(u, schema, fast.version, a, fast.min_confidence)
                    for u, a in zip(units, answers, strict=True)
                ]
                bodies = {
                    "mentions only": json_body(payload),
                    "with answers": json_body(with_answers),
                }
                server: dict[str, list[float]] = {k: [] for k in bodies}
                for rep in range(2):
                    for name, body in bodies.items():
                        path = f"/api/projects/{project(f'body-{name}-{rep}')}/import"
                        server[name].append(timed(studio.post_json, path, body)[0])
                plain_s, answered_s = min(server["mentions only"]), min(server["with answers"])
                for name, took in (("mentions only", plain_s), ("with answers", answered_s)):
                    label = f"Label Studio alone, tasks {name}"
                    print(f"  {label:<42}{N_PUSH / took:7.0f}   ({took:.1f} s, body sent as is)")
                print(
                    f"  Label Studio's own ratio (with answers / mentions only): "
                    f"{plain_s / answered_s:.2f}: the bound of push + predictions / push without"
                )

            pull_id = project("pull")
            me = studio.sdk.users.whoami().id
            many = sample_units(schema, N_PULL)
            seconds, _ = timed(
                lambda: studio.sdk.projects.import_tasks(
                    id=pull_id,
                    request=annotated_tasks(many, schema, me),
                    request_options={"timeout_in_seconds": 900},
                )
            )
            print(
                f"\npull {N_PULL} annotated tasks (set up by one bulk import with annotations: {seconds:.1f} s):"
            )
            raw_path = Path(tmp) / "raw.json"
            out = Path(tmp) / "exports"
            project = studio.project(project_id=pull_id)
            raw_times, pull_times = [], []
            for _ in range(2):  # alternated, best of two: the 2 cores are shared
                raw_times.append(timed(lambda: download_export(studio, pull_id, raw_path))[0])
                seconds, result = timed(lambda: pull(studio, project, schema, out))
                pull_times.append(seconds)
                assert result.rows == N_PULL, result
            size = raw_path.stat().st_size / 1e6
            print(
                f"  {'raw SDK JSON export (download_sync)':<42}{min(raw_times):7.1f} s ({size:.1f} MB)"
            )
            print(
                f"  {'mauqif pull (snapshot + table)':<42}{min(pull_times):7.1f} s ({result.rows} rows, CSV + Parquet)"
            )
        finally:
            stop(local)


if __name__ == "__main__":
    main()

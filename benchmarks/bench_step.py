"""The match step without Kafka: where a worker's CPU goes per post, on the live configuration.

A script, not a test: ``.venv/bin/python benchmarks/bench_step.py [--posts 3000] [--json]``.
It builds the worker's matcher and targeting screen from the settings (the demo's catalog,
`pipeline.agents.matcher.load_matcher`), takes the benchmark workload of
``benchmarks/bench_pipeline.py`` (CheckThat! tweets and claims from ``../shared``), and prints:

- ``encoder_micro_texts_s`` / ``encoder_queued_texts_s``: the encoder alone (the configured
  backend's model, no memo) on calls of ``worker.batch_size`` texts, run through micro-batches
  of ``model.batch_size`` one after the other, and with every per-text run of a call queued at
  once (`models.matching.onnx_encoder.OnnxEncoder.encode_texts`, what the embedder uses);
- ``model_thread_ms_per_post``: CPU time of the model thread itself (``time.thread_time``:
  ranking, re-ranking, the calibrated decision, explanations, the targeting screen; not the
  encoder's own threads) per post, over the same calls; the encoder's threads are idle while
  it runs, so it is the serial share of the step;
- ``step_posts_s``: match + screen wall-clock throughput.

Each figure is the best of ``--reps`` runs (new texts each run, so the memo never hits); the
machine should be otherwise idle.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.bench_pipeline import DEFAULT_DATA, checkthat_texts  # noqa: E402
from models.matching.batching import encode_in_batches  # noqa: E402
from pipeline.agents.matcher import load_matcher  # noqa: E402
from pipeline.demo import demo_settings  # noqa: E402
from pipeline.settings import Settings  # noqa: E402


def run(args: argparse.Namespace) -> dict[str, Any]:
    from prometheus_client import CollectorRegistry

    from models.signals.targeting_classifier import DEFAULT_CLASSIFIER, load_classifier
    from pipeline.metrics import Metrics
    from pipeline.signals.screening import PostScreen

    settings = demo_settings(Settings.load(), "bench-step")
    matcher = load_matcher(settings)
    matcher.warm_up()
    embedder = matcher.embedder  # type: ignore[attr-defined]
    model = embedder._model
    screen = PostScreen(
        Metrics(CollectorRegistry()), classifier=load_classifier(DEFAULT_CLASSIFIER)
    )
    texts = checkthat_texts(args.data)[: args.posts]
    call = settings.worker.batch_size
    calls = [texts[i : i + call] for i in range(0, len(texts), call)]
    out: dict[str, Any] = {
        "posts": len(texts),
        "backend": settings.model.backend,
        "call": call,
        "micro_batch": embedder.batch_size,
    }

    def encoder(queued: bool) -> float:
        started = time.perf_counter()
        for chunk in calls:
            if queued and hasattr(model, "encode_texts"):
                model.encode_texts(chunk, embedder.batch_size)
            else:
                encode_in_batches(chunk, embedder.batch_size, model.encode_batch, embedder.dims)
        return len(texts) / (time.perf_counter() - started)

    def step(rep: int) -> tuple[float, float]:
        cpu, wall = 0.0, 0.0
        for chunk in calls:
            fresh = [f"{t} [{rep}]" for t in chunk]  # never in the memo
            t0, w0 = time.thread_time(), time.perf_counter()
            results = matcher.match(fresh)
            screen.screen_texts(
                fresh, [r.embedding for r in results], [bool(r.matches) for r in results]
            )
            cpu += time.thread_time() - t0
            wall += time.perf_counter() - w0
        return cpu / len(texts) * 1000, len(texts) / wall

    encoder(True)  # warm
    out["encoder_micro_texts_s"] = round(max(encoder(False) for _ in range(args.reps)), 1)
    out["encoder_queued_texts_s"] = round(max(encoder(True) for _ in range(args.reps)), 1)
    step(-1)
    runs = [step(rep) for rep in range(args.reps)]
    out["model_thread_ms_per_post"] = round(min(r[0] for r in runs), 3)
    out["step_posts_s"] = round(max(r[1] for r in runs), 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=3000)
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="CheckThat! 2022 2A folder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")


if __name__ == "__main__":
    main()

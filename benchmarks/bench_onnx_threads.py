"""How the shipped ONNX int8 encoder should spend its threads: one text at a time with intra-op
threads, or several texts at once with one intra-op thread each.

A script, not a test: ``.venv/bin/python benchmarks/bench_onnx_threads.py [--texts 1000]
[--reps 3] [--json]``. It loads the packaged model's artifact (exported into the cache dir on
first use, `models.matching.onnx_export.ensure_artifact`), takes the first ``--texts`` distinct
CheckThat! 2022 2A tweets (train + dev queries, from ``--data``) and encodes them as the
embedder does (length-sorted micro-batches of 16, `models.matching.batching`) with:

- ``sequential-Nt``: one text per run, N = the cores as intra-op threads (the old default);
- ``sequential-1t``: one text per run, one intra-op thread;
- ``concurrent-Nt``: N texts at once, one intra-op thread each (the default now).

Prints texts/s (best of ``--reps``, so compare rows of one run only: the machine may be shared)
and the largest absolute difference of each mode's vectors from ``sequential-1t`` (0.0: bitwise
the same).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from models.matching.batching import encode_in_batches
from models.matching.encoder_backends import available_cores
from models.matching.onnx_encoder import OnnxEncoder

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "datasets" / "checkthat-2022-2a-en"
BATCH = 16


def tweets(data: Path, count: int) -> list[str]:
    """The first `count` distinct CheckThat! tweets (dev queries, then train), whitespace-folded."""
    texts: list[str] = []
    for split in ("dev", "train"):
        for line in (data / f"{split}.queries.tsv").read_text(encoding="utf-8").splitlines():
            if "\t" in line:
                texts.append(" ".join(line.split("\t", 1)[1].split()))
    return list(dict.fromkeys(t for t in texts if t))[:count]


def timed(encoder: OnnxEncoder, texts: list[str], reps: int) -> tuple[float, np.ndarray]:
    """(texts/s, best of `reps`; the vectors)."""
    best, vectors = float("inf"), np.zeros(0)
    for _ in range(reps):
        started = time.perf_counter()
        vectors = encode_in_batches(texts, BATCH, encoder.encode_batch, encoder.dims)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best, vectors


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    from models.matching.embedder import packaged_model_path
    from models.matching.onnx_export import ensure_artifact
    from pipeline.settings import Settings

    artifact = ensure_artifact(Path(packaged_model_path()), Settings.load().cache_dir)
    texts = tweets(args.data, args.texts)
    cores = available_cores()
    modes = {
        f"sequential-{cores}t": (cores, False),
        "sequential-1t": (1, False),
        f"concurrent-{cores}t": (cores, True),
    }
    reference: np.ndarray | None = None
    rows: list[dict[str, Any]] = []
    for name, (threads, parallel) in modes.items():
        encoder = OnnxEncoder(artifact, threads, parallel_texts=parallel)
        rate, vectors = timed(encoder, texts, args.reps)
        encoder.close()
        if name == "sequential-1t":
            reference = vectors
        rows.append({"mode": name, "texts": len(texts), "texts_s": round(rate, 1), "vec": vectors})
    assert reference is not None
    for row in rows:
        row["max_abs_diff"] = float(np.max(np.abs(row.pop("vec") - reference)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--texts", type=int, default=1000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="CheckThat! 2022 2A folder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for row in run(args):
        if args.json:
            print(json.dumps(row), flush=True)
        else:
            diff = row["max_abs_diff"]
            print(f"{row['mode']:16} {row['texts_s']:8.1f} texts/s  max |diff| {diff}")


if __name__ == "__main__":
    main()

"""A text's ONNX int8 embedding does not depend on which texts share its micro-batch.

Dynamic int8 quantisation computes each activation tensor's scale over the whole run; batched,
the same post moved by up to 0.014 in cosine with its batch-mates, so a borderline post's hit
depended on what arrived with it. The artifact therefore runs each text on its own."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.matching.embedder import Embedder, packaged_model_path
from models.matching.onnx_encoder import OnnxEncoder, l2_normalise, pool
from models.matching.onnx_export import ensure_artifact
from pipeline.settings import Settings

pytestmark = pytest.mark.slow

DEMO = Path(__file__).parents[4] / "pipeline/demo_data"
MIXED = [
    "?",
    "ok",
    "🔥🔥🔥",
    "lol no way that's real 😂😂",
    "Stop the steal 🛑🛑 #MAGA 🇺🇸🇺🇸🇺🇸",
    "Les bureaux de vote ferment à 20 heures dimanche.",
    "选举结果被操纵了网上有人这样说。",
    "Election workers are being doxxed: their names and home addresses posted online.",
    "BREAKING!!! THEY ARE LYING TO YOU ABOUT THE VOTE COUNT",
    "The county election board said the hand recount matched the machine count within three "
    "votes, and that the observers from both parties signed off on every batch. " * 6,
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    with (DEMO / "posts.jsonl").open(encoding="utf-8") as lines:
        posts = [json.loads(line)["text"] for line in lines][:60]
    articles = [p.read_text(encoding="utf-8") for p in sorted((DEMO / "articles").glob("*.txt"))]
    return MIXED + posts + articles[:2]


def test_a_texts_vector_is_the_same_alone_and_in_any_micro_batch(texts: list[str]) -> None:
    cache_dir = Settings().cache_dir
    alone = Embedder(batch_size=1, cache_dir=cache_dir, memo_size=0)
    batched = Embedder(batch_size=16, cache_dir=cache_dir, memo_size=0)
    single = alone.encode_uncached(texts)
    together = batched.encode_uncached(texts)
    shuffled_order = np.random.default_rng(7).permutation(len(texts))
    shuffled = batched.encode_uncached([texts[i] for i in shuffled_order])
    assert alone.backend == batched.backend == "onnx-int8"
    for got in (together, shuffled[np.argsort(shuffled_order)]):
        gaps = 1.0 - np.sum(single * got, axis=1)
        worst = int(np.argmax(gaps))
        assert gaps[worst] < 1e-4, f"1 - cosine {gaps[worst]:.2e} for {texts[worst][:60]!r}"
        # tokenised together, each text still runs on exactly its own inputs: bitwise the same
        assert np.array_equal(got, single)


def test_the_shipped_artifact_runs_each_text_alone_and_a_batched_run_would_not_be_independent(
    texts: list[str],
) -> None:
    """Guards the reason for `one_text_per_run`: if a future recipe made the graph batch
    independent, this fails and the flag (and its cost) can go."""
    artifact = ensure_artifact(Path(packaged_model_path()), Settings().cache_dir)
    encoder = OnnxEncoder(artifact, threads=1)
    assert encoder.spec.one_text_per_run
    batch = texts[:16]
    feeds = encoder.feeds(batch)
    raw = np.asarray(encoder._session.run(None, feeds)[0], dtype=np.float32)
    batched = l2_normalise(pool(raw, feeds["attention_mask"], encoder.spec.pooling))
    single = encoder.encode_batch(batch)
    assert np.max(1.0 - np.sum(single * batched, axis=1)) > 1e-3

"""The ONNX int8 encoder runs texts concurrently (one intra-op thread each) and gets exactly the
vectors, in the same order, that running them one after the other gives."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from models.matching.embedder import packaged_model_path
from models.matching.encoder_backends import available_cores, load_encoder
from models.matching.onnx_encoder import OnnxEncoder
from models.matching.onnx_export import ensure_artifact
from pipeline.settings import Settings

pytestmark = pytest.mark.slow

DEMO = Path(__file__).parents[4] / "pipeline/demo_data"


@pytest.fixture(scope="module")
def artifact() -> Path:
    return ensure_artifact(Path(packaged_model_path()), Settings().cache_dir)


@pytest.fixture(scope="module")
def texts() -> list[str]:
    with (DEMO / "posts.jsonl").open(encoding="utf-8") as lines:
        posts = [json.loads(line)["text"] for line in lines][:40]
    article = sorted((DEMO / "articles").glob("*.txt"))[0].read_text(encoding="utf-8")
    return ["?", "🔥🔥🔥", article, *posts]


def test_concurrent_texts_give_the_sequential_vectors_in_order(
    artifact: Path, texts: list[str]
) -> None:
    sequential = OnnxEncoder(artifact, threads=2, parallel_texts=False)
    concurrent = OnnxEncoder(artifact, threads=2)
    assert sequential.concurrent_texts == 1
    assert concurrent.concurrent_texts == 2
    expected = np.vstack([sequential.encode_batch([t]) for t in texts])
    got = concurrent.encode_batch(texts)
    assert got.shape == (len(texts), sequential.dims)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
    reordered = concurrent.encode_batch(texts[::-1])
    np.testing.assert_allclose(reordered, expected[::-1], rtol=0, atol=1e-6)
    concurrent.close()


def test_concurrent_runs_use_the_encoders_threads_and_never_more(
    artifact: Path, texts: list[str]
) -> None:
    single = OnnxEncoder(artifact, threads=1)
    assert single.concurrent_texts == 1
    before = {t.ident for t in threading.enumerate()}
    encoder = OnnxEncoder(artifact, threads=2)
    encoder.encode_batch(texts)
    encoder.encode_batch(texts)
    pool = [t for t in threading.enumerate() if t.ident not in before]
    assert len(pool) == 2
    assert all(t.name.startswith("narrmon-onnx") for t in pool)
    encoder.close()


@pytest.mark.parametrize("asked", [None, 1, 64])
def test_the_backend_never_runs_more_texts_at_once_than_the_cores(asked: int | None) -> None:
    encoder, backend = load_encoder(
        "onnx-int8", packaged_model_path(), "cpu", Settings().cache_dir, asked
    )
    assert backend == "onnx-int8"
    assert isinstance(encoder, OnnxEncoder)
    cores = available_cores()
    assert encoder.concurrent_texts == (1 if asked == 1 else cores)
    encoder.close()


def test_queuing_every_run_at_once_gives_the_micro_batched_vectors_bitwise(
    artifact: Path, texts: list[str]
) -> None:
    from models.matching.batching import encode_in_batches

    encoder = OnnxEncoder(artifact, threads=2)
    micro = encode_in_batches(texts, 4, encoder.encode_batch, encoder.dims)
    queued = encoder.encode_texts(texts, 4)
    assert queued.dtype == np.float32 and queued.shape == micro.shape
    assert np.array_equal(queued, micro)
    assert np.array_equal(encoder.encode_texts(texts[:1], 4), micro[:1])
    encoder.close()

"""Micro-batching: longest first, bounded batches, original order back (pure)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from models.matching.batching import encode_each, encode_in_batches, length_batches


def test_batches_are_bounded_and_longest_first() -> None:
    texts = ["a", "ccc", "bb", "dddd", "ee", "f"]
    batches = length_batches(texts, 2)
    assert batches == [[3, 1], [2, 4], [0, 5]]  # stable for equal lengths
    assert sorted(i for b in batches for i in b) == list(range(len(texts)))
    assert length_batches([], 16) == []
    with pytest.raises(ValueError, match="batch_size"):
        length_batches(texts, 0)


def test_encode_restores_order_and_pads_little() -> None:
    texts = [f"post {'x' * n}" for n in (5, 300, 1, 40, 300, 2, 7)]
    seen: list[list[str]] = []

    def encode(batch: list[str]) -> np.ndarray:
        seen.append(batch)
        return np.asarray([[len(t), 0.0] for t in batch], dtype=np.float32)

    out = encode_in_batches(texts, 3, encode, dims=2)
    assert out[:, 0].tolist() == [len(t) for t in texts]
    assert [len(b) for b in seen] == [3, 3, 1]
    assert {len(t) for t in seen[0]} >= {305}  # both long posts share the first batch
    assert max(len(t) for t in seen[1]) < 305


def test_encoder_returning_the_wrong_shape_is_an_error() -> None:
    with pytest.raises(ValueError, match="shape"):
        encode_in_batches(["a", "b"], 2, lambda b: np.zeros((1, 2), dtype=np.float32), dims=2)


def test_encode_each_keeps_the_order_of_texts_whatever_order_the_threads_finish_in() -> None:
    texts = [f"t{i}" for i in range(12)]
    finished: list[str] = []

    def encode_one(text: str) -> np.ndarray:
        time.sleep(0.002 * (12 - int(text[1:])))  # later texts finish first
        finished.append(text)
        return np.asarray([[float(text[1:]), 1.0]], dtype=np.float32)

    with ThreadPoolExecutor(4) as pool:
        out = encode_each(texts, encode_one, pool)
    assert finished != texts  # the threads did finish out of order
    assert out.dtype == np.float32
    assert out[:, 0].tolist() == list(range(12))
    assert np.array_equal(out, encode_each(texts, encode_one, None))


def test_encode_each_raises_what_an_encode_raises() -> None:
    def encode_one(text: str) -> np.ndarray:
        if text == "bad":
            raise RuntimeError("model gone")
        return np.zeros((1, 2), dtype=np.float32)

    with ThreadPoolExecutor(2) as pool, pytest.raises(RuntimeError, match="model gone"):
        encode_each(["a", "bad", "c"], encode_one, pool)

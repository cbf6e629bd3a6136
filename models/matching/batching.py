"""Micro-batching for the encoder: longest texts first, fixed-size batches, original order back.

Padding costs as much as text: a batch is as long as its longest member, so mixing a 2,000-word
article with fifteen tweets pads every tweet to 256 tokens. Sorting by length first makes each
batch nearly uniform; a small batch size (16-64) keeps ONNX Runtime's memory, which grows with
batch x tokens, bounded. Pure: the encoder is passed in.

An encoder whose texts must run one at a time (`encode_each`) gains nothing from batches; it runs
several texts at once on a thread pool instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import TypeVar

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
EncodeBatch = Callable[[list[str]], Vectors]


def length_batches(texts: Sequence[str], batch_size: int) -> list[list[int]]:
    """Indices of `texts` in batches of at most `batch_size`, longest texts first (stable for
    equal lengths). Raises `ValueError` for a batch size below 1."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def encode_in_batches(
    texts: Sequence[str], batch_size: int, encode_batch: EncodeBatch, dims: int
) -> Vectors:
    """``encode_batch`` over length-sorted micro-batches of `texts`; rows come back in the order
    of `texts`, shape ``(len(texts), dims)``. Blocking: runs `encode_batch` in this thread."""
    out = np.empty((len(texts), dims), dtype=np.float32)
    for batch in length_batches(texts, batch_size):
        vectors = encode_batch([texts[i] for i in batch])
        if vectors.shape != (len(batch), dims):
            expected = (len(batch), dims)
            raise ValueError(f"encoder returned shape {vectors.shape}, expected {expected}")
        out[batch] = vectors
    return out


T = TypeVar("T")
EncodeOne = Callable[[T], Vectors]


def encode_each(texts: Sequence[T], encode_one: EncodeOne[T], pool: Executor | None) -> Vectors:
    """``encode_one`` on each text on its own, concurrently on `pool`'s threads when given (in
    this thread otherwise); rows come back in the order of `texts`, whatever order the threads
    finish in. Each call must return one row (shape ``(1, dims)`` or ``(dims,)``). Blocking: waits
    for every text; the first exception raised by `encode_one` is raised here."""
    rows = pool.map(encode_one, texts) if pool is not None else map(encode_one, texts)
    return np.vstack(list(rows)).astype(np.float32, copy=False)

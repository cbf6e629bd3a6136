"""The in-memory post embedding cache: LRU bound, hit/miss counts, normalised keys, and its use in
`Embedder.encode` (each distinct text embedded once; the catalog path bypasses it)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from models.matching.embedder import Vectors
from models.matching.embedding_memo import EmbeddingMemo, memo_key
from tests.unit.models.conftest import BagOfWordsEmbedder


class CountingEmbedder(BagOfWordsEmbedder):
    def __init__(self, memo_size: int) -> None:
        super().__init__()
        self.memo = EmbeddingMemo(memo_size)
        self.calls: list[list[str]] = []

    def encode_uncached(self, texts: Sequence[str], show_progress: bool = False) -> Vectors:
        self.calls.append(list(texts))
        return super().encode_uncached(texts, show_progress)


def _row(value: float) -> np.ndarray:
    return np.full((1, 4), value, dtype=np.float32)


def test_lru_evicts_the_least_recently_used_and_counts() -> None:
    memo = EmbeddingMemo(2)
    a, b, c = (memo_key(t) for t in "abc")
    memo.put_many([a], _row(1))
    memo.put_many([b], _row(2))
    assert memo.get_many([a])[0] is not None  # a is now more recent than b
    memo.put_many([c], _row(3))
    assert len(memo) == 2
    found = memo.get_many([a, b, c])
    assert [r is not None for r in found] == [True, False, True]
    assert (memo.hits, memo.misses) == (3, 1)
    row = found[0]
    assert row is not None and not row.flags.writeable


def test_zero_size_stores_nothing() -> None:
    memo = EmbeddingMemo(0)
    memo.put_many([memo_key("a")], _row(1))
    assert memo.get_many([memo_key("a")]) == [None]
    assert len(memo) == 0
    with pytest.raises(ValueError, match="max_entries"):
        EmbeddingMemo(-1)


def test_key_ignores_whitespace_and_unicode_composition_only() -> None:
    assert memo_key("  Stop the\n steal ") == memo_key("Stop the steal")
    assert memo_key("caf\u00e9") == memo_key("cafe\u0301")  # NFC
    assert memo_key("Stop the steal") != memo_key("stop the steal")


def test_encode_embeds_each_distinct_text_once_then_hits() -> None:
    embedder = CountingEmbedder(memo_size=100)
    first = embedder.encode(["repost me", "other", "repost  me", "repost me"])
    assert embedder.calls == [["repost me", "other"]]
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_array_equal(first[0], first[3])
    again = embedder.encode(["other", "repost me", "new one"])
    assert embedder.calls[1] == ["new one"]
    np.testing.assert_array_equal(again[0], first[1])
    np.testing.assert_array_equal(again[1], first[0])
    # lookups: 4 misses (a repeat within one call is looked up before the first is stored), then
    # 2 hits and 1 miss
    assert (embedder.memo.hits, embedder.memo.misses) == (2, 5)


def test_catalog_path_does_not_fill_the_memo() -> None:
    embedder = CountingEmbedder(memo_size=100)
    embedder.encode_cached(["an exemplar claim", "another exemplar"])
    assert len(embedder.memo) == 0
    assert embedder.encode([]).shape == (0, embedder.dims)

"""A bounded in-memory cache of post embeddings, so reposts and copy-pasted posts cost a lookup.

Contracts:
- Keys are `memo_key(text)`: a 128-bit BLAKE2 hash of `normalise(text)` (Unicode NFC, runs of
  whitespace collapsed, ends stripped), which the tokenizer cannot tell apart anyway.
- `EmbeddingMemo(max_entries)` keeps the `max_entries` most recently used vectors (LRU);
  ``max_entries=0`` disables it (every lookup misses, nothing is stored). Thread-safe.
- `hits` / `misses` count lookups since construction, for metrics (a text repeated within one
  `Embedder.encode` call is a miss each time but embedded once); `len()` is the entry count.
  384 float32 dims cost ~1.6 kB per entry: 20,000 entries ~ 32 MB.
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def memo_key(text: str) -> bytes:
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=16).digest()


class EmbeddingMemo:
    """LRU map from `memo_key` to a read-only embedding row."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 0:
            raise ValueError(f"max_entries must be >= 0, got {max_entries}")
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self._rows: OrderedDict[bytes, Vector] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._rows)

    def get_many(self, keys: Sequence[bytes]) -> list[Vector | None]:
        """The stored row per key (None when absent); counts a hit or miss per key."""
        with self._lock:
            out: list[Vector | None] = []
            for key in keys:
                row = self._rows.get(key)
                if row is None:
                    self.misses += 1
                else:
                    self.hits += 1
                    self._rows.move_to_end(key)
                out.append(row)
            return out

    def put_many(self, keys: Sequence[bytes], rows: npt.NDArray[np.float32]) -> None:
        """Store one row per key (copied, read-only), evicting the least recently used."""
        if self.max_entries == 0:
            return
        with self._lock:
            for key, row in zip(keys, rows, strict=True):
                stored = np.array(row, dtype=np.float32)
                stored.flags.writeable = False
                self._rows[key] = stored
                self._rows.move_to_end(key)
            while len(self._rows) > self.max_entries:
                self._rows.popitem(last=False)

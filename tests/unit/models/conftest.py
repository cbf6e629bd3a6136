"""Shared fixtures for models tests: the fixture catalog and a deterministic bag-of-words embedder
(used where a test is about our scoring logic, not about the sentence-transformers model)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from models.matching.embedder import Embedder, Vectors

FIXTURES = Path(__file__).parent / "fixtures"


class BagOfWordsEmbedder(Embedder):
    """Hashed bag of words, L2-normalised: similar wording -> high cosine. No model load."""

    def __init__(self, dims: int = 256) -> None:
        super().__init__(model_path=None)
        self.model_id = "test/bag-of-words"
        self._dims = dims

    def warm_up(self) -> None:
        return None

    @property
    def dims(self) -> int:
        return self._dims

    def encode_uncached(self, texts: Sequence[str], show_progress: bool = False) -> Vectors:
        out = np.zeros((len(texts), self._dims), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self._dims] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


@pytest.fixture
def catalog_path() -> Path:
    return FIXTURES / "catalog.yaml"


@pytest.fixture
def bow_embedder() -> BagOfWordsEmbedder:
    return BagOfWordsEmbedder()
